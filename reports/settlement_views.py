"""Settlement figure pages (实际报销比例, the non-reimbursable list): reports' own pages over
``reports.indicators``, served in the ``settlements`` namespace beside medconsortium's record
pages (``healthaid/urls.py`` joins them), since no app imports reports."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from healthaid.views import RoleRequiredMixin
from medconsortium.settlement_views import FIGURE_ROLES, _PeriodMixin
from reports.indicators import settlement_indicators, settlement_series, three_batches


class SettlementFiguresView(LoginRequiredMixin, RoleRequiredMixin, _PeriodMixin, TemplateView):
    """Reimbursement figures of a region and period, by institution and by month."""

    template_name = "medconsortium/settlements/figures.html"
    allowed_roles = FIGURE_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.period()
        user, region, start, end = (
            self.request.user,
            period["region"],
            period["start"],
            period["end"],
        )
        figures = settlement_indicators(user, region=region, start=start, end=end)
        series = settlement_series(user, region=region, start=start, end=end)
        context.update(
            period,
            figures=figures,
            batches=three_batches(user, region=region, start=start, end=end),
            chart={
                "institutions": {
                    "labels": [r.label for r in series["institutions"]],
                    "inpatient": [str(r.inpatient.total) for r in series["institutions"]],
                    "outpatient": [str(r.outpatient.total) for r in series["institutions"]],
                },
                "months": {
                    "labels": [r.label for r in series["months"]],
                    "inpatient": [str(r.inpatient.total) for r in series["months"]],
                    "outpatient": [str(r.outpatient.total) for r in series["months"]],
                    "out_of_pocket": [
                        str(r.inpatient.out_of_pocket + r.outpatient.out_of_pocket)
                        for r in series["months"]
                    ],
                },
                "names": {
                    "inpatient": _("Inpatient"),
                    "outpatient": _("Outpatient"),
                    "out_of_pocket": _("Out of pocket"),
                    "yuan": _("yuan"),
                },
            },
            series=series,
        )
        return context


class NonReimbursableView(LoginRequiredMixin, RoleRequiredMixin, _PeriodMixin, TemplateView):
    """The non-reimbursable share of each institution against its cap; over the cap first."""

    template_name = "medconsortium/settlements/non_reimbursable.html"
    allowed_roles = FIGURE_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.period()
        figures = settlement_indicators(
            self.request.user, region=period["region"], start=period["start"], end=period["end"]
        )
        only_over = self.request.GET.get("over") == "1"
        rows = figures.over_cap if only_over else figures.non_reimbursable
        context.update(
            period,
            rows=rows,
            only_over=only_over,
            over_count=len(figures.over_cap),
            excess_total=sum((r.excess for r in figures.over_cap), start=0),
        )
        return context
