"""Reads of data approval: each unit's status for a period, and the figures a unit submits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from approvals.choices import NOT_SUBMITTED, NOT_SUBMITTED_LABEL, ApprovalStatus, UnitKind
from approvals.models import Approval
from approvals.periods import months_between, period_label
from approvals.versions import approvals_version
from contracts.models import FollowUp
from healthaid.choices import InstitutionKind, RegionLevel, choice_labels
from healthaid.figures import yuan_to_wan
from healthaid.models import Institution, Region
from healthaid.rows import detail_url
from healthaid.versions import cached_for_scope, regions_version
from medconsortium.choices import EncounterKind
from medconsortium.models import Settlement
from screening.models import CheckUp, Screening

__all__ = [
    "UnitStatus",
    "approval_rows",
    "cached_period_status",
    "period_status",
    "SubmittedFigure",
    "unit_figures",
]

# Institutions that submit no figures: a village clinic's records are its township's (the
# township submits them), and the health bureau reviews. Listed as units, the county's 90-odd
# village clinics and its bureau stood "not submitted" for every period.
NOT_SUBMITTING_KINDS = frozenset({InstitutionKind.VILLAGE_CLINIC, InstitutionKind.HEALTH_BUREAU})


@dataclass(frozen=True)
class UnitStatus:
    unit_kind: str  # "township" | "institution"
    unit_key: str  # region code for a township, str(institution.pk) for an institution
    unit_name: str
    status: str  # "approved" | "submitted" | "returned" | "not_submitted"
    status_label: str  # translated label
    decided_on: datetime.date | None
    decided_by: str  # display name, "" if none


def _display(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _covers(approvals: list[Approval], start: datetime.date, end: datetime.date) -> bool:
    """Whether the approved periods in ``approvals`` cover every calendar month of the period."""
    months = set(months_between(start, end))
    for approval in approvals:
        months -= set(months_between(approval.start, approval.end))
    return not months


def _status(approvals: list[Approval], start, end) -> tuple[str, str, Approval | None]:
    exact = next((a for a in approvals if a.start == start and a.end == end), None)
    if exact is not None and exact.status == ApprovalStatus.APPROVED:
        return exact.status, exact.get_status_display(), exact
    approved = [a for a in approvals if a.status == ApprovalStatus.APPROVED]
    if approved and _covers(approved, start, end):
        latest = max(approved, key=lambda a: (a.decided_at or a.updated_at, a.pk))
        return ApprovalStatus.APPROVED, ApprovalStatus.APPROVED.label, latest
    if exact is not None:
        return exact.status, exact.get_status_display(), exact
    return NOT_SUBMITTED, str(NOT_SUBMITTED_LABEL), None


def approval_rows(page) -> list[dict]:
    """The rows of a page of the approval list as plain values, labels resolved once a page:
    one query, as iterating the page would run, without the approvals', regions',
    institutions' and users' other columns or model instances."""
    statuses = choice_labels(ApprovalStatus.choices)
    detail = detail_url("approvals:detail")
    periods: dict[tuple, str] = {}  # a page holds a dozen periods: each label made once
    rows = []
    for row in page.values(
        "pk",
        "institution__name",
        "region__name",
        "period_kind",
        "year",
        "number",
        "status",
        "submitted_at",
        "decided_by__username",
    ):
        submitted = row["submitted_at"]
        period = (row["period_kind"], row["year"], row["number"])
        if period not in periods:
            periods[period] = period_label(*period)
        rows.append(
            {
                "url": detail(row["pk"]),
                "unit": row["institution__name"] or row["region__name"],
                "period": periods[period],
                "status": row["status"],
                "status_label": statuses.get(row["status"], row["status"]),
                "submitted_at": (
                    timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M") if submitted else ""
                ),
                "decided_by": row["decided_by__username"] or "",
            }
        )
    return rows


_STATUS_FIELDS = (
    "region_id",
    "institution_id",
    "start",
    "end",
    "status",
    "decided_at",
    "updated_at",
    "decided_by__first_name",
    "decided_by__last_name",
    "decided_by__username",
)


def period_status(region: Region, start: datetime.date, end: datetime.date) -> list[UnitStatus]:
    """Every township under ``region`` and every institution under it that submits figures
    (not ``NOT_SUBMITTING_KINDS``), with the status of their figures for ``start``–``end``:
    approved when an approval exists for that exact period or the approved periods inside it
    cover every calendar month of it (twelve approved months approve the year). Three
    queries, however many units."""
    townships = list(
        Region.objects.within(region)
        .filter(level=RegionLevel.TOWNSHIP)
        .only("code", "name")
        .order_by("code")
    )
    institutions = list(
        Institution.objects.filter(region__code__startswith=region.prefix)
        .exclude(kind__in=NOT_SUBMITTING_KINDS)
        .only("id", "name", "region_id")
        .order_by("region_id", "name")
    )
    by_unit: dict[tuple[str, str], list[Approval]] = {}
    # Only what the statuses read: a county's page shows them on every view.
    for approval in (
        Approval.objects.filter(
            region__code__startswith=region.prefix, start__gte=start, end__lte=end
        )
        .select_related("decided_by")
        .only(*_STATUS_FIELDS)
    ):
        key = (
            (UnitKind.INSTITUTION, str(approval.institution_id))
            if approval.institution_id
            else (UnitKind.TOWNSHIP, approval.region_id)
        )
        by_unit.setdefault(key, []).append(approval)
    units = [(UnitKind.TOWNSHIP, t.code, t.name) for t in townships] + [
        (UnitKind.INSTITUTION, str(i.pk), i.name) for i in institutions
    ]
    rows = []
    for kind, key, name in units:
        status, label, decided = _status(by_unit.get((kind, key), []), start, end)
        rows.append(
            UnitStatus(
                unit_kind=str(kind),
                unit_key=key,
                unit_name=name,
                status=str(status),
                status_label=str(label),
                decided_on=(decided.decided_at.date() if decided and decided.decided_at else None),
                decided_by=_display(decided.decided_by) if decided else "",
            )
        )
    return rows


@dataclass(frozen=True)
class SubmittedFigure:
    label: str
    value: str


STATUS_CACHE_SECONDS = 600


def approval_list_count(user, filters: str, compute) -> int:
    """The approval list's count (``compute``), cached per scope and filters asked for
    (``healthaid.paging.filter_key``) under the approvals' version: every submission and
    decision moves it, and they are the only writers of approvals (the demo moves it too)."""
    return cached_for_scope(
        "approvals:list-count",
        "count",
        user,
        None,
        [filters],
        [approvals_version()],
        compute,
        STATUS_CACHE_SECONDS,
    )


def cached_period_status(
    user, region: Region, start: datetime.date, end: datetime.date
) -> list[UnitStatus]:
    """``period_status`` as the approval page shows it on every view: cached per scope,
    period and language under the approvals' version (moved by every submission and
    decision) and the tree's (moved by a region's or an institution's change)."""
    return cached_for_scope(
        "approvals:period-status",
        "units",
        user,
        region,
        [start.isoformat(), end.isoformat(), get_language()],
        [approvals_version(), regions_version()],
        lambda: period_status(region, start, end),
        STATUS_CACHE_SECONDS,
    )


