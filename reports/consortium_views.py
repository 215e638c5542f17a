"""The consortium summary page (seed 002's 楚雄市 figures): reports' own page over
``reports.indicators.consortium_summary``, served in the ``medconsortium`` namespace beside the
consortium's record pages (``healthaid/urls.py`` joins them), since no app imports reports."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from healthaid.choices import RegionLevel
from healthaid.models import Region
from healthaid.views import RoleRequiredMixin
from medconsortium.choices import ConsultationKind
from medconsortium.forms import SummaryForm
from medconsortium.views import SUMMARY_ROLES
from reports.indicators import consortium_summary, format_rate


class SummaryView(RoleRequiredMixin, TemplateView):
    """The county summary: seed 002's figures for a region and period, with a chart of the
    expert sessions by host institution (drawn by static/medconsortium/summary.js)."""

    allowed_roles = SUMMARY_ROLES
    template_name = "medconsortium/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        regions = (
            Region.objects.visible_to(user).filter(level__lte=RegionLevel.TOWNSHIP).order_by("code")
        )
        form = SummaryForm(self.request.GET or None, regions=regions)
        start, end = form.period()
        region = form.cleaned_data.get("region") if form.is_bound and form.is_valid() else None
        summary = consortium_summary(user, region=region, start=start, end=end)
        context.update(
            form=form,
            summary=summary,
            use_rate=format_rate(summary.reserved_slot_use_rate),
            bed_rate=format_rate(summary.reserved_bed_use_rate),
            remote=[
                (ConsultationKind(kind).label, n)
                for kind, n in summary.remote_consultations.items()
            ],
            chart=json.dumps(
                {
                    "institutions": [row.institution.name for row in summary.by_institution],
                    "series": [
                        {
                            "name": str(label),
                            "values": [getattr(row.totals, key) for row in summary.by_institution],
                        }
                        for key, label in (
                            ("outpatients", _("Outpatients")),
                            ("teaching_rounds", _("Teaching rounds")),
                            ("case_discussions", _("Case discussions")),
                            ("trainings", _("Trainings")),
                        )
                    ],
                },
                ensure_ascii=False,
            ),
        )
        return context
