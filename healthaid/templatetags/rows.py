"""``{% rows "<app>/<name>.html" %}``: a Jinja2 fragment rendered with the page's context.

See :mod:`healthaid.jinja2`.
"""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def rows(context, template_name: str):
    fragment = engines["jinja2"].get_template(template_name)
    # Jinja2 escaped what it printed (autoescape), and kept what was marked safe.
    return mark_safe(fragment.template.render(context.flatten()))
