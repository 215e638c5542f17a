"""Demo data approval (数据审核): a year of 元谋县's monthly submissions and the county's reviews.

Each township submits its month's records and each hospital and township centre its
settlements; the county approved the earlier months (a few after sending them back once with
a comment); last month's are partly approved, partly submitted and awaiting review, partly
returned, and some units have not submitted yet, so the county's page has work on it.

Deterministic (a seeded random stream, months relative to today), idempotent (nothing is added
when the county has approvals), written in bulk with their steps and one audit row each.
"""

from __future__ import annotations

import datetime
import random
import time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from approvals.choices import ApprovalStatus, PeriodKind, StepAction, UnitKind
from approvals.models import Approval, ApprovalStep
from approvals.periods import period_bounds
from approvals.versions import approvals_changed
from healthaid import audit
from healthaid.choices import AuditAction, InstitutionKind, RegionLevel
from healthaid.models import Institution, Region

YUANMOU = "532328"
MONTHS = 12
# The institutions whose staff submit their settlements: the county's hospitals and its
# township centres (most of the demo's settlements are theirs).
SUBMITTING_HOSPITALS = (
    InstitutionKind.COUNTY_HOSPITAL,
    InstitutionKind.TCM_HOSPITAL,
    InstitutionKind.TOWNSHIP_CENTRE,
)
# What the county sends back, by unit kind: a township's follow-ups and check-ups, an
# institution's settlements.
RETURN_COMMENTS = {
    UnitKind.TOWNSHIP: (
        "随访记录与签约名单不一致，请核对后重新上报",
        "体检人数与花名册不符，请核实",
    ),
    UnitKind.INSTITUTION: (
        "部分结算单据缺少转诊手续，请补充后重新上报",
        "个别病例目录外费用未说明原因，请补充",
    ),
}
NOTES = ("本月数据已核对", "已按要求补充完善", "")


def _months(today: datetime.date) -> list[tuple[int, int]]:
    """(year, month) of the last ``MONTHS`` whole months, the oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(MONTHS):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append((year, month))
    return months[::-1]


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def plan(units: list[tuple[str, Region, Institution | None]], today: datetime.date) -> list[dict]:
    """Each unit's approvals of the last ``MONTHS`` months as field values with their steps
    (``steps``: action, day, text): all approved but the last month's."""
    rng = random.Random(f"approvals-{YUANMOU}")
    months = _months(today)
    rows = []
    for year, month in months:
        start, end = period_bounds(PeriodKind.MONTH, year, month)
        last = (year, month) == months[-1]
        for kind, region, institution in units:
            draw = rng.random()
            if last and draw < 0.2:
                continue  # not submitted yet
            submitted = min(end + datetime.timedelta(days=rng.randint(1, 5)), today)
            steps = [(StepAction.SUBMIT, submitted, rng.choice(NOTES))]
            returned = draw > 0.85
            if returned:
                back = min(submitted + datetime.timedelta(days=rng.randint(1, 3)), today)
                steps.append((StepAction.RETURN, back, rng.choice(RETURN_COMMENTS[kind])))
                if not last:
                    again = back + datetime.timedelta(days=rng.randint(1, 4))
                    steps.append((StepAction.SUBMIT, again, "已按要求补充完善"))
            if last and returned:
                status = ApprovalStatus.RETURNED
            elif last and draw < 0.55:
                status = ApprovalStatus.SUBMITTED
            else:
                status = ApprovalStatus.APPROVED
                decided = steps[-1][1] + datetime.timedelta(days=rng.randint(1, 6))
                steps.append((StepAction.APPROVE, min(decided, today), ""))
            rows.append(
                {
                    "unit_kind": kind,
                    "region": region,
                    "institution": institution,
                    "year": year,
                    "number": month,
                    "start": start,
                    "end": end,
                    "status": status,
                    "steps": steps,
                }
            )
    return rows


def seed(scale: str, context: dict) -> str:
    started = time.monotonic()
    today = timezone.localdate()
    if Approval.objects.filter(region__code__startswith=YUANMOU).exists():
        return "approvals already seeded; nothing added"
    townships = list(
        Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=YUANMOU).order_by("code")
    )
    hospitals = list(
        Institution.objects.filter(
            region__code__startswith=YUANMOU, kind__in=SUBMITTING_HOSPITALS
        ).select_related("region")
    )
    if not townships:
        return ""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["county"])}
    county = users.get("county")
    units = [(UnitKind.TOWNSHIP, t, None) for t in townships] + [
        (UnitKind.INSTITUTION, h.region, h) for h in hospitals
    ]
    rows = plan(units, today)
    with transaction.atomic():
        approvals = Approval.objects.bulk_create(
            [
                Approval(
                    unit_kind=row["unit_kind"],
                    region=row["region"],
                    institution=row["institution"],
                    period_kind=PeriodKind.MONTH,
                    year=row["year"],
                    number=row["number"],
                    start=row["start"],
                    end=row["end"],
                    status=row["status"],
                    note=next(
                        (text for action, _, text in row["steps"][::-1] if action == "submit"), ""
                    ),
                    comment=next(
                        (text for action, _, text in row["steps"][::-1] if action != "submit"), ""
                    ),
                    submitted_at=_at(
                        [day for action, day, _ in row["steps"] if action == "submit"][-1], 9, 30
                    ),
                    decided_by=county if row["status"] != ApprovalStatus.SUBMITTED else None,
                    decided_at=(
                        _at(row["steps"][-1][1], 15, 0)
                        if row["status"] != ApprovalStatus.SUBMITTED
                        else None
                    ),
                    created_by=county,
                )
                for row in rows
            ]
        )
        steps, times = [], []
        for approval, row in zip(approvals, rows, strict=True):
            unit = approval.institution.name if approval.institution else approval.region.name
            for action, day, text in row["steps"]:
                by = county if action != StepAction.SUBMIT else None
                steps.append(
                    ApprovalStep(
                        approval=approval,
                        action=action,
                        by=by,
                        by_name=by.get_username() if by else unit,
                        text=text,
                    )
                )
                times.append(_at(day, 9, 30) if action == StepAction.SUBMIT else _at(day, 15, 0))
        # ``at`` is set on creation to now: the history shows the days the steps were taken.
        steps = ApprovalStep.objects.bulk_create(steps)
        for step, at in zip(steps, times, strict=True):
            step.at = at
        ApprovalStep.objects.bulk_update(steps, ["at"], batch_size=1000)
        audit.record_many(
            audit.build(action=AuditAction.CREATE, by=county, instance=a, after=audit.snapshot(a))
            for a in approvals
        )
        approvals_changed()
    return f"{len(approvals)} approvals in {time.monotonic() - started:.1f}s"
