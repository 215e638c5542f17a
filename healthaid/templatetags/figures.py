"""Figures as the reports print them, as filters: a filter costs a function call, an include a
template render per cell (a county's table has a few hundred rate cells)."""

from django import template

from healthaid.figures import format_rate

register = template.Library()


@register.filter
def rate(value) -> str:
    """ "82.20%", or an en dash when there is no denominator (``healthaid.figures``)."""
    return format_rate(value)
