"""Formatting filters of the screening pages (a filter, not an include, in long tables:
an include costs a template render per cell)."""

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A rate as the reports print it: "82.20%", or an en dash without a denominator."""
    return "–" if value is None else f"{value}%"