def unit_figures(
    *, region: Region, institution: Institution | None, start: datetime.date, end: datetime.date
) -> list[SubmittedFigure]:
    """What a unit submits for a period, read-only: a township's follow-ups, screenings and
    check-ups; an institution's settlements. One or two aggregate queries."""
    if institution is not None:
        totals = Settlement.objects.filter(
            encounter__institution=institution,
            encounter__discharged_on__range=(start, end),
        ).aggregate(
            outpatient=Count("pk", filter=Q(encounter__kind=EncounterKind.OUTPATIENT)),
            inpatient=Count("pk", filter=Q(encounter__kind=EncounterKind.INPATIENT)),
            total=Sum("total"),
            out_of_pocket=Sum("out_of_pocket"),
        )
        return [
            SubmittedFigure(_("Outpatient settlements"), str(totals["outpatient"])),
            SubmittedFigure(_("Inpatient settlements"), str(totals["inpatient"])),
            SubmittedFigure(
                _("Total cost (10,000 yuan)"),
                str(yuan_to_wan(Decimal(totals["total"] or 0))),
            ),
            SubmittedFigure(
                _("Out of pocket (10,000 yuan)"),
                str(yuan_to_wan(Decimal(totals["out_of_pocket"] or 0))),
            ),
        ]
    where = {"member__household__village__code__startswith": region.prefix}
    follow_ups = FollowUp.objects.filter(visited_on__range=(start, end), **where).count()
    screenings = Screening.objects.filter(screened_on__range=(start, end), **where).aggregate(
        total=Count("pk"), abnormal=Count("pk", filter=Q(abnormal=True))
    )
    check_ups = CheckUp.objects.filter(checked_on__range=(start, end), **where).count()
    return [
        SubmittedFigure(_("Follow-up visits"), str(follow_ups)),
        SubmittedFigure(_("Screening person-times"), str(screenings["total"])),
        SubmittedFigure(_("Screenings with abnormal results"), str(screenings["abnormal"])),
        SubmittedFigure(_("Health check-ups"), str(check_ups)),
    ]
