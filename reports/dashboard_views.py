"""The dashboards (数据看板): one page, whose content follows the role.

County staff see their county by township, township doctors their township by village and
team, supervisors their prefecture by county with drill-down into a county and then a
township, hospital staff their institution. The figures come from ``reports.dashboard_figures``
(which reads ``reports.indicators`` and the apps' selectors); this module only chooses the
region and period, and lays the figures out as tables with links to the records behind each
figure and as chart data for ``static/js/dashboard.js``.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.generic import TemplateView

from healthaid.choices import RegionLevel, Role
from healthaid.figures import format_rate, yuan_to_wan
from healthaid.forms import BootstrapForm
from healthaid.models import Region
from healthaid.scoping import get_profile
from healthaid.views import RoleRequiredMixin
from reports import dashboard_figures as figures

DASHBOARD_ROLES = frozenset(
    {Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF, Role.SUPERVISOR}
)
# The roles that read the contract-rate page (completion by team and disease).
CONTRACT_RATE_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR})
# A custom period is at most this long (the charts are by month).
MAX_DAYS = 3 * 366

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERIOD_CHOICES = [
    ("month", pgettext_lazy("period", "This month")),
    ("quarter", pgettext_lazy("period", "This quarter")),
    ("half", pgettext_lazy("period", "This half-year")),
    ("year", pgettext_lazy("period", "This year")),
    ("custom", pgettext_lazy("period", "Custom")),
]


class DashboardForm(BootstrapForm):
    region = forms.CharField(label=gettext_lazy("Region"), required=False)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, regions: list[Region] | None, **kwargs):
        super().__init__(*args, **kwargs)
        if regions is None:
            del self.fields["region"]
        else:
            self.fields["region"].widget = forms.Select(
                choices=[(r.code, r.path) for r in regions],
                attrs={"class": "form-select form-select-sm"},
            )

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not (start and end):
                raise forms.ValidationError(_("A custom period needs both dates."))
            if start > end:
                raise forms.ValidationError(_("The start date must not be after the end date."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("A period is at most three years."))
        return data

    def bounds(self, today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
        preset = "year"
        if self.is_bound and self.is_valid():
            preset = self.cleaned_data.get("period") or "year"
            if preset == "custom":
                return preset, self.cleaned_data["start"], self.cleaned_data["end"]
        start, end = figures.preset_bounds(preset, today)
        return preset, start, end


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _percent(value) -> float | None:
    return None if value is None else float(value)


def _month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def _chart(chart_id, title, categories, series, *, percent=False, kind="bar") -> dict:
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "kind": kind,
        "title": str(title),
        "percent": percent,
        "categories": [str(c) for c in categories],
        "series": [{"name": str(name), "values": values} for name, values in series],
    }


class DashboardView(LoginRequiredMixin, RoleRequiredMixin, TemplateView):
    """The dashboard of the user's role, for a region of their scope and a period."""

    allowed_roles = DASHBOARD_ROLES

    def get_template_names(self):
        if self.hospital:
            return ["reports/dashboard_hospital.html"]
        return ["reports/dashboard.html"]

    def dispatch(self, request, *args, **kwargs):
        profile = get_profile(request.user)
        self.hospital = profile is not None and profile.role == Role.HOSPITAL_STAFF
        return super().dispatch(request, *args, **kwargs)

    # --- choosing ---------------------------------------------------------------------------

    def regions(self) -> list[Region]:
        """The regions the chooser offers: the scope's own region and those below it down to
        townships."""
        return list(
            Region.objects.visible_to(self.request.user)
            .filter(level__lte=RegionLevel.TOWNSHIP)
            .order_by("code")
        )

    def chosen_region(self, form, regions: list[Region]) -> Region:
        code = (self.request.GET.get("region") or "").strip()
        if code:
            code = code.ljust(12, "0")[:12]
            for region in regions:
                if region.code == code:
                    return region
            raise Http404
        profile = get_profile(self.request.user)
        if profile is not None:
            return profile.region
        if not regions:
            raise Http404
        return min(regions, key=lambda r: (r.level, r.code))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        regions = None if self.hospital else self.regions()
        form = DashboardForm(self.request.GET or None, regions=regions)
        preset, start, end = form.bounds(today)
        period = {"period": preset}
        if preset == "custom":
            period.update(start=start.isoformat(), end=end.isoformat())
        context.update(form=form, start=start, end=end, period_query=urlencode(period))
        if self.hospital:
            context.update(self.hospital_context(user, start, end))
            return context
        region = self.chosen_region(form, regions)
        profile = get_profile(user)
        at_scope = profile is None or region.pk == profile.region_id
        context["ancestors"] = (
            []
            if at_scope
            else [r for r in regions if r.level < region.level and r.contains(region)]
        )
        data = figures.area_dashboard(user, region=region, start=start, end=end, today=today)
        context.update(self.area_context(user, data, period))
        return context

    # --- the area dashboard -------------------------------------------------------------------

    def area_context(self, user, data: figures.AreaDashboard, period: dict) -> dict:
        start, end = data.start, data.end
        dates = {"start": start.isoformat(), "end": end.isoformat()}
        drill = data.child_level <= RegionLevel.TOWNSHIP
        profile = get_profile(user)
        rate_page = (profile is None and user.is_superuser) or (
            profile is not None and profile.role in CONTRACT_RATE_ROLES
        )

        def contract_row(region, indicators):
            code = region.code
            return {
                "name": region.name,
                "url": _url("dashboard:dashboard", region=code, **period)
                if drill and region.level <= RegionLevel.TOWNSHIP and region != data.region
                else "",
                "target": indicators.target,
                "target_url": _url("households:member-list", region=code),
                "contracted": indicators.contracted,
                "contracted_url": _url(
                    "contracts:contract-list",
                    region=code,
                    in_effect_from=dates["start"],
                    in_effect_to=dates["end"],
                    per_member="true",
                ),
                "contract_rate": format_rate(indicators.contract_rate),
                "due": indicators.windows_due,
                "done": indicators.windows_done,
                "completion_rate": format_rate(indicators.completion_rate),
                "completion_url": _url("reports:county-view", region=code, **dates)
                if rate_page
                else "",
            }

        breakdown = data.contracts
        contract_rows = [contract_row(row.region, row.indicators) for row in breakdown.areas]
        contract_total = contract_row(data.region, breakdown.total)
        team_rows = [
            {
                "name": row.team.name,
                "url": reverse("contracts:team-detail", args=[row.team.pk]),
                "target": row.indicators.target,
                "contracted": row.indicators.contracted,
                "contract_rate": format_rate(row.indicators.contract_rate),
                "due": row.indicators.windows_due,
                "done": row.indicators.windows_done,
                "completion_rate": format_rate(row.indicators.completion_rate),
            }
            for row in breakdown.teams
        ]

        region_code = data.region.code
        settlement_total = self.settlement_totals(data.settlements, region_code, dates)
        settlement_months = self.settlement_month_rows(data.settlement_months, region_code)
        referral_months = [
            {
                "label": _month_label(row.month),
                "up": row.up,
                "down": row.down,
                "up_url": _url(
                    "medconsortium:referral-list",
                    region=region_code,
                    direction="up",
                    start=row.start.isoformat(),
                    end=row.end.isoformat(),
                ),
                "down_url": _url(
                    "medconsortium:referral-list",
                    region=region_code,
                    direction="down",
                    start=row.start.isoformat(),
                    end=row.end.isoformat(),
                ),
            }
            for row in data.referral_months
        ]
        referral_totals = {
            "up": data.referrals_up,
            "down": data.referrals_down,
            "up_url": _url(
                "medconsortium:referral-list", region=region_code, direction="up", **dates
            ),
            "down_url": _url(
                "medconsortium:referral-list", region=region_code, direction="down", **dates
            ),
        }

        five_ones = None
        if data.five_ones is not None:
            progress = data.five_ones
            five_ones = {
                "campaign": data.campaign,
                "url": reverse("screening:campaign-detail", args=[data.campaign.pk]),
                "targeted": progress.total.targeted,
                "all_done": progress.total.all_done,
                "all_rate": format_rate(progress.total.all_rate),
                "overdue": progress.total.overdue,
                "items": [
                    {"name": item.name, "done": done, "rate": format_rate(item_rate)}
                    for item, done, item_rate in progress.item_rows()
                ],
                "areas": [
                    {
                        "name": row.label,
                        "targeted": row.tally.targeted,
                        "all_done": row.tally.all_done,
                        "all_rate": format_rate(row.tally.all_rate),
                    }
                    for row in (
                        progress.villages
                        if data.region.level >= RegionLevel.TOWNSHIP
                        else progress.townships
                    )
                ],
            }

        coverage = data.coverage
        coverage_rows = [
            {
                "name": row.region.name,
                "members": row.members,
                "checked": row.checked,
                "rate": format_rate(row.rate),
                "url": _url(
                    "screening:checkup-coverage",
                    region=row.region.code,
                    year=coverage.year,
                    half=coverage.half,
                ),
            }
            for row in coverage.rows
        ]
        screening = {
            **data.screening,
            "abnormal_rate": format_rate(data.screening["abnormal_rate"]),
            "checkup_coverage": format_rate(data.screening["checkup_coverage"]),
            "screenings_url": _url(
                "screening:screening-list", region=region_code, per_member="true", **dates
            ),
            "abnormal_url": _url(
                "screening:screening-list",
                region=region_code,
                abnormal="true",
                per_member="true",
                **dates,
            ),
            "coverage_url": _url(
                "screening:checkup-coverage",
                region=region_code,
                year=coverage.year,
                half=coverage.half,
            ),
            "year": coverage.year,
            "half": coverage.half,
        }
        clinic_rows = [
            {
                "name": region.name,
                "sessions": totals.sessions,
                "served": totals.served,
                "value": f"{totals.total_value:.2f}",
                "url": _url("screening:freeclinic-list", region=region.code, **dates),
            }
            for region, totals in data.free_clinic_rows
        ]
        clinics = {
            **data.free_clinics,
            "url": _url("screening:freeclinic-list", region=region_code, **dates),
        }

        charts = [
            _chart(
                "chart-contracts",
                _("Contract rate and follow-up completion"),
                [row.region.name for row in breakdown.areas],
                [
                    (
                        _("Contract rate"),
                        [_percent(r.indicators.contract_rate) for r in breakdown.areas],
                    ),
                    (
                        _("Follow-up completion"),
                        [_percent(r.indicators.completion_rate) for r in breakdown.areas],
                    ),
                ],
                percent=True,
            ),
            self.ratio_chart(data.settlement_months),
            _chart(
                "chart-referrals",
                _("Referrals by month"),
                [_month_label(r.month) for r in data.referral_months],
                [
                    (_("Referred up"), [r.up for r in data.referral_months]),
                    (_("Referred down"), [r.down for r in data.referral_months]),
                ],
            ),
            _chart(
                "chart-coverage",
                _("Check-up coverage"),
                [row.region.name for row in coverage.rows],
                [(_("Check-up coverage"), [_percent(row.rate) for row in coverage.rows])],
                percent=True,
            ),
            _chart(
                "chart-clinics",
                _("Free clinics: people served"),
                [region.name for region, _totals in data.free_clinic_rows],
                [(_("People served"), [t.served for _r, t in data.free_clinic_rows])],
            ),
        ]
        if five_ones is not None:
            charts.append(
                _chart(
                    "chart-five-ones",
                    _("Five-ones progress"),
                    [item.name for item, _d, _r in data.five_ones.item_rows()],
                    [
                        (
                            pgettext("five-ones", "Completion"),
                            [_percent(r) for _i, _d, r in data.five_ones.item_rows()],
                        )
                    ],
                    percent=True,
                )
            )
        return {
            "region": data.region,
            "child_level_label": RegionLevel(data.child_level).label,
            "contract_rows": contract_rows,
            "contract_total": contract_total,
            "team_rows": team_rows if data.region.level >= RegionLevel.TOWNSHIP else [],
            "show_teams": data.region.level >= RegionLevel.TOWNSHIP,
            "settlement": settlement_total,
            "settlement_months": settlement_months,
            "referral_months": referral_months,
            "referrals": referral_totals,
            "five_ones": five_ones,
            "screening": screening,
            "coverage_rows": coverage_rows,
            "clinics": clinics,
            "clinic_rows": clinic_rows,
            "charts": {chart["id"].replace("-", "_"): chart for chart in charts},
        }

    # --- the settlement pieces both dashboards show -----------------------------------------

    @staticmethod
    def settlement_totals(settlements, region_code: str, dates: dict) -> dict:
        inpatient, outpatient = settlements.inpatient, settlements.outpatient
        return {
            "inpatient_times": inpatient.person_times,
            "inpatient_url": _url(
                "settlements:encounter-list", kind="inpatient", region=region_code, **dates
            ),
            "inpatient_total_wan": yuan_to_wan(inpatient.sums.total),
            "inpatient_out_of_pocket_wan": yuan_to_wan(inpatient.sums.out_of_pocket),
            "ratio": format_rate(inpatient.actual_reimbursement_ratio),
            "out_of_pocket_ratio": format_rate(inpatient.out_of_pocket_ratio),
            "outpatient_visits": outpatient.person_times,
            "outpatient_url": _url(
                "settlements:encounter-list", kind="outpatient", region=region_code, **dates
            ),
            "outpatient_total_wan": yuan_to_wan(outpatient.sums.total),
            "figures_url": _url("settlements:figures", region=region_code, **dates),
        }

    @staticmethod
    def settlement_month_rows(months, region_code: str) -> list[dict]:
        return [
            {
                "label": _month_label(row.month),
                "times": row.inpatient.person_times,
                "url": _url(
                    "settlements:encounter-list",
                    kind="inpatient",
                    region=region_code,
                    start=row.start.isoformat(),
                    end=row.end.isoformat(),
                ),
                "total_wan": yuan_to_wan(row.inpatient.sums.total),
                "out_of_pocket_wan": yuan_to_wan(row.inpatient.sums.out_of_pocket),
                "ratio": format_rate(row.inpatient.actual_reimbursement_ratio),
            }
            for row in months
        ]

    @staticmethod
    def ratio_chart(months) -> dict:
        return _chart(
            "chart-ratio",
            _("Inpatient actual reimbursement ratio by month"),
            [_month_label(r.month) for r in months],
            [
                (
                    _("Actual reimbursement ratio"),
                    [_percent(r.inpatient.actual_reimbursement_ratio) for r in months],
                )
            ],
            percent=True,
            kind="line",
        )

    # --- the hospital dashboard ---------------------------------------------------------------

    def hospital_context(self, user, start, end) -> dict:
        data = figures.hospital_dashboard(user, start=start, end=end)
        dates = {"start": start.isoformat(), "end": end.isoformat()}
        region_code = data.region.code
        referral_months = [
            {
                "label": _month_label(row.month),
                "up": row.up,
                "down": row.down,
                "up_url": _url(
                    "medconsortium:referral-list",
                    direction="up",
                    start=row.start.isoformat(),
                    end=row.end.isoformat(),
                ),
                "down_url": _url(
                    "medconsortium:referral-list",
                    direction="down",
                    start=row.start.isoformat(),
                    end=row.end.isoformat(),
                ),
            }
            for row in data.referral_months
        ]
        own = data.own
        return {
            "institution": data.institution,
            "region": data.region,
            "settlement": self.settlement_totals(data.settlements, region_code, dates),
            "settlement_months": self.settlement_month_rows(data.settlement_months, region_code),
            "referral_months": referral_months,
            "referrals": {
                "up": data.referrals_up,
                "down": data.referrals_down,
                "up_url": _url("medconsortium:referral-list", direction="up", **dates),
                "down_url": _url("medconsortium:referral-list", direction="down", **dates),
            },
            "own": None
            if own is None
            else {
                "total": f"{own.total:.2f}",
                "non_reimbursable": f"{own.non_reimbursable:.2f}",
                "share": format_rate(own.share),
                "cap": format_rate(own.cap),
                "over_cap": own.over_cap,
                "excess": f"{own.excess:.2f}",
                "url": _url("settlements:non-reimbursable", region=region_code, **dates),
            },
            "charts": {
                "chart_ratio": self.ratio_chart(data.settlement_months),
                "chart_referrals": _chart(
                    "chart-referrals",
                    _("Referrals by month"),
                    [_month_label(r.month) for r in data.referral_months],
                    [
                        (_("Referred up"), [r.up for r in data.referral_months]),
                        (_("Referred down"), [r.down for r in data.referral_months]),
                    ],
                ),
            },
        }
