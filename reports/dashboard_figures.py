"""The figures of the dashboards (数据看板), gathered from ``reports.indicators`` and the apps'
selectors; nothing is counted here that those do not count.

* ``area_dashboard``: a region (a prefecture by county, a county by township, a township by
  village and team) and a period: contract rate and follow-up completion by area, the
  inpatient actual reimbursement ratio by month, referrals up and down by month, the progress
  of the latest five-ones campaign of the period, screenings and check-up coverage, free
  clinics. A fixed number of queries, whatever the size of the region and the period.
* ``hospital_dashboard``: hospital staff's institution: its referrals by month, its patients'
  settlements by month, and its non-reimbursable share against its cap.

Periods are chosen by a preset (this month, quarter, half-year, year: from the first day of
the current one to today) or custom dates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from contracts.selectors import quarter_bounds
from healthaid.choices import RegionLevel
from healthaid.models import Region
from healthaid.scoping import get_profile, scope_prefix_within
from medconsortium import selectors as consortium_selectors
from medconsortium import settlement_selectors
from medconsortium.choices import EncounterKind
from medconsortium.models import Referral
from reports.indicators import (
    Breakdown,
    NonReimbursableRow,
    ReimbursementFigures,
    SettlementIndicators,
    contract_breakdown,
    screening_indicators,
    settlement_area_prefix,
    settlement_indicators,
)
from screening import selectors as screening_selectors
from screening.models import Campaign
from screening.periods import half_of

# --- periods --------------------------------------------------------------------------------

PRESETS = ("month", "quarter", "half", "year", "custom")


def preset_bounds(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of the current month, quarter, half-year or year, and today."""
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return quarter_bounds(today)[0], today
    if preset == "half":
        return datetime.date(today.year, 1 if today.month <= 6 else 7, 1), today
    return datetime.date(today.year, 1, 1), today


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first day of every month [start, end] touches."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def month_window(
    month: datetime.date, start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The part of ``month`` inside [start, end]."""
    last = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return max(month, start), min(last, end)


# --- rows -----------------------------------------------------------------------------------


@dataclass
class SettlementMonth:
    """A month's inpatient settlements, their actual reimbursement ratio, and outpatients."""

    month: datetime.date
    start: datetime.date
    end: datetime.date
    inpatient: ReimbursementFigures
    outpatient: ReimbursementFigures


@dataclass
class ReferralMonth:
    month: datetime.date
    start: datetime.date
    end: datetime.date
    up: int = 0
    down: int = 0


def _settlement_months(user, region, start, end) -> list[SettlementMonth]:
    """The settlements ``settlement_indicators`` counts, by the month their encounter ended:
    one GROUP BY (``settlement_series`` would add the by-institution one, unused here)."""
    from medconsortium import settlement_selectors as sel
    from medconsortium.models import Settlement

    prefix = settlement_area_prefix(user, region)
    groups = {}
    if prefix is not None:
        settlements = sel.area_settlements(
            Settlement.objects.visible_to(user), prefix=prefix, start=start, end=end
        )
        groups = sel.sums_by(settlements, "month", "kind")
    return [
        SettlementMonth(
            month,
            *month_window(month, start, end),
            ReimbursementFigures(
                EncounterKind.INPATIENT, groups.get((month, EncounterKind.INPATIENT), sel.Sums())
            ),
            ReimbursementFigures(
                EncounterKind.OUTPATIENT,
                groups.get((month, EncounterKind.OUTPATIENT), sel.Sums()),
            ),
        )
        for month in months_between(start, end)
    ]


def cached_settlement_indicators(user, region, start, end):
    """``settlement_indicators``, from the cache while no settlement figure has changed."""
    return settlement_selectors.cached_figures(
        "indicators",
        user,
        region,
        (start, end),
        lambda: settlement_indicators(user, region=region, start=start, end=end),
    )


def _cached_settlement_months(user, region, start, end) -> list[SettlementMonth]:
    return settlement_selectors.cached_figures(
        "months", user, region, (start, end), lambda: _settlement_months(user, region, start, end)
    )


def _referral_months(referrals, prefix, start, end) -> list[ReferralMonth]:
    counts = consortium_selectors.referral_counts_by_month(
        referrals, prefix=prefix, start=start, end=end
    )
    rows = []
    for month in months_between(start, end):
        found = counts.get(month, {})
        rows.append(
            ReferralMonth(
                month, *month_window(month, start, end), found.get("up", 0), found.get("down", 0)
            )
        )
    return rows


# --- the area dashboard -----------------------------------------------------------------------


