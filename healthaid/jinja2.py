"""The Jinja2 environment of the hot lists' rows (``{% rows "<app>/<name>.html" %}``).

Pages stay in Django's template language; the few fragments that print hundreds of cells
(a list's rows, the worklist's entries, the county tables) are Jinja2 templates under
``<app>/jinja2/``, rendered by Django's own Jinja2 backend several times faster. They print
values the views have prepared (labels resolved, numbers formatted) and hold no text of
their own: labels come from the page's ``{% trans ... as l_... %}``, so every string stays
where ``makemessages`` finds it. A label printed in every row is written ``[[ l_name ]]``: put
into the fragment once a language instead of escaped again in each row
(``healthaid.templatetags.rows``).
"""

import jinja2
from django.template.defaultfilters import date


class Environment(jinja2.Environment):
    """Rows are dicts: ``row.name`` looks the key up first. (Jinja2 tries the attribute
    first, and the ``AttributeError`` of every cell cost a third of a fragment's time.)"""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.filters["date"] = date
    return env
