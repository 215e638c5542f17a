"""Reads of the contracts app: schedules in bulk, the worklist, team and county figures.

Every function here runs a fixed number of queries whatever the number of members. A
member's own schedule (``member_schedule``, ``schedules_for``) takes four: the rules, the
members' ruled diseases, their contracts and their visits, then the rules of
``contracts.schedules`` in memory. The county figures (contract counts and completion) are
one statement and the worklist a handful, both over the derived rows of ``contracts.owed``
(each member's contract spans and owed follow-up windows, kept exact by every writer), so
neither recomputes a county's or a team's schedules on each view. The figures of an area
above a county, cached, are the sum of its counties' (``area_figures``): one statement for
each county not in the cache (each cached under its own version, ``county_versions``). The
rates themselves are defined once, in ``reports.indicators``.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from contracts.choices import VisitsPerYear, WindowStatus
from contracts.models import (
    Contract,
    ContractSpan,
    DoctorTeam,
    FollowUp,
    FollowUpRule,
    OwedDiseaseSlots,
    OwedSlots,
    TargetMember,
)
from contracts.schedules import Cover, Window, member_windows, window_bounds
from healthaid.choices import RegionLevel, Role
from healthaid.models import Region
from healthaid.scoping import get_profile, prefix_bounds, prefix_sql, scope_prefix_within
from healthaid.versions import Version, bump_versions, page_version, read_versions, scope_key
from households.models import HouseholdContact, Member, MemberDisease, age_on

DAY = datetime.timedelta(days=1)
KEY4_CATEGORY = "key4"


# --- the figures' versions ----------------------------------------------------------------------
#
# Cached figures are keyed on versions that every write bumps, so a change shows at once:
#
# * one version a county (``county_versions``): the writers know the villages of the members
#   they changed (``contracts.owed.refresh_owed`` and ``refresh_targets`` report them, old
#   and new), and bump those counties only, so a visit in one county leaves every other
#   county's cached figures valid, and a prefecture's figures (the sum of its counties',
#   ``area_figures``) recompute only the counties that changed;
# * one for every county at once (``_ALL_COUNTIES_KEY``): what changes all figures (the
#   rules, a rebuild of the derived rows, the demo), or a writer that cannot tell where;
# * ``figures_version``: bumped by every change anywhere, for the caches that read the whole
#   registry's contracts (``screening.selectors.campaign_progress``).
#
# Each starts from the clock when missing (first use, a cache flush, an eviction), so a
# value is never reused for data it was not computed from.

FIGURES_VERSION_KEY = page_version("contracts:figures-version")
_ALL_COUNTIES_KEY = "contracts:figures-version:all"
_COUNTY_KEY = "contracts:figures-version:county:"
COUNTY_LENGTH = int(RegionLevel.COUNTY)  # a village code's first 6 digits are its county's


def figures_version() -> int:
    """A number that changes whenever contracts, follow-ups, rules or the registry change,
    anywhere. It starts from the clock, so figures cached before a cache flush are never
    reused."""
    return read_versions([FIGURES_VERSION_KEY])[FIGURES_VERSION_KEY]


def county_versions(counties: Iterable[str]) -> dict[str, str]:
    """Each county's (6-digit code) figures version, with the all-counties one: one cache
    read for all of them (two when some start from the clock)."""
    keys = {county: _COUNTY_KEY + county for county in counties}
    found = read_versions([_ALL_COUNTIES_KEY, *keys.values()])
    every = found.get(_ALL_COUNTIES_KEY, 0)
    return {county: f"{every}.{found.get(key, 0)}" for county, key in keys.items()}


def figures_changed(villages: Iterable[str] | None = None) -> None:
    """Called by every write of the app (services, imports, demo) and of the registry
    (through ``households.signals.members_changed`` and the derived rows' refresh), with
    the codes of the villages (or counties, or any longer codes) whose figures changed;
    ``None`` when every county's may have. Bumped at once and again when the transaction
    commits, so figures computed by another request in between, from the data before the
    commit, are not reused either."""
    keys = [FIGURES_VERSION_KEY]
    if villages is None:
        keys.append(_ALL_COUNTIES_KEY)
    else:
        keys += sorted({_COUNTY_KEY + code[:COUNTY_LENGTH] for code in villages})
    bump_versions(keys)
    transaction.on_commit(lambda: bump_versions(keys))
    if villages is None and figures_cache_seconds():
        # Every county's entry is gone: warm them now rather than at beat's next minute, so
        # that a supervisor's request in that minute does not compute ten statements. After
        # the commit, and robust: the write has landed whatever the broker says (beat's run
        # still comes within a minute).
        transaction.on_commit(queue_warm, robust=True)


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """The follow-up rules, loaded once: disease id → visits a year, and the diseases' names."""

    per_year: dict[int, int]
    names: dict[int, str]
    codes: dict[int, str]

    def __bool__(self) -> bool:
        return bool(self.per_year)


def follow_up_rules() -> RuleSet:
    per_year, names, codes = {}, {}, {}
    for disease_id, visits, name, code in FollowUpRule.objects.values_list(
        "disease_id", "visits_per_year", "disease__name", "disease__code"
    ):
        per_year[disease_id] = visits
        names[disease_id] = name
        codes[disease_id] = code
    return RuleSet(per_year, names, codes)


# --- periods ------------------------------------------------------------------------------------


def quarter_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    end = (
        datetime.date(day.year, 12, 31)
        if first_month == 10
        else datetime.date(day.year, first_month + 3, 1) - DAY
    )
    return start, end


def year_to_date(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(today.year, 1, 1), today


def rolling_year(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The worklist's period: windows that overlap the last 365 days (so last year's
    missed visits stay on the list after New Year)."""
    return today - datetime.timedelta(days=364), today


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- schedules in bulk --------------------------------------------------------------------------


@dataclass(slots=True)
class MemberSchedule:
    member_id: int
    village_id: str
    household_id: int
    windows: list[Window]


def schedules_for(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    rules: RuleSet | None = None,
) -> dict[int, MemberSchedule]:
    """The owed windows overlapping [start, end] of every member of ``members``.

    Four queries (rules, diseases, contracts, visits) whatever the number of members;
    members without a ruled disease or without a contract in the period are absent.
    """
    today = today or timezone.localdate()
    rules = rules if rules is not None else follow_up_rules()
    if not rules:
        return {}
    first = datetime.date(start.year, 1, 1)
    last = datetime.date(end.year, 12, 31)
    ruled = MemberDisease.objects.filter(
        member_id__in=members.values("pk"), disease_id__in=list(rules.per_year)
    )
    diseases: dict[int, list[tuple[int, datetime.date | None]]] = defaultdict(list)
    homes: dict[int, tuple[str, int]] = {}
    for member_id, disease_id, diagnosed_on, village_id, household_id in ruled.values_list(
        "member_id",
        "disease_id",
        "diagnosed_on",
        "member__household__village_id",
        "member__household_id",
    ):
        diseases[member_id].append((disease_id, diagnosed_on))
        homes[member_id] = (village_id, household_id)
    if not diseases:
        return {}
    ruled_members = ruled.values("member_id")

    covers: dict[int, list[Cover]] = defaultdict(list)
    for member_id, valid_from, valid_to, terminated_on, team_id, contract_id in (
        Contract.objects.filter(member_id__in=ruled_members)
        .in_effect_between(first, last)
        .values_list("member_id", "valid_from", "valid_to", "terminated_on", "team_id", "pk")
    ):
        end_day = terminated_on if terminated_on and terminated_on < valid_to else valid_to
        covers[member_id].append(Cover(valid_from, end_day, team_id, contract_id))

    visits: dict[int, list[datetime.date]] = defaultdict(list)
    for member_id, visited_on in (
        FollowUp.objects.filter(
            member_id__in=ruled_members, visited_on__gte=first, visited_on__lte=today
        )
        .order_by("member_id", "visited_on")
        .values_list("member_id", "visited_on")
    ):
        visits[member_id].append(visited_on)

    result: dict[int, MemberSchedule] = {}
    for member_id, member_covers in covers.items():
        windows = member_windows(
            diseases=diseases[member_id],
            rules=rules.per_year,
            covers=member_covers,
            visits=visits.get(member_id, ()),
            start=start,
            end=end,
            today=today,
        )
        if windows:
            result[member_id] = MemberSchedule(member_id, *homes[member_id], windows)
    return result


@dataclass
class Completion:
    """Windows due and done, overall and by village, team and disease."""

    due: int = 0
    done: int = 0
    by_village: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_team: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_disease: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def completion_counts_in_memory(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    rules: RuleSet | None = None,
) -> Completion:
    """``completion_counts`` from the per-member schedules (the reference implementation the
    SQL is tested against; fine for a team, too slow for a county)."""
    schedules = schedules_for(members, start=start, end=end, today=today, rules=rules)
    completion = Completion()
    for schedule in schedules.values():
        village = completion.by_village[schedule.village_id]
        for window in schedule.windows:
            if not window.is_open_or_closed:
                continue
            done = 1 if window.is_done else 0
            completion.due += 1
            completion.done += done
            village[0] += 1
            village[1] += done
            if window.team_id is not None:
                team = completion.by_team[window.team_id]
                team[0] += 1
                team[1] += done
            for disease_id in window.disease_ids:
                disease = completion.by_disease[disease_id]
                disease[0] += 1
                disease[1] += done
    return completion


# --- contract counts and completion in the database ---------------------------------------------


def key_group_q(on: datetime.date) -> Q:
    """Key groups (重点人群) on a day: 65 and over, 0–6, pregnant, disabled, or one of the four
    diseases followed up four times a year (hypertension, type-2 diabetes, TB, severe mental
    disorder). The diseases come from the catalogue (its ``key4`` category, and the severe
    mental disorders it lists on their own, such as 精神分裂症, which it also schedules four
    times a year), fixed by policy, not by the editable rules.

    The live definition on the registry; the figures read the same from the derived rows
    (``TargetMember.key_person`` and the birth date, ``contracts.owed``), and the tests hold
    them to this."""
    key4 = MemberDisease.objects.filter(
        Q(disease__category=KEY4_CATEGORY) | Q(disease__follow_ups_per_year=4)
    ).values("member_id")
    return (
        Q(birth_date__lte=years_before(on, 65))
        | Q(birth_date__gt=years_before(on, 7))
        | Q(pregnant=True)
        | Q(disabled=True)
        | Q(pk__in=key4)
    )


@dataclass
class ContractCounts:
    target: int = 0
    contracted: int = 0
    key_group_target: int = 0
    key_group_contracted: int = 0

    def add(self, other: ContractCounts) -> None:
        self.target += other.target
        self.contracted += other.contracted
        self.key_group_target += other.key_group_target
        self.key_group_contracted += other.key_group_contracted


@dataclass
class ContractTally:
    """Contract counts by village, and by village and the team people are contracted with.

    Each person is counted once, in their village, and if contracted under the team of their
    latest contract in the period (the one that decides who follows them up now).
    """

    by_village: dict[str, ContractCounts] = field(default_factory=dict)
    by_village_team: dict[tuple[str, int], ContractCounts] = field(default_factory=dict)

    def total(self) -> ContractCounts:
        total = ContractCounts()
        for counts in self.by_village.values():
            total.add(counts)
        return total

    def for_team(self, team_id: int, villages: Iterable[str]) -> ContractCounts:
        """A team's figures: the people of the villages it covers (its target, whoever
        else covers them too) and those of them contracted with it."""
        counts = ContractCounts()
        for village in set(villages):
            area = self.by_village.get(village)
            if area is None:
                continue
            counts.target += area.target
            counts.key_group_target += area.key_group_target
            signed = self.by_village_team.get((village, team_id))
            if signed is not None:
                counts.contracted += signed.contracted
                counts.key_group_contracted += signed.key_group_contracted
        return counts


@dataclass
class Figures:
    contracts: ContractTally
    completion: Completion


@dataclass(frozen=True)
class Area:
    """Where figures are counted: the villages whose code starts with ``prefix`` ("" for all)
    and, when ``villages`` is given, only those of them. A user's scope is such a prefix
    (``healthaid.scoping.scope_prefix``, which ``visible_to`` filters on), so ``for_user``
    is the figures' scope."""

    prefix: str = ""
    villages: tuple[str, ...] | None = None

    @classmethod
    def for_user(cls, user, region: Region | None = None) -> Area | None:
        """The user's scope, narrowed to ``region``; ``None`` when they see nothing."""
        prefix = scope_prefix_within(user, region)
        return None if prefix is None else cls(prefix)

    @property
    def bounds(self) -> tuple[str, str] | None:
        """The first and last village code of the area (``healthaid.scoping.prefix_bounds``)."""
        return prefix_bounds(self.prefix)

    def members(self) -> QuerySet:
        """The area's people (the target group)."""
        members = Member.objects.all()
        if self.bounds:
            members = members.filter(household__village__code__range=self.bounds)
        if self.villages is not None:
            members = members.filter(household__village__code__in=self.villages)
        return members

    def where(self, column: str) -> tuple[str, list]:
        """SQL: ``column`` (a village code) in the area, as a range an index serves."""
        clause, params = prefix_sql(column, self.prefix)
        clauses = [clause]
        if self.villages is not None:
            if not self.villages:
                return "1 = 0", []
            clauses.append(f"{column} IN ({', '.join(['%s'] * len(self.villages))})")
            params += list(self.villages)
        return " AND ".join(clauses), params


# The contract counts and the completion as one statement over the derived rows of
# ``contracts.owed`` (kept exact by every writer), so what is left per view is the period
# and ``today``:
#
# * target: the area's people by village, the key group on the period's last day
#   (``key_group_q``), from their derived rows (``TargetMember``: one a member, kept by
#   every writer of the registry and by ``post_save``), read by a range of village codes;
# * contracted: the spans that overlap the period, each member's first such one, by village
#   and team; members whose contracts change team (rare) are grouped from their contracts,
#   under the team of their latest contract in the period (MAX of start day × 2^40 + team
#   id: by start, then team);
# * completion: the windows of the period opened by ``today`` are, per frequency and year,
#   a mask of slots (``opened``, listed from Python) ANDed with the owed slots; a window is
#   done when a visit fell inside it on or before ``today``. Visits are never recorded in the
#   future, so the stored ``done`` is that, except when figures are asked for a day before
#   some visit of the year (``last_visit_on > today``): then the one window that holds
#   ``today`` is done only if a visit fell in it by ``today`` (one indexed look-up for such
#   rows only; earlier windows closed before ``today``, later ones have not opened). The
#   windows are counted with ``bit_count`` on PostgreSQL; on SQLite the rows with the same
#   masks are grouped first, so its popcount runs once per distinct mask.
_FIGURES_SQL = """
WITH target AS (
    SELECT t.village AS area, COUNT(*) AS people, SUM({target_key_group}) AS subset
    FROM {target_member} t
    WHERE {target_area}
    GROUP BY t.village
),
latest AS (
    SELECT c.member_id, MAX({latest_key}) AS latest
    FROM {contract} c
    WHERE c.member_id IN (SELECT member_id FROM {span} s WHERE team_id IS NULL AND {span_area})
      AND c.valid_from <= {end} AND c.valid_to >= {start}
      AND (c.terminated_on IS NULL OR c.terminated_on >= {start})
    GROUP BY c.member_id
){completion}
SELECT 't', area, NULL, people, subset FROM target
UNION ALL
SELECT 'c', s.village, s.team_id, COUNT(*), SUM({key_group})
FROM {span} s
WHERE {span_area} AND s.team_id IS NOT NULL AND s.starts_on <= {end} AND s.ends_on >= {start}
  AND (s.previous_ends_on IS NULL OR s.previous_ends_on < {start})
GROUP BY s.village, s.team_id
UNION ALL
SELECT 'c', s.village, l.latest %% {team_key}, COUNT(*), SUM({key_group})
FROM {span} s JOIN latest l ON l.member_id = s.member_id
WHERE {span_area} AND s.team_id IS NULL
GROUP BY s.village, l.latest %% {team_key}{completion_rows}
"""

_COMPLETION_SQL = """,
opened (n, y, slots, current_slot, current_from) AS (VALUES {opened}),
owed AS (
    SELECT o.village, o.team_id, o.slots & p.slots AS slots, {done} & p.slots AS done
    FROM {owed_slots} o
    JOIN opened p ON p.n = o.per_year AND p.y = o.year
    WHERE {owed_area}
),
owed_disease AS (
    SELECT o.disease_id, o.slots & p.slots AS slots, {done} & p.slots AS done
    FROM {owed_disease_slots} o
    JOIN opened p ON p.n = o.per_year AND p.y = o.year
    WHERE {owed_area}
)"""

# The stored ``done``, less the window holding ``today`` when its visits all came after it.
_DONE_SQL = """(CASE WHEN o.last_visit_on > {today} AND (o.done & p.current_slot) <> 0
      AND NOT EXISTS (
          SELECT 1 FROM {follow_up} f
          WHERE f.member_id = o.member_id AND f.visited_on >= p.current_from
            AND f.visited_on <= {today})
    THEN o.done - p.current_slot ELSE o.done END)"""

_COMPLETION_ROWS = """
UNION ALL
SELECT 'v', village, team_id, SUM({count_slots} * people), SUM({count_done} * people)
FROM (
    SELECT village, team_id, slots, done, COUNT(*) AS people
    FROM owed
    WHERE slots <> 0
    GROUP BY village, team_id, slots, done
) owed_masks
GROUP BY village, team_id
UNION ALL
SELECT 'd', CAST(disease_id AS TEXT), NULL, SUM({count_slots} * people),
       SUM({count_done} * people)
FROM (
    SELECT disease_id, slots, done, COUNT(*) AS people
    FROM owed_disease
    WHERE slots <> 0
    GROUP BY disease_id, slots, done
) disease_masks
GROUP BY disease_id"""

# PostgreSQL (14 and later) counts a mask's bits with ``bit_count`` on its 12 bits: cheap
# enough to count every row's and sum them by village and team (or disease) in one hashed
# aggregate, with no sort; 19% off a county's statement (54 -> 44 ms on the prefecture demo,
# the same rows). SQLite has no such function: the rows with the same masks are grouped first
# there, so that the sum of shifts below runs once per distinct mask.
_COMPLETION_ROWS_BIT_COUNT = """
UNION ALL
SELECT 'v', village, team_id, SUM({count_slots}), SUM({count_done})
FROM owed
WHERE slots <> 0
GROUP BY village, team_id
UNION ALL
SELECT 'd', CAST(disease_id AS TEXT), NULL, SUM({count_slots}), SUM({count_done})
FROM owed_disease
WHERE slots <> 0
GROUP BY disease_id"""

TEAM_KEY = 1 << 40  # team ids stay below 2**40


def _popcount(mask: str) -> str:
    """SQL: the bits set in a 12-bit mask, as SQLite can count them (no BIT_COUNT)."""
    return "(" + " + ".join(f"((({mask}) >> {k}) & 1)" for k in range(12)) + ")"


class _Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    def __init__(self, connection):
        self.postgres = connection.vendor == "postgresql"

    @property
    def date(self) -> str:
        """A date parameter."""
        return "%s::date" if self.postgres else "%s"

    def day_number(self, date: str) -> str:
        """Days since 1970-01-01."""
        if self.postgres:
            return f"({date} - DATE '1970-01-01')"
        return f"CAST(julianday({date}) - 2440587.5 AS INTEGER)"

    def completion_rows(self) -> str:
        """The completion's rows by village and team, and by disease, from ``owed`` and
        ``owed_disease``."""
        if self.postgres:
            return _COMPLETION_ROWS_BIT_COUNT.format(
                count_slots="bit_count(slots::bit(12))", count_done="bit_count(done::bit(12))"
            )
        return _COMPLETION_ROWS.format(count_slots=_popcount("slots"), count_done=_popcount("done"))


def _opened_slots(
    start: datetime.date, end: datetime.date, today: datetime.date
) -> list[tuple[int, int, int, int, datetime.date]]:
    """(visits a year, year, slots, current slot, its first day) of every possible rule:
    ``slots`` the windows that overlap the period and have opened by ``today``; ``current``
    the one of them that holds ``today`` (0 and ``today`` when none does)."""
    opened = []
    for per_year in VisitsPerYear.values:
        for year in range(start.year, end.year + 1):
            slots = current = 0
            current_from = today
            for first, last in window_bounds(per_year, year):
                if first <= end and last >= start and first <= today:
                    bit = 1 << (first.month - 1)
                    slots |= bit
                    if today <= last:
                        current, current_from = bit, first
            if slots:
                opened.append((per_year, year, slots, current, current_from))
    return opened


def contract_figures(
    area: Area,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    completion: bool = True,
) -> Figures:
    """Contract counts and follow-up completion of the people of ``area`` over [start, end].

    Contract counts: people, and people with a contract in effect on at least one day of
    the period, by village and by the team of their latest such contract; the same for the
    key groups (ages on the period's last day, ``key_group_q``). Completion (unless
    ``completion`` is false): windows due (opened by ``today``) and done in the period,
    overall and by village, team and disease, by the rules of ``contracts.schedules``
    (``completion_counts_in_memory`` is the reference the tests hold it to).

    One query whatever the number of people, over the derived rows of ``contracts.owed``.
    """
    today = today or timezone.localdate()
    return _fold(_figures_rows(area, start=start, end=end, today=today, completion=completion))


def _figures_rows(
    area: Area, *, start: datetime.date, end: datetime.date, today: datetime.date, completion: bool
) -> list[tuple[str, str, int | None, int, int]]:
    """The figures statement's rows (kind, village or disease, team, count, subset), in
    plain values (they are what the per-county cache holds): ``_fold`` adds them up."""
    if area.villages is not None and not area.villages:
        return []
    dialect = _Dialect(connection)
    date = dialect.date
    tables = {
        "contract": Contract._meta.db_table,
        "follow_up": FollowUp._meta.db_table,
        "span": ContractSpan._meta.db_table,
        "owed_slots": OwedSlots._meta.db_table,
        "owed_disease_slots": OwedDiseaseSlots._meta.db_table,
        "target_member": TargetMember._meta.db_table,
    }
    quoted = {name: connection.ops.quote_name(table) for name, table in tables.items()}
    target_area, target_params = area.where("t.village")
    span_area, span_params = area.where("s.village")
    owed_area, owed_params = area.where("o.village")
    opened = _opened_slots(start, end, today) if completion else []
    completion_sql = completion_rows = ""
    completion_params: list = []
    if opened:
        completion_sql = _COMPLETION_SQL.format(
            opened=", ".join([f"(%s, %s, %s, %s, {date})"] * len(opened)),
            done=_DONE_SQL.format(today=date, follow_up=quoted["follow_up"]),
            owed_area=owed_area,
            **quoted,
        )
        completion_rows = dialect.completion_rows()
        for row in opened:
            completion_params += list(row)
        # ``done`` then the area, in owed and then in owed_disease.
        completion_params += [today, today, *owed_params] * 2
    key_group = (
        "CASE WHEN {t}.key_person OR {t}.birth_date <= %s OR {t}.birth_date > %s THEN 1 ELSE 0 END"
    ).replace("%s", date)
    key_params = [years_before(end, 65), years_before(end, 7)]
    sql = _FIGURES_SQL.format(
        target_area=target_area,
        target_key_group=key_group.format(t="t"),
        key_group=key_group.format(t="s"),
        span_area=span_area,
        latest_key=f"{dialect.day_number('c.valid_from')} * {TEAM_KEY} + c.team_id",
        start=date,
        end=date,
        team_key=TEAM_KEY,
        completion=completion_sql,
        completion_rows=completion_rows,
        **quoted,
    )
    params = [
        *key_params,
        *target_params,
        *span_params,
        end,
        start,
        start,
        *completion_params,
        *key_params,
        *span_params,
        end,
        start,
        start,
        *key_params,
        *span_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (
                kind,
                str(code),
                None if team_id is None else int(team_id),
                int(count or 0),
                int(subset or 0),
            )
            for kind, code, team_id, count, subset in cursor.fetchall()
        ]


def _fold(rows: Iterable[tuple[str, str, int | None, int, int]]) -> Figures:
    """Figures from the statement's rows. Every figure is a sum of rows, and the rows of
    disjoint sets of people (counties) add up to those of their union: a village's rows
    come from its people only, a team's and a disease's are summed here, so the rows of
    several counties' statements fold into the figures of the one statement over all of
    them (``area_figures``)."""
    figures = Figures(ContractTally(), Completion())
    tally, completion_counts_ = figures.contracts, figures.completion
    for kind, area_code, team_id, count, subset in rows:
        if kind == "t":
            counts = tally.by_village.setdefault(area_code, ContractCounts())
            counts.target += count
            counts.key_group_target += subset
        elif kind == "c":
            counts = tally.by_village.setdefault(area_code, ContractCounts())
            counts.contracted += count
            counts.key_group_contracted += subset
            tally.by_village_team.setdefault((area_code, int(team_id)), ContractCounts()).add(
                ContractCounts(count, count, subset, subset)
            )
        elif not count:
            continue
        elif kind == "v":
            completion_counts_.due += count
            completion_counts_.done += subset
            village = completion_counts_.by_village[area_code]
            village[0] += count
            village[1] += subset
            team = completion_counts_.by_team[int(team_id)]
            team[0] += count
            team[1] += subset
        else:
            disease = completion_counts_.by_disease[int(area_code)]
            disease[0] += count
            disease[1] += subset
    return figures


def contract_counts(area: Area, *, start: datetime.date, end: datetime.date) -> ContractTally:
    """The contract counts of ``contract_figures`` alone. One query."""
    return contract_figures(area, start=start, end=end, completion=False).contracts


def completion_counts(
    area: Area,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> Completion:
    """The completion of ``contract_figures``. One query."""
    return contract_figures(area, start=start, end=end, today=today).completion


# --- figures of several counties, from each county's -------------------------------------------


def area_counties(area: Area) -> tuple[str, ...]:
    """The counties (6-digit codes) the villages of ``area`` lie in: the area's own when it
    is a county or inside one (no query); else every county with a region under the area's
    prefix (one query: the villages' regions are what the registry points at, so no village
    of the area is left out)."""
    if area.villages is not None:
        return tuple(sorted({code[:COUNTY_LENGTH] for code in area.villages}))
    if len(area.prefix) >= COUNTY_LENGTH:
        return (area.prefix[:COUNTY_LENGTH],)
    regions = Region.objects.filter(level__gte=RegionLevel.COUNTY)
    if area.bounds:
        regions = regions.filter(code__range=area.bounds)
    return tuple(
        regions.annotate(county=Substr("code", 1, COUNTY_LENGTH))
        .values_list("county", flat=True)
        .order_by("county")
        .distinct()
    )


@dataclass(frozen=True)
class AreaVersions:
    """The figures versions of an area's counties (``county_versions``): ``key`` changes
    when any of them does, for caches of whatever is computed from the area's figures."""

    by_county: dict[str, str]

    @property
    def key(self) -> str:
        joined = ",".join(f"{county}={v}" for county, v in sorted(self.by_county.items()))
        if len(self.by_county) <= 1:
            return joined or "-"
        return hashlib.blake2b(joined.encode(), digest_size=12).hexdigest()


def area_versions(area: Area) -> AreaVersions:
    """The versions of the counties of ``area`` (``area_counties``: a query for an area
    above a county; a cache read)."""
    return AreaVersions(county_versions(area_counties(area)))


def area_figures(
    area: Area,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    versions: AreaVersions | None = None,
    cache_seconds: int = 0,
) -> Figures:
    """``contract_figures`` of ``area``, cached per county for ``cache_seconds``.

    An area above a county (a prefecture, a province) is the sum of its counties' figures
    (``_fold``), each county's rows cached under its own version: after a change in one
    county, only that county's statement runs again; the others are cache reads (one for
    all of them). A county or an area inside one (a township) is its one statement as
    before, cached under its county's version when it is the whole county. With the cache
    off (``cache_seconds`` 0) every area is its one statement.

    ``versions`` (``area_versions``) when the caller has read them already.
    """
    today = today or timezone.localdate()
    if not cache_seconds or area.villages is not None or len(area.prefix) > COUNTY_LENGTH:
        return contract_figures(area, start=start, end=end, today=today)
    if versions is None:
        versions = area_versions(area)
    keys = {
        county: county_figures_key(county, version, start=start, end=end, today=today)
        for county, version in versions.by_county.items()
    }
    cached = cache.get_many(list(keys.values()))
    missing = [county for county, key in keys.items() if key not in cached]
    computed = counties_rows(missing, start=start, end=end, today=today)
    fresh = {keys[county]: county_rows for county, county_rows in computed.items()}
    if fresh:
        _store_county_rows(fresh, cache_seconds)
    rows: list[tuple] = []
    for key in keys.values():
        rows += fresh[key] if key in fresh else cached[key]
    return _fold(rows)


# Counties whose figures are missing are computed on several connections at once, each
# statement on a core of the database (PostgreSQL runs a connection's statement on one core):
# ten counties' statements on two connections take about half the time of one after another.
# The caller's thread is one of them, on its own connection (no connection to open); each
# other thread opens one and closes it when done. Each takes the next county not yet taken,
# so a large county on one connection does not leave the other idle. Not inside a
# transaction (another connection would not see its writes: the tests), nor on SQLite;
# ``CONTRACT_FIGURES_CONNECTIONS`` (default 2; 1 for none) says how many.
DEFAULT_FIGURES_CONNECTIONS = 2


def figures_connections() -> int:
    return getattr(settings, "CONTRACT_FIGURES_CONNECTIONS", DEFAULT_FIGURES_CONNECTIONS)


def counties_rows(
    counties: list[str], *, start: datetime.date, end: datetime.date, today: datetime.date
) -> dict[str, list[tuple]]:
    """Each county's figures rows (``_figures_rows``, completion included), in the order
    given: one statement a county, spread over ``figures_connections()`` connections when
    more than one county is asked for, on PostgreSQL, outside a transaction."""
    period = {"start": start, "end": end, "today": today, "completion": True}
    workers = min(figures_connections(), len(counties))
    if workers < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return {county: _figures_rows(Area(county), **period) for county in counties}

    pending = iter(counties)
    taking = threading.Lock()
    found: dict[str, list[tuple]] = {}

    def compute() -> None:
        while True:
            with taking:
                county = next(pending, None)
            if county is None:
                return
            found[county] = _figures_rows(Area(county), **period)

    def helper() -> None:
        # A thread of its own has a connection of its own, closed when it is done.
        try:
            compute()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers - 1, thread_name_prefix="figures") as pool:
        helpers = [pool.submit(helper) for _ in range(workers - 1)]
        try:
            compute()
        except BaseException:
            with taking:
                for _ in pending:  # the helpers take no more counties
                    pass
            raise
        for done in helpers:
            done.result()
    return {county: found[county] for county in counties}


# A county's rows are cached under ``county_figures_key``, and beside each entry a marker
# (``_fresh_key``) that expires ``WARM_AHEAD_SECONDS`` earlier: the warmer below recomputes an
# entry whose marker is gone, so a quiet county's entry is replaced before it expires (and is
# never older than the cache's seconds: the expiry still bounds what a writer that forgot to
# bump its county's version could leave behind).
_FIGURES_KEY = "contracts:figures:"
_FRESH_KEY = "contracts:figures-fresh:"
WARM_AHEAD_SECONDS = 150


def county_figures_key(
    county: str, version: str, *, start: datetime.date, end: datetime.date, today: datetime.date
) -> str:
    """The cache key of a county's figures rows over [start, end] as of ``today``, under the
    county's version (``county_versions``): what ``area_figures`` reads and the warmer fills."""
    period = f"{start.isoformat()}:{end.isoformat()}:{today.isoformat()}"
    return f"{_FIGURES_KEY}{county}:{period}:{version}"


def _fresh_key(key: str) -> str:
    return _FRESH_KEY + key.removeprefix(_FIGURES_KEY)


def _store_county_rows(rows_by_key: dict[str, list], seconds: int) -> None:
    """Cache counties' rows for ``seconds``, and their markers (two cache writes)."""
    cache.set_many(rows_by_key, seconds)
    cache.set_many(
        dict.fromkeys(map(_fresh_key, rows_by_key), 1),
        max(seconds - WARM_AHEAD_SECONDS, seconds // 2, 1),
    )


# --- the counties' figures kept warm ------------------------------------------------------------
#
# A supervisor's prefecture is the sum of its ten counties' cached rows; when they are all
# missing (after a rule change, a rebuild, a cache flush, or ten counties changed within the
# cache's minutes) the request would run ten statements (1.6-1.7 s on the prefecture demo).
# ``contracts.warm_figures`` runs ``warm_area_figures`` every minute (beat): it computes the
# entries the pages will ask for that are missing, or about to expire, so the request finds
# them and only folds. A change to every county (a rule, a rebuild, the demo) also sends a run
# when it commits (``queue_warm``), and in a day's last minutes the runs compute the next
# day's entries too (``warm_days``): the two moments when every entry goes missing at once.

DEFAULT_FIGURES_CACHE_SECONDS = 600
WARM_LOCK_KEY = "contracts:figures-warm-lock"
WARM_LOCK_SECONDS = 90  # a run that dies holds the lock this long at most
WARM_BUDGET_SECONDS = 45.0  # a run starts no county after this; the next minute goes on
WARM_NEXT_DAY_SECONDS = 300  # in the day's last five minutes the runs warm tomorrow too
WARM_QUEUED_EXPIRES_SECONDS = 300  # a run queued by a change, not started by then, is dropped
# Sent by name: ``contracts.tasks`` imports this module.
WARM_TASK = "contracts.warm_figures"


def figures_cache_seconds() -> int:
    """How long the contract figures are cached (``CONTRACT_FIGURES_CACHE_SECONDS``; 0: off)."""
    return getattr(settings, "CONTRACT_FIGURES_CACHE_SECONDS", DEFAULT_FIGURES_CACHE_SECONDS)


def warm_periods(today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The periods whose figures the pages ask for unless told otherwise: the year to date
    (the county view, the dashboards' default "year", the home page's cards for county
    staff and supervisors, the indicators API without ``start``/``end``)."""
    return [year_to_date(today)]


def populated_counties() -> list[str]:
    """The counties (6-digit codes) whose region rows are of county level and that have
    people (target rows of the derived figures). One query: an index probe a county."""
    people = TargetMember.objects.filter(
        village__gte=OuterRef("code"), village__lte=OuterRef("last")
    )
    return list(
        Region.objects.filter(level=RegionLevel.COUNTY)
        .annotate(last=Concat(Substr("code", 1, COUNTY_LENGTH), Value("999999")))
        .filter(Exists(people))
        .annotate(county=Substr("code", 1, COUNTY_LENGTH))
        .values_list("county", flat=True)
        .order_by("county")
        .distinct()
    )


def queue_warm() -> None:
    """Send a warm run to the workers now (``contracts.warm_figures``, marked as queued: if
    a run already holds the lock, having perhaps read the versions before the change, it
    tries again a few seconds later). A send that fails is logged by the caller's
    ``on_commit(robust=True)``; beat's run comes within the minute anyway."""
    current_app.send_task(
        WARM_TASK, kwargs={"queued": True}, expires=WARM_QUEUED_EXPIRES_SECONDS, retry=False
    )


def warm_running() -> bool:
    """Whether a warm run holds the lock."""
    return cache.get(WARM_LOCK_KEY) is not None


def warm_days(now: datetime.datetime) -> list[datetime.date]:
    """The days whose figures a run at ``now`` (local time) warms: today, and in the last
    ``WARM_NEXT_DAY_SECONDS`` of the day tomorrow too, since every entry's key names its day
    and all of them go missing at midnight."""
    today = now.date()
    tomorrow = today + datetime.timedelta(days=1)
    midnight = datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=now.tzinfo)
    if (midnight - now).total_seconds() <= WARM_NEXT_DAY_SECONDS:
        return [today, tomorrow]
    return [today]


def warm_area_figures(
    today: datetime.date | None = None,
    *,
    budget: float = WARM_BUDGET_SECONDS,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Compute and cache the counties' figures rows that ``area_figures`` will ask for and
    that are missing (or expire within ``WARM_AHEAD_SECONDS``): every populated county, the
    ``warm_periods`` of ``today`` (by default the ``warm_days`` of ``now``, the local time:
    today, and tomorrow in the day's last minutes). Returns the counties computed, in order.

    Queries: the counties (1), then one statement a county computed; the cache: the versions
    and every entry and marker in one read each, a write a county. Nothing when the cache
    is off or another run holds the lock; no county is started after ``budget`` seconds
    (the missing ones go first, then those about to expire)."""
    seconds = figures_cache_seconds()
    if not seconds:
        return []
    days = [today] if today else warm_days(now or timezone.localtime())
    token = uuid.uuid4().hex
    if not cache.add(WARM_LOCK_KEY, token, WARM_LOCK_SECONDS):
        return []
    try:
        return _warm(days, seconds, time.monotonic() + budget)
    finally:
        if cache.get(WARM_LOCK_KEY) == token:
            cache.delete(WARM_LOCK_KEY)


def _warm(days: list[datetime.date], seconds: int, deadline: float) -> list[str]:
    versions = county_versions(populated_counties())
    wanted = [
        (
            county,
            start,
            end,
            today,
            county_figures_key(county, version, start=start, end=end, today=today),
        )
        for today in days
        for start, end in warm_periods(today)
        for county, version in versions.items()
    ]
    found = cache.get_many([k for *_, key in wanted for k in (key, _fresh_key(key))])
    missing = [entry for entry in wanted if entry[-1] not in found]
    ageing = [
        entry for entry in wanted if entry[-1] in found and _fresh_key(entry[-1]) not in found
    ]
    computed: list[str] = []
    for county, start, end, today, key in missing + ageing:
        if time.monotonic() > deadline:
            break
        rows = _figures_rows(Area(county), start=start, end=end, today=today, completion=True)
        _store_county_rows({key: rows}, seconds)
        if county not in computed:
            computed.append(county)
    return computed


# --- the worklist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistMember:
    """A person of the worklist in plain values. The worklist is cached, and as model
    instances (the member with its encrypted number fields, household and village) its
    pickle was several times larger and slower to load on every view."""

    pk: int
    name: str
    sex: str
    birth_date: datetime.date
    household_number: str
    phone: str

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.birth_date, day)

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


@dataclass(frozen=True)
class WorklistContact:
    """A 亲情号码 of the person's household."""

    kind: str
    name: str
    phone: str


@dataclass
class WorklistEntry:
    member: WorklistMember
    windows: list[Window]
    days_overdue: int
    disease_names: list[str]
    contacts: list[WorklistContact]
    last_visit_on: datetime.date | None

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0 or any(w.status == "overdue" for w in self.windows)


@dataclass
class WorklistGroup:
    village: Region
    entries: list[WorklistEntry]


@dataclass
class Worklist:
    today: datetime.date
    villages: list[Region]
    groups: list[WorklistGroup]
    due: int
    overdue: int
    teams: list[DoctorTeam]
    team: DoctorTeam | None = None
    needs_team: bool = False
    village_counts: list[tuple[Region, int]] = field(default_factory=list)
    village: Region | None = None
    total: int = 0
    page: int = 1
    pages: int = 1

    @property
    def count(self) -> int:
        """Entries on this page."""
        return sum(len(group.entries) for group in self.groups)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def worklist_villages(user, team: DoctorTeam | None = None) -> tuple[list[Region], bool]:
    """The villages whose members a doctor follows up, and whether a team must be chosen.

    A given team: its villages within the scope. A village doctor: their village. A
    township doctor: the villages of the teams they belong to, or their township when
    they are on no team. County staff choose a team.
    """
    villages = Region.objects.visible_to(user).filter(level=RegionLevel.VILLAGE)
    if team is not None:
        return list(villages.filter(doctor_teams=team)), False
    profile = get_profile(user)
    if profile is None or profile.role not in (Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR):
        return [], True
    if profile.role == Role.VILLAGE_DOCTOR:
        return [profile.region], False
    mine = list(
        villages.filter(Q(doctor_teams__members=user) | Q(doctor_teams__leader=user)).distinct()
    )
    if mine:
        return mine, False
    return list(villages.filter(code__startswith=profile.region.prefix)), False


WORKLIST_PAGE_SIZE = 50


# --- the cached worklist ----------------------------------------------------------------------
# A doctor's worklist is eight statements and some 200 model rows (8 ms of a 21 ms page on the
# county demo), the same for every request of the day until something it reads changes. It
# is cached per user (their teams choose their villages), day and parameters under the
# contract figures' version (contracts, follow-ups, rules, the registry's people), the
# registry's (households, contacts of the roster import) and this one, which the models'
# save and delete signals of everything else it reads move (``contracts.apps``): teams and
# their members and villages, regions, contacts, follow-ups and contracts written around
# the services.
WORKLIST_VERSION = Version("contracts:worklist-version")
DEFAULT_WORKLIST_CACHE_SECONDS = 600


def worklist_version() -> int:
    """Moved by every write of teams (their members and villages), regions, contacts,
    contracts and follow-ups: the team choices of a filter form follow it too."""
    return WORKLIST_VERSION.get()


def worklist_changed(**_signal) -> None:
    """Called by signal receivers: see :class:`healthaid.versions.Version`."""
    WORKLIST_VERSION.changed()


def worklist(
    user,
    *,
    team: DoctorTeam | None = None,
    today: datetime.date | None = None,
    sort: str = "overdue",
    show: str = "",
    village: str = "",
    page: int = 1,
    per_page: int = WORKLIST_PAGE_SIZE,
) -> Worklist:
    """Members with a due or overdue window in the doctor's villages, grouped by village.

    ``sort``: "overdue" (most days overdue first, the default) or "name" (household
    order); ``show``: "due", "overdue" or "" for both; ``village``: one village's code.
    The counts cover every village; only the page's members are loaded with their
    household contacts. A fixed number of queries, none while it is cached (above).
    """
    from households.selectors import REGISTRY_VERSION

    today = today or timezone.localdate()
    params = {"sort": sort, "show": show, "village": village, "page": page, "per_page": per_page}
    seconds = getattr(settings, "WORKLIST_CACHE_SECONDS", DEFAULT_WORKLIST_CACHE_SECONDS)
    scope = scope_key(user)
    if not seconds or scope is None:
        return _worklist(user, team=team, today=today, **params)
    versions = read_versions([FIGURES_VERSION_KEY, REGISTRY_VERSION.key, WORKLIST_VERSION.key])
    key = ":".join(
        [
            # The shape of the cached value: entries hold plain values since v2, and a
            # worklist cached by the code before is not read back as one.
            "contracts:worklist-v2",
            f"{user.pk}@{scope}",
            str(team.pk if team is not None else "-"),
            today.isoformat(),
            hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()[:24],
            *[str(version) for version in versions.values()],
        ]
    )
    work = cache.get(key)
    if work is None:
        work = _worklist(user, team=team, today=today, **params)
        cache.set(key, work, seconds)
    return work


def _worklist(
    user,
    *,
    team: DoctorTeam | None,
    today: datetime.date,
    sort: str,
    show: str,
    village: str,
    page: int,
    per_page: int,
) -> Worklist:
    teams = list(DoctorTeam.objects.visible_to(user).order_by("name").only("pk", "name"))
    villages, needs_team = worklist_villages(user, team)
    villages.sort(key=lambda v: v.code)
    result = Worklist(today, villages, [], 0, 0, teams, team, needs_team)
    if not villages:
        return result
    rules = follow_up_rules()
    start, end = rolling_year(today)
    owing = _windows_to_visit([v.code for v in villages], start=start, end=end, today=today)

    # (village, household, member) → windows to visit, for every village; counted first.
    pending = []
    per_village: dict[str, int] = defaultdict(int)
    for member_id, (village_id, household_id, windows, last_visit_on) in owing.items():
        needing = windows
        if show in ("due", "overdue"):
            needing = [w for w in windows if w.status == show]
        if not needing:
            continue
        per_village[village_id] += 1
        for window in needing:
            if window.status == "due":
                result.due += 1
            else:
                result.overdue += 1
        if village and village_id != village:
            continue
        days = max(w.days_overdue(today) for w in needing)
        pending.append((village_id, household_id, member_id, needing, days, last_visit_on))
    result.village_counts = [(v, per_village[v.code]) for v in villages if per_village[v.code]]
    result.village = next((v for v in villages if v.code == village), None)
    if sort == "name":
        pending.sort(key=lambda p: (p[0], p[1], p[2]))
    else:
        pending.sort(key=lambda p: (p[0], -p[4], p[1], p[2]))
    result.total = len(pending)
    result.pages = max(1, -(-len(pending) // per_page))
    result.page = min(max(1, page), result.pages)
    shown = pending[(result.page - 1) * per_page : result.page * per_page]
    if not shown:
        return result

    member_rows = {
        row[0]: WorklistMember(*row)
        for row in Member.objects.filter(pk__in=[p[2] for p in shown]).values_list(
            "pk", "name", "sex", "birth_date", "household__number", "phone"
        )
    }
    contacts: dict[int, list[WorklistContact]] = defaultdict(list)
    for household_id, *contact in (
        HouseholdContact.objects.filter(household_id__in={p[1] for p in shown})
        .order_by("household_id", "kind", "pk")
        .values_list("household_id", "kind", "name", "phone")
    ):
        contacts[household_id].append(WorklistContact(*contact))

    diseases = _window_diseases([p[2] for p in shown], start=start, end=end)
    village_by_code = {v.code: v for v in villages}
    for village_id, household_id, member_id, windows, days, last_visit_on in shown:
        member = member_rows.get(member_id)
        if member is None:
            continue
        if not result.groups or result.groups[-1].village.code != village_id:
            # The owed rows were read by these villages' codes.
            result.groups.append(WorklistGroup(village_by_code[village_id], []))
        windows = [
            replace(w, disease_ids=diseases.get((member_id, w.per_year, w.start), ()))
            for w in windows
        ]
        disease_ids = sorted({d for w in windows for d in w.disease_ids})
        result.groups[-1].entries.append(
            WorklistEntry(
                member=member,
                windows=windows,
                days_overdue=days,
                disease_names=[rules.names[d] for d in disease_ids if d in rules.names],
                contacts=contacts.get(household_id, []),
                last_visit_on=last_visit_on,
            )
        )
    return result


def _windows_to_visit(
    villages: list[str], *, start: datetime.date, end: datetime.date, today: datetime.date
) -> dict[int, tuple[str, int, list[Window], datetime.date | None]]:
    """Member → (village, household, windows due or overdue in [start, end] as of ``today``,
    last visit by ``today``) for the people of ``villages``. Two queries.

    The owed windows come from the derived rows of ``contracts.owed`` (``OwedSlots``), so
    only the people with a window to visit are touched. By the rules of
    ``contracts.schedules``, an owed window that has opened needs a visit (due while it is
    open, overdue once it has closed) exactly when no visit fell between its first day and
    ``today``: a visit inside it makes it done, one after it late. That is, when the
    member's last visit by ``today`` came before the window's first day. The windows carry
    no diseases here (``_window_diseases`` adds them for the page's people).
    """
    opened = {(n, y): slots for n, y, slots, _current, _from in _opened_slots(start, end, today)}
    if not opened:
        return {}
    rows = list(
        OwedSlots.objects.filter(village__in=villages, year__gte=start.year, year__lte=end.year)
        .order_by()
        .values_list("member_id", "household_id", "village", "per_year", "year", "slots")
    )
    last_visits = dict(
        FollowUp.objects.filter(
            member_id__in=OwedSlots.objects.filter(
                village__in=villages, year__gte=start.year, year__lte=end.year
            ).values("member_id"),
            visited_on__lte=today,
        )
        .order_by()
        .values("member_id")
        .annotate(last=Max("visited_on"))
        .values_list("member_id", "last")
    )
    result: dict[int, tuple[str, int, list[Window], datetime.date | None]] = {}
    for member_id, household_id, village_id, per_year, year, slots in rows:
        slots &= opened.get((per_year, year), 0)
        if not slots:
            continue
        last_visit_on = last_visits.get(member_id)
        months = 12 // per_year
        for index, (first, last) in enumerate(window_bounds(per_year, year)):
            if not slots & (1 << (index * months)):
                continue
            if last_visit_on is not None and last_visit_on >= first:
                continue  # done, or visited late
            status = WindowStatus.DUE.value if today <= last else WindowStatus.OVERDUE.value
            entry = result.setdefault(member_id, (village_id, household_id, [], last_visit_on))
            entry[2].append(Window(first, last, per_year, (), status))
    for _village, _household, windows, _last in result.values():
        windows.sort(key=lambda w: (w.start, w.end))
    return result


def _window_diseases(
    member_ids: list[int], *, start: datetime.date, end: datetime.date
) -> dict[tuple[int, int, datetime.date], tuple[int, ...]]:
    """(member, visits a year, window's first day) → the diseases it is owed for. One query."""
    owed: dict[tuple[int, int, datetime.date], list[int]] = defaultdict(list)
    for member_id, disease_id, per_year, year, slots in (
        OwedDiseaseSlots.objects.filter(
            member_id__in=member_ids, year__gte=start.year, year__lte=end.year
        )
        .order_by("disease_id")
        .values_list("member_id", "disease_id", "per_year", "year", "slots")
    ):
        for month in range(12):
            if slots & (1 << month):
                owed[member_id, per_year, datetime.date(year, month + 1, 1)].append(disease_id)
    return {key: tuple(sorted(ids)) for key, ids in owed.items()}


# --- one member's schedule ----------------------------------------------------------------------


def member_schedule(
    member: Member, *, year: int | None = None, today: datetime.date | None = None
) -> list[Window]:
    """A member's windows over a calendar year (default the current one)."""
    today = today or timezone.localdate()
    year = year or today.year
    schedules = schedules_for(
        Member.objects.filter(pk=member.pk),
        start=datetime.date(year, 1, 1),
        end=datetime.date(year, 12, 31),
        today=today,
    )
    schedule = schedules.get(member.pk)
    return schedule.windows if schedule else []


# --- teams --------------------------------------------------------------------------------------


@dataclass
class TeamSummary:
    team: DoctorTeam
    staff: list
    villages: list[Region]
    target: int
    contracted: int
    quarter: tuple[datetime.date, datetime.date]
    windows_due: int
    windows_done: int


def team_summary(team: DoctorTeam, user, *, today: datetime.date | None = None) -> TeamSummary:
    """Members, villages, and this quarter's completion of a team; its target is the people
    of its villages and ``contracted`` those of them contracted with the team today (the
    team contract rate of ``reports.indicators``, on one day)."""
    today = today or timezone.localdate()
    staff = list(team.members.select_related("profile").order_by("first_name", "username"))
    villages = list(team.villages.order_by("code"))
    start, end = quarter_bounds(today)
    scope = Area.for_user(user)
    if scope is None:
        return TeamSummary(team, staff, villages, 0, 0, (start, end), 0, 0)
    codes = tuple(village.code for village in villages)
    area = contract_counts(Area(scope.prefix, codes), start=today, end=today).for_team(
        team.pk, codes
    )
    # The team's windows wherever its people live (within the scope).
    completion = completion_counts(scope, start=start, end=end, today=today)
    due, done = completion.by_team.get(team.pk, (0, 0))
    return TeamSummary(team, staff, villages, area.target, area.contracted, (start, end), due, done)
