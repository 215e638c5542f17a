"""The portal's URLs plus ``/bench/bare/``: a bare Django list page, the HTTP bench's anchor.

The anchor is what a plain Django list page costs on this server in the same run: one query
for 50 rows of one table and a two-line template, behind the same middleware (session,
locale, CSRF, authentication), with no scope, no filters and no translations.
"""

from django.contrib.auth.decorators import login_required
from django.template import engines
from django.urls import path

from healthaid.models import Region
from healthaid.urls import urlpatterns as portal_urlpatterns

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>bare</title><ul>"
    "{% for row in rows %}<li>{{ row.code }} {{ row.name }}</li>{% endfor %}</ul>"
)


@login_required
def bare_list(request):
    from django.http import HttpResponse

    rows = Region.objects.order_by("code").only("code", "name")[:50]
    return HttpResponse(TEMPLATE.render({"rows": rows}, request))


urlpatterns = [path("bench/bare/", bare_list), *portal_urlpatterns]
