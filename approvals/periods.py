"""Reporting periods: calendar month, quarter, half-year and year, as (start, end) dates."""

from __future__ import annotations

import calendar
import datetime

from django.utils.translation import gettext as _

from approvals.choices import PeriodKind

MONTHS_PER = {
    PeriodKind.MONTH: 1,
    PeriodKind.QUARTER: 3,
    PeriodKind.HALF: 6,
    PeriodKind.YEAR: 12,
}
NUMBERS = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.HALF: 2, PeriodKind.YEAR: 1}


def period_bounds(kind: str, year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the ``number``-th period of ``kind`` in ``year`` (1-based)."""
    if kind not in MONTHS_PER:
        raise ValueError(f"unknown period kind {kind!r}")
    if not 1 <= number <= NUMBERS[kind]:
        raise ValueError(f"{kind} number {number} out of range")
    size = MONTHS_PER[kind]
    first_month = (number - 1) * size + 1
    last_month = first_month + size - 1
    last_day = calendar.monthrange(year, last_month)[1]
    return datetime.date(year, first_month, 1), datetime.date(year, last_month, last_day)


def months_between(start: datetime.date, end: datetime.date) -> list[tuple[int, int]]:
    """Every calendar month (year, month) that ``start``–``end`` touches."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def period_label(kind: str, year: int, number: int) -> str:
    """How a period is written in Chinese: 2019年5月, 2019年第2季度, 2019年上半年, 2019年."""
    if kind == PeriodKind.MONTH:
        return _("%(year)d-%(number)02d") % {"year": year, "number": number}
    if kind == PeriodKind.QUARTER:
        return _("%(year)d Q%(number)d") % {"year": year, "number": number}
    if kind == PeriodKind.HALF:
        if number == 1:
            return _("%(year)d first half") % {"year": year}
        return _("%(year)d second half") % {"year": year}
    return _("year %(year)d") % {"year": year}
