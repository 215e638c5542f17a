"""Reads of the rectification tracker: the briefing's figures, and the county's overdue list."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, Value, When
from django.utils.text import Truncator

from healthaid.choices import choice_labels
from healthaid.figures import rate
from healthaid.models import Region
from healthaid.rows import detail_url
from rectification.choices import ItemStatus, Source
from rectification.models import RectificationItem

__all__ = [
    "RectificationFigures",
    "UnitRectification",
    "briefing_figures",
    "item_rows",
    "items_open_first",
    "overdue_items",
]


@dataclass(frozen=True)
class UnitRectification:
    unit_name: str
    total: int
    closed: int
    overdue: int


@dataclass(frozen=True)
class RectificationFigures:
    total: int  # items of the region found on or before `end`
    found_in_period: int  # found between start and end
    open: int
    in_progress: int
    awaiting_check: int
    closed: int
    closed_in_period: int
    overdue: int  # not closed and deadline < end (as of `end`)
    close_rate: Decimal | None  # closed ÷ total, percent with 2 places; None when total is 0
    by_unit: list[UnitRectification]


def _counts(end: datetime.date, start: datetime.date | None = None) -> dict:
    """Conditional counts as of ``end``. An item closed after ``end`` was not closed then: it
    counts as awaiting check (closing needs that state first). Items flagged overdue count
    with the open ones (the flag is the ``overdue`` figure, whatever their state), so open,
    in progress, awaiting check and closed add up to the total."""
    closed = Q(status=ItemStatus.CLOSED, closed_on__lte=end)
    closed_later = Q(status=ItemStatus.CLOSED) & ~Q(closed_on__lte=end)
    counts = {
        "total": Count("pk"),
        "closed": Count("pk", filter=closed),
        "overdue": Count("pk", filter=~closed & Q(deadline__lt=end)),
    }
    if start is not None:
        counts.update(
            found_in_period=Count("pk", filter=Q(found_on__gte=start)),
            open=Count("pk", filter=Q(status__in=(ItemStatus.OPEN, ItemStatus.OVERDUE))),
            in_progress=Count("pk", filter=Q(status=ItemStatus.IN_PROGRESS)),
            awaiting_check=Count("pk", filter=Q(status=ItemStatus.AWAITING_CHECK) | closed_later),
            closed_in_period=Count("pk", filter=closed & Q(closed_on__gte=start)),
        )
    return counts


def briefing_figures(
    region: Region, start: datetime.date, end: datetime.date
) -> RectificationFigures:
    """The briefing's rectification section for ``region`` and ``start``–``end``: items found
    on or before ``end``, by state as of ``end``, and by responsible unit. Two queries."""
    items = RectificationItem.objects.filter(
        region__code__startswith=region.prefix, found_on__lte=end
    )
    totals = items.aggregate(**_counts(end, start))
    by_unit = [
        UnitRectification(
            unit_name=row["responsible_unit"],
            total=row["total"],
            closed=row["closed"],
            overdue=row["overdue"],
        )
        for row in items.values("responsible_unit")
        .annotate(**_counts(end))
        .order_by("responsible_unit")
    ]
    return RectificationFigures(
        total=totals["total"],
        found_in_period=totals["found_in_period"],
        open=totals["open"],
        in_progress=totals["in_progress"],
        awaiting_check=totals["awaiting_check"],
        closed=totals["closed"],
        closed_in_period=totals["closed_in_period"],
        overdue=totals["overdue"],
        close_rate=rate(totals["closed"], totals["total"]),
        by_unit=by_unit,
    )


def items_open_first(queryset):
    """The list's order: the items not closed first, the nearest deadline first, then the
    closed ones, the latest closed first. A county's list holds two years of findings, most
    of them closed: in the model's order (deadline) its first pages were the oldest closed."""
    closed = Case(When(status=ItemStatus.CLOSED, then=Value(1)), default=Value(0))
    return queryset.alias(closed=closed).order_by(
        "closed", F("closed_on").desc(nulls_first=True), "deadline", "pk"
    )


FINDING_CHARS = 60  # the list shows a finding's first 60 characters (with the ellipsis)


def item_rows(page) -> list[dict]:
    """The rows of a page of the rectification list as plain values, labels resolved once a
    page: one query, as iterating the page would run, but no model instances and no look-ups
    for the template (a page of 50 in the template language over the items took 9 times the
    bare page's time)."""
    sources = choice_labels(Source.choices)
    statuses = choice_labels(ItemStatus.choices)
    detail = detail_url("rectification:detail")
    rows = []
    for row in page.values(
        "pk", "responsible_unit", "finding", "source", "found_on", "deadline", "status"
    ):
        finding = row["finding"]
        if len(finding) > FINDING_CHARS:  # as the template's truncatechars
            finding = Truncator(finding).chars(FINDING_CHARS)
        status = row["status"]
        rows.append(
            {
                "url": detail(row["pk"]),
                "unit": row["responsible_unit"],
                "finding": finding,
                "source": sources.get(row["source"], row["source"]),
                "found_on": row["found_on"].isoformat(),
                "deadline": row["deadline"].isoformat(),
                "status": status,
                "status_label": statuses.get(status, status),
            }
        )
    return rows


def overdue_items(queryset):
    """The items of ``queryset`` flagged overdue, the longest overdue first."""
    return queryset.filter(status=ItemStatus.OVERDUE).order_by("deadline", "pk")


def item_history(item: RectificationItem) -> list:
    """The item's audit rows, oldest first, as the audit page shows them (a fixed number of
    queries: the rows, the people, the regions referred to)."""
    from healthaid.audit_display import present
    from healthaid.models import AuditLog

    entries = AuditLog.objects.filter(
        target_type=RectificationItem._meta.label_lower, target_id=str(item.pk)
    ).order_by("at", "id")
    return present(entries)
