"""Half years (上半年, 下半年): the period of the free check-up each member is owed."""

from __future__ import annotations

import datetime


def half_of(day: datetime.date) -> tuple[int, int]:
    """(year, 1 or 2): the half year a day falls in."""
    return day.year, 1 if day.month <= 6 else 2


def half_bounds(year: int, half: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a half year."""
    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)
