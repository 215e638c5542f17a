"""Pages of reports: figures computed by ``reports.indicators`` from every app."""

from __future__ import annotations

import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from contracts.forms import CountyViewForm
from healthaid.choices import Role
from healthaid.models import Region
from healthaid.scoping import get_profile
from healthaid.views import RoleRequiredMixin
from reports.indicators import contract_breakdown

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
        breakdown = contract_breakdown(user, region=region, start=start, end=end, today=today)
        # The breadcrumb: the regions between the scope and the one shown (none at the scope).
        at_scope = region is None or (profile is not None and region.pk == profile.region_id)
        context.update(
            form=form,
            breakdown=breakdown,
            region=region,
            ancestors=[] if at_scope else list(Region.objects.visible_to(user).above(region)),
            drill=region is not None and region.level < 12,
            period_query=f"start={start.isoformat()}&end={end.isoformat()}",
        )
        return context
