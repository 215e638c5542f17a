"""Follow-up schedules: which windows a member owes in a period, and where each one stands.

Pure functions over plain values, so a whole team's or county's schedule is computed in
memory from three bulk queries (diseases, contracts, visits; see ``contracts.selectors``)
and never with a query per member.

The rules, in the order they apply:

* **Windows.** A ``FollowUpRule`` of *n* visits a year splits each calendar year into *n*
  windows of 12/*n* whole months: 4 → the quarters, 1 → the calendar year.
* **Merged per window.** A member owes each distinct window of each ruled disease they
  have, once: hypertension and diabetes (both quarterly) owe one visit per quarter, not
  two; hypertension (quarterly) and coronary heart disease (yearly) owe the four quarters
  and the year. One visit fills the window it falls in for every disease whose window
  contains it, whatever disease the visit was recorded against.
* **Diagnosis.** A window that ends before the disease was diagnosed
  (``MemberDisease.diagnosed_on``) is not owed; no date means diagnosed before any window.
* **Contract coverage.** Only windows that overlap a contract's days in effect are owed,
  by at least one day. So a contract that starts mid-quarter still owes that quarter's
  visit, and one terminated mid-quarter owes it too. Chosen over "the contract must cover
  the whole window" because signing is itself a visit to the home (the visit is usually
  recorded the same day), because a rule that excused the first partial window would let a
  late-signed contract skip a quarter, and because it keeps the rate honest at the year's
  end, when contracts are renewed. The window's team is that of the latest such contract (by start; on a tie, the
  highest team id, as the database's MAX does).
* **Status** (as of ``today``):
  ``done``: a visit on a day inside the window;
  ``upcoming``: the window has not opened yet;
  ``due``: today is inside the window and there is no visit yet;
  ``overdue``: the window has closed without a visit;
  ``late``: the window closed without a visit and a visit came after it closed. The visit
  is recorded and shown, but the window is not fulfilled: it counts as not done.
* **Rates.** A window is due for the completion rate (履约率) once it has opened (every
  status but ``upcoming``) and it counts as done only when ``done``.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext as _

from contracts.choices import WindowStatus

__all__ = [
    "Cover",
    "Window",
    "member_windows",
    "tally",
    "window_bounds",
    "window_label",
    "windows_overlapping",
]

DAY = datetime.timedelta(days=1)
_DONE = WindowStatus.DONE.value
_DUE = WindowStatus.DUE.value
_OVERDUE = WindowStatus.OVERDUE.value
_LATE = WindowStatus.LATE.value
_UPCOMING = WindowStatus.UPCOMING.value


@dataclass(frozen=True, slots=True)
class Cover:
    """The days a contract is in effect, and its team."""

    start: datetime.date
    end: datetime.date
    team_id: int | None = None
    contract_id: int | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """One owed follow-up window of a member."""

    start: datetime.date
    end: datetime.date
    per_year: int
    disease_ids: tuple[int, ...]
    status: str
    visit_on: datetime.date | None = None
    """The visit that filled the window (``done``) or came after it closed (``late``)."""
    team_id: int | None = None
    contract_id: int | None = None

    @property
    def is_done(self) -> bool:
        return self.status == _DONE

    @property
    def is_open_or_closed(self) -> bool:
        """Counts in the completion rate's denominator: it has opened."""
        return self.status != _UPCOMING

    @property
    def needs_visit(self) -> bool:
        """On the worklist: due now, or closed and never visited."""
        return self.status in (_DUE, _OVERDUE)

    def days_overdue(self, today: datetime.date) -> int:
        if self.status in (_OVERDUE, _LATE):
            return (today - self.end).days
        return 0

    @property
    def label(self) -> str:
        return window_label(self.start, self.per_year)

    def get_status_display(self) -> str:
        return str(WindowStatus(self.status).label)