@dataclass
class AreaDashboard:
    region: Region
    start: datetime.date
    end: datetime.date
    contracts: Breakdown
    settlements: SettlementIndicators
    settlement_months: list[SettlementMonth]
    referral_months: list[ReferralMonth]
    campaign: Campaign | None
    five_ones: object | None  # screening.selectors.Progress
    screening: dict
    coverage: object  # screening.selectors.Coverage
    free_clinics: dict
    free_clinic_rows: list = field(default_factory=list)

    @property
    def referrals_up(self) -> int:
        return sum(row.up for row in self.referral_months)

    @property
    def referrals_down(self) -> int:
        return sum(row.down for row in self.referral_months)

    @property
    def child_level(self) -> int:
        return {
            RegionLevel.PROVINCE: RegionLevel.PREFECTURE,
            RegionLevel.PREFECTURE: RegionLevel.COUNTY,
            RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
        }.get(self.region.level, RegionLevel.VILLAGE)


def latest_campaign(user, region: Region, start: datetime.date, end: datetime.date):
    """The five-ones campaign of the region's county (or counties) running in the period
    that started last; ``None`` when there is none."""
    campaigns = Campaign.objects.visible_to(user).filter(starts_on__lte=end, ends_on__gte=start)
    if region.level >= RegionLevel.COUNTY:
        campaigns = campaigns.filter(county_id=region.code[:6].ljust(12, "0"))
    else:
        campaigns = campaigns.filter(county__code__startswith=region.prefix)
    return campaigns.order_by("-starts_on", "-pk").first()


def area_dashboard(
    user,
    *,
    region: Region,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> AreaDashboard:
    """Every section's figures for ``region`` (inside the user's scope) and [start, end]."""
    today = today or timezone.localdate()
    prefix = scope_prefix_within(user, region)
    referrals = Referral.objects.visible_to(user)
    campaign = latest_campaign(user, region, start, end)
    five_ones = None
    if campaign is not None:
        five_ones = screening_selectors.campaign_progress(
            campaign, user, region=region, today=today
        )
    year, half = half_of(end)
    free_total, free_rows = screening_selectors.free_clinic_totals(
        user, region=region, start=start, end=end
    )
    return AreaDashboard(
        region=region,
        start=start,
        end=end,
        contracts=contract_breakdown(user, region=region, start=start, end=end, today=today),
        settlements=cached_settlement_indicators(user, region, start, end),
        settlement_months=_cached_settlement_months(user, region, start, end),
        referral_months=_referral_months(referrals, prefix or "", start, end)
        if prefix is not None
        else [],
        campaign=campaign,
        five_ones=five_ones,
        screening=screening_selectors.cached_figures(
            "indicators",
            user,
            region,
            (start, end),
            lambda: screening_indicators(user, region=region, start=start, end=end),
        ),
        coverage=screening_selectors.cached_figures(
            "coverage",
            user,
            region,
            (year, half),
            lambda: screening_selectors.check_up_coverage(
                user, year=year, half=half, region=region
            ),
        ),
        free_clinics=free_total.as_json(),
        free_clinic_rows=free_rows,
    )


# --- the hospital dashboard -------------------------------------------------------------------


@dataclass
class HospitalDashboard:
    institution: object
    region: Region
    start: datetime.date
    end: datetime.date
    settlements: SettlementIndicators
    settlement_months: list[SettlementMonth]
    referral_months: list[ReferralMonth]
    own: NonReimbursableRow | None

    @property
    def referrals_up(self) -> int:
        return sum(row.up for row in self.referral_months)

    @property
    def referrals_down(self) -> int:
        return sum(row.down for row in self.referral_months)


def hospital_dashboard(user, *, start: datetime.date, end: datetime.date) -> HospitalDashboard:
    """Hospital staff's institution: the referrals it sent or received (wherever the patient
    lives), and the settlements of its patients resident in its region (as the settlement
    pages count them) with its non-reimbursable share against its cap."""
    profile = get_profile(user)
    institution, region = profile.institution, profile.region
    settlements = cached_settlement_indicators(user, region, start, end)
    own = next(
        (
            row
            for row in settlements.non_reimbursable
            if institution is not None and row.institution.pk == institution.pk
        ),
        None,
    )
    return HospitalDashboard(
        institution=institution,
        region=region,
        start=start,
        end=end,
        settlements=settlements,
        settlement_months=_cached_settlement_months(user, region, start, end),
        referral_months=_referral_months(Referral.objects.visible_to(user), "", start, end),
        own=own,
    )
