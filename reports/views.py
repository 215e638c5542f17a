"""Pages of reports: figures computed by ``reports.indicators`` from every app."""

from __future__ import annotations

import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from contracts.forms import CountyViewForm
from healthaid.choices import Role
from healthaid.figures import format_rate
from healthaid.models import Region
from healthaid.rows import detail_url
from healthaid.scoping import get_profile
from healthaid.views import RoleRequiredMixin
from reports.indicators import contract_breakdown_prepared

COUNTY_VIEW_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR})


class CountyView(LoginRequiredMixin, RoleRequiredMixin, TemplateView):
    """Contract rate and follow-up completion by township (or village) and by team."""

    template_name = "contracts/county_view.html"
    allowed_roles = COUNTY_VIEW_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        form = CountyViewForm(self.request.GET or None, today=today)
        start, end = datetime.date(today.year, 1, 1), today
        region = None
        if form.is_valid():
            start, end = form.cleaned_data["start"] or start, form.cleaned_data["end"] or end
            code = form.cleaned_data["region"]
            if code:
                region = Region.objects.visible_to(user).by_code(code)
                if region is None:
                    raise Http404
        profile = get_profile(user)
        if region is None:
            region = profile.region if profile else None
        drill = region is not None and region.level < 12
        period_query = f"start={start.isoformat()}&end={end.isoformat()}"
        # The rows as printed, cached with the figures: both depend only on the key's
        # arguments (drill on the region, the query on the period).
        printed = contract_breakdown_prepared(
            user,
            region=region,
            start=start,
            end=end,
            today=today,
            kind="county-view",
            prepare=lambda breakdown: _printed(breakdown, drill, period_query),
        )
        # The breadcrumb: the regions between the scope and the one shown (none at the scope).
        at_scope = region is None or (profile is not None and region.pk == profile.region_id)
        context.update(
            form=form,
            region=region,
            ancestors=[] if at_scope else list(Region.objects.visible_to(user).above(region)),
            drill=drill,
            period_query=period_query,
            **printed,
        )
        return context


def _printed(breakdown, drill: bool, period_query: str) -> dict:
    """The breakdown as the page prints it, in plain values: the template only prints them.

    A county's page has a hundred area and team rows of six figures; worked out in the
    template, each cell was a few look-ups, a localisation and a rate computed again.
    Rows carry their area's code, team's id or disease's code for what reads the page.
    """

    def cells(indicators) -> dict:
        return {
            "target": indicators.target,
            "contracted": indicators.contracted,
            "contract_rate": format_rate(indicators.contract_rate),
            "key_group_contract_rate": format_rate(indicators.key_group_contract_rate),
            "completion_rate": format_rate(indicators.completion_rate),
            "windows_done": indicators.windows_done,
            "windows_due": indicators.windows_due,
        }

    team_url = detail_url("contracts:team-detail")
    return {
        "total": breakdown.total,
        "period_start": breakdown.start,
        "period_end": breakdown.end,
        "area_rows": [
            {
                "code": row.region.code,
                "name": row.region.name,
                "url": (
                    f"?region={row.region.code}&{period_query}"
                    if drill and row.region.level < 12
                    else ""
                ),
                **cells(row.indicators),
            }
            for row in breakdown.areas
        ],
        "team_rows": [
            {
                "team_id": row.team.pk,
                "name": row.team.name,
                "url": team_url(row.team.pk),
                **cells(row.indicators),
            }
            for row in breakdown.teams
        ],
        "disease_rows": [
            {
                "code": row.disease.code,
                "name": row.disease.name,
                "windows_due": row.windows_due,
                "windows_done": row.windows_done,
                "completion_rate": format_rate(row.completion_rate),
            }
            for row in breakdown.diseases
        ],
    }
