"""``{% pagination %}``: ``includes/pagination.html``, rendered once a page.

A list prints its count and page links above and below its rows: the same HTML twice, each a
render of a template with two ``blocktrans``, five links and the list's query string. The
first call renders it and keeps it on the page object; the second prints it again.
"""

from django import template

register = template.Library()

TEMPLATE = "includes/pagination.html"


@register.simple_tag(takes_context=True)
def pagination(context):
    page = context.get("page_obj")
    html = getattr(page, "_healthaid_pagination", None)
    if html is None:
        with context.push():
            html = context.template.engine.get_template(TEMPLATE).render(context)
        if page is not None:
            page._healthaid_pagination = html
    return html