@lru_cache(maxsize=512)
def window_bounds(per_year: int, year: int) -> tuple[tuple[datetime.date, datetime.date], ...]:
    """The ``per_year`` windows of a calendar year, as (first day, last day)."""
    if per_year <= 0 or 12 % per_year:
        raise ValueError(f"{per_year} visits a year do not split the year into whole months")
    months = 12 // per_year
    bounds = []
    for index in range(per_year):
        first = datetime.date(year, 1 + index * months, 1)
        next_month = 1 + (index + 1) * months
        last = (
            datetime.date(year, 12, 31)
            if next_month > 12
            else datetime.date(year, next_month, 1) - DAY
        )
        bounds.append((first, last))
    return tuple(bounds)


def windows_overlapping(
    per_year: int, start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """The windows of ``per_year`` that share at least one day with [start, end]."""
    return [
        (first, last)
        for year in range(start.year, end.year + 1)
        for first, last in window_bounds(per_year, year)
        if first <= end and last >= start
    ]


def window_label(start: datetime.date, per_year: int) -> str:
    if per_year == 1:
        return _("%(year)d") % {"year": start.year}
    if per_year == 4:
        return _("Q%(quarter)d %(year)d") % {"quarter": (start.month + 2) // 3, "year": start.year}
    if per_year == 2:
        if start.month == 1:
            return _("first half of %(year)d") % {"year": start.year}
        return _("second half of %(year)d") % {"year": start.year}
    if per_year == 12:
        return _("%(year)d-%(month)02d") % {"year": start.year, "month": start.month}
    last_month = start.month + 12 // per_year - 1
    return _("%(year)d, months %(first)d–%(last)d") % {
        "year": start.year,
        "first": start.month,
        "last": last_month,
    }


def member_windows(
    *,
    diseases: Iterable[tuple[int, datetime.date | None]],
    rules: Mapping[int, int],
    covers: Sequence[Cover],
    visits: Sequence[datetime.date],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> list[Window]:
    """A member's owed windows that overlap [start, end], with their status as of ``today``.

    ``diseases`` are (disease id, diagnosed on) pairs; ``rules`` maps a disease id to its
    visits a year (diseases without a rule are skipped); ``covers`` are the member's
    contracts' days in effect; ``visits`` are the member's visit dates, sorted.
    """
    if not covers:
        return []
    # per_year → [(disease id, diagnosed on)]
    by_frequency: dict[int, list[tuple[int, datetime.date | None]]] = {}
    for disease_id, diagnosed_on in diseases:
        per_year = rules.get(disease_id)
        if per_year:
            by_frequency.setdefault(per_year, []).append((disease_id, diagnosed_on))
    if not by_frequency:
        return []

    windows: list[Window] = []
    visit_count = len(visits)
    for per_year, entries in by_frequency.items():
        for first, last in windows_overlapping(per_year, start, end):
            owed = tuple(
                sorted(
                    disease_id
                    for disease_id, diagnosed_on in entries
                    if diagnosed_on is None or diagnosed_on <= last
                )
            )
            if not owed:
                continue
            cover = None
            for candidate in covers:
                overlaps = candidate.start <= last and candidate.end >= first
                if overlaps and (
                    cover is None
                    or (candidate.start, candidate.team_id or 0) > (cover.start, cover.team_id or 0)
                ):
                    cover = candidate
            if cover is None:
                continue
            index = bisect_left(visits, first)
            visit_on = None
            if index < visit_count and visits[index] <= last:
                status, visit_on = _DONE, visits[index]
            elif today < first:
                status = _UPCOMING
            elif today <= last:
                status = _DUE
            elif index < visit_count:
                status, visit_on = _LATE, visits[index]
            else:
                status = _OVERDUE
            windows.append(
                Window(
                    start=first,
                    end=last,
                    per_year=per_year,
                    disease_ids=owed,
                    status=status,
                    visit_on=visit_on,
                    team_id=cover.team_id,
                    contract_id=cover.contract_id,
                )
            )
    windows.sort(key=lambda w: (w.start, w.end))
    return windows


def tally(windows: Iterable[Window]) -> tuple[int, int]:
    """(windows due, windows done) for the completion rate."""
    due = done = 0
    for window in windows:
        if window.status != _UPCOMING:
            due += 1
            if window.status == _DONE:
                done += 1
    return due, done
