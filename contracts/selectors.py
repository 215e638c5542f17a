"""Reads of the contracts app: schedules in bulk, the worklist, team and county figures.

Every function here runs a fixed number of queries whatever the number of members. Per-member
schedules (the worklist, a member's page) take four: the rules, the members' ruled diseases,
their contracts and their visits, then the rules of ``contracts.schedules`` in memory. The
county figures (contract counts and completion) are one statement computing the same rules
in the database (``contract_figures``). The rates themselves are defined once, in
``reports.indicators``.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.choices import VisitsPerYear
from contracts.models import Contract, DoctorTeam, FollowUp, FollowUpRule
from contracts.schedules import Cover, Window, member_windows
from healthaid.choices import RegionLevel, Role
from healthaid.models import Region
from healthaid.scoping import get_profile
from households.models import HouseholdContact, Member, MemberDisease

DAY = datetime.timedelta(days=1)
KEY4_CATEGORY = "key4"


# --- the figures' version ----------------------------------------------------------------------

FIGURES_VERSION_KEY = "contracts:figures-version"


def figures_version() -> int:
    """A number that changes whenever contracts, follow-ups or rules change.

    ``reports.indicators`` keys its cached county figures on it, so a new visit or contract
    shows at once; registry edits (members, diseases) show within the cache's lifetime. It
    starts from the clock, so figures cached before a cache flush are never reused.
    """
    version = cache.get(FIGURES_VERSION_KEY)
    if version is None:
        cache.add(FIGURES_VERSION_KEY, time.time_ns() // 1000, None)
        version = cache.get(FIGURES_VERSION_KEY, 0)
    return version


def figures_changed() -> None:
    """Called by every write of the app (services, imports, demo)."""
    try:
        cache.incr(FIGURES_VERSION_KEY)
    except ValueError:
        figures_version()


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
    times a year), fixed by policy, not by the editable rules."""
    # ``pk IN (subquery)`` rather than a correlated EXISTS: the database hashes the small set
    # once instead of probing it for each of a county's 50,000 members.
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


# The contract counts and the schedule rules of ``contracts.schedules`` as one statement, over
# month masks rather than dates. Windows are whole months aligned on 1 January, so within a
# calendar year a set of months is a 12-bit integer (bit 0 = January), and:
#
# * a contract covers a run of months in each year it touches; a member's coverage in a year
#   is the OR of their contracts' runs, and their visits the OR of one bit per visited month;
# * a set of windows of a rule of *n* visits a year is the set of the bits of their first
#   months ("slots"): a window is covered (or visited) when any of its months is, which
#   ``_spread`` computes from a month mask;
# * the windows owed for a disease diagnosed in month *m* of the year are those from the one
#   holding *m* on; earlier years owe all of them, later years none;
# * the windows that count are those of the period opened by ``today`` (``opened``, listed
#   from Python).
#
# So a member owes, per frequency and year, one row of a few integer operations (windows are
# counted by popcount) instead of one row per window joined to contracts and visits by date,
# and every join is one row per member (and year). A window's team is that of the latest
# contract overlapping it (by start, then team): when a member's contracts of the year are all
# with one team, that team; otherwise (a change of team within the year, rare) the member's
# windows of that year are expanded one row per window and matched with their contracts.
#
# The contract counts share the scoped members: each member once, under the team of their
# latest contract in effect in the period (MAX of start day × 2^40 + team id: by start, then
# team), found by one pass over the contracts grouped by member.
_FIGURES_SQL = """
WITH scoped AS MATERIALIZED ({scoped}),
latest AS (
    SELECT c.member_id, MAX({latest_key}) AS latest
    FROM {contract} c
    WHERE c.valid_from <= {end} AND c.valid_to >= {start}
      AND (c.terminated_on IS NULL OR c.terminated_on >= {start})
    GROUP BY c.member_id
),
counted AS (
    SELECT 'c' AS kind, s.scope_village AS area, l.latest %% {team_key} AS team_id,
           COUNT(*) AS people, SUM(s.key_group) AS subset
    FROM scoped s
    LEFT JOIN latest l ON l.member_id = s.id
    GROUP BY s.scope_village, l.latest %% {team_key}
){completion}
SELECT kind, area, team_id, people, subset FROM counted{completion_rows}
"""

_COMPLETION_SQL = """,
years (y, y0, y1) AS (VALUES {years}),
opened (n, y, slots) AS (VALUES {opened}),
slot (n, bit, block) AS (VALUES {slot}),
md AS (
    SELECT d.member_id, d.disease_id, r.visits_per_year AS n, d.diagnosed_on,
           s.scope_village AS village_id
    FROM {member_disease} d
    JOIN {rule} r ON r.disease_id = d.disease_id
    JOIN scoped s ON s.id = d.member_id
),
frequency AS (
    SELECT member_id, village_id, n,
           CASE WHEN COUNT(diagnosed_on) < COUNT(*) THEN NULL ELSE MIN(diagnosed_on) END
               AS diagnosed_on
    FROM md
    GROUP BY member_id, village_id, n
),
term AS (
    SELECT c.member_id, c.team_id, c.valid_from,
           CASE WHEN c.terminated_on < c.valid_to THEN c.terminated_on ELSE c.valid_to END
               AS ends
    FROM {contract} c
    WHERE c.member_id IN (SELECT member_id FROM frequency)
      AND c.valid_from <= {last} AND c.valid_to >= {first}
      AND (c.terminated_on IS NULL OR c.terminated_on >= {first})
),
term_months AS (
    SELECT t.member_id, t.team_id, t.valid_from, y.y,
           (1 << (CASE WHEN t.ends > y.y1 THEN 12 ELSE {month_ends} END))
           - (1 << (CASE WHEN t.valid_from < y.y0 THEN 0 ELSE {month_from} - 1 END))
               AS months
    FROM term t JOIN years y ON t.valid_from <= y.y1 AND t.ends >= y.y0
),
covered AS (
    SELECT member_id, y, {cover_or} AS months, MIN(team_id) AS team_lo,
           MAX(team_id) AS team_hi
    FROM term_months
    GROUP BY member_id, y
),
visited AS (
    SELECT f.member_id, {visit_year} AS y, {visit_or} AS months
    FROM {follow_up} f
    WHERE f.member_id IN (SELECT member_id FROM frequency)
      AND f.visited_on >= {first} AND f.visited_on <= {visits_last}
    GROUP BY f.member_id, {visit_year}
),
owed AS (
    SELECT q.member_id, q.village_id, q.n, o.y, c.team_lo, c.team_hi,
           {spread_cover} & o.slots & {owed_from} AS slots,
           {spread_visits} AS visited
    FROM frequency q
    JOIN opened o ON o.n = q.n
    JOIN years y ON y.y = o.y
    JOIN covered c ON c.member_id = q.member_id AND c.y = o.y
    LEFT JOIN visited v ON v.member_id = q.member_id AND v.y = o.y
),
steady AS (
    SELECT village_id, team_lo AS team_id, slots, slots & visited AS done
    FROM owed
    WHERE team_lo = team_hi AND slots <> 0
),
changed AS (
    SELECT o.village_id, m.team_id,
           CASE WHEN o.visited & s.bit <> 0 THEN 1 ELSE 0 END AS done,
           ROW_NUMBER() OVER (
               PARTITION BY o.member_id, o.n, o.y, s.bit
               ORDER BY m.valid_from DESC, m.team_id DESC
           ) AS rank
    FROM owed o
    JOIN slot s ON s.n = o.n AND o.slots & s.bit <> 0
    JOIN term_months m ON m.member_id = o.member_id AND m.y = o.y AND m.months & s.block <> 0
    WHERE o.team_lo <> o.team_hi
),
by_disease AS (
    SELECT md.disease_id, o.slots & {owed_from_disease} AS slots, o.visited
    FROM owed o
    JOIN md ON md.member_id = o.member_id AND md.n = o.n
    JOIN years y ON y.y = o.y
    WHERE o.slots <> 0
)"""

_COMPLETION_ROWS = """
UNION ALL
SELECT 'v', village_id, team_id, SUM({count_slots}), SUM({count_done})
FROM steady
GROUP BY village_id, team_id
UNION ALL
SELECT 'v', village_id, team_id, COUNT(*), SUM(done)
FROM changed
WHERE rank = 1
GROUP BY village_id, team_id
UNION ALL
SELECT 'd', CAST(disease_id AS TEXT), NULL, SUM({count_slots}), SUM({count_visited})
FROM by_disease
GROUP BY disease_id"""

MONTHS = (1 << 12) - 1  # the 12 months of a year
TEAM_KEY = 1 << 40  # team ids stay below 2**40


def _window_slots(per_year: int) -> list[tuple[int, int]]:
    """(slot bit, month block) of each window of a rule of ``per_year`` visits a year."""
    length = 12 // per_year
    block = (1 << length) - 1
    return [(1 << (j * length), block << (j * length)) for j in range(per_year)]


def _spread(months: str, per_year: str) -> str:
    """SQL: the slots of the windows (of the row's ``per_year``) that ``months`` touches."""
    cases = []
    for n in VisitsPerYear.values:
        if n == 12:
            expression = f"(({months}) & {MONTHS})"
        else:
            expression = " + ".join(
                f"(CASE WHEN ({months}) & {block} <> 0 THEN {bit} ELSE 0 END)"
                for bit, block in _window_slots(n)
            )
        cases.append(f"WHEN {n} THEN {expression}")
    return f"(CASE {per_year} {' '.join(cases)} ELSE 0 END)"


def _popcount(mask: str) -> str:
    """SQL: the bits set in a 12-bit mask (no BIT_COUNT for integers in either database)."""
    return "(" + " + ".join(f"((({mask}) >> {k}) & 1)" for k in range(12)) + ")"


class _Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    def __init__(self, connection):
        self.postgres = connection.vendor == "postgresql"

    @property
    def date(self) -> str:
        """A date parameter."""
        return "%s::date" if self.postgres else "%s"

    # SQLite stores dates as ISO text: cutting it is cheaper than parsing it with strftime.
    def month(self, date: str) -> str:
        if self.postgres:
            return f"CAST(date_part('month', {date}) AS INTEGER)"
        return f"CAST(substr({date}, 6, 2) AS INTEGER)"

    def year(self, date: str) -> str:
        if self.postgres:
            return f"CAST(date_part('year', {date}) AS INTEGER)"
        return f"CAST(substr({date}, 1, 4) AS INTEGER)"

    def day_number(self, date: str) -> str:
        """Days since 1970-01-01."""
        if self.postgres:
            return f"({date} - DATE '1970-01-01')"
        return f"CAST(julianday({date}) - 2440587.5 AS INTEGER)"

    def bit_or(self, mask: str, *, single_bits: bool = False) -> str:
        """The OR of a group's 12-bit masks. SQLite has no BIT_OR: the OR of single bits is the
        sum of the distinct ones, and other masks go through ``sqlite_bit_or``."""
        if self.postgres:
            return f"BIT_OR({mask})"
        if single_bits:
            return f"SUM(DISTINCT {mask})"
        return f"{SQLITE_BIT_OR}({mask})"


SQLITE_BIT_OR = "contracts_bit_or"


class _BitOr:
    """``contracts_bit_or``, the BIT_OR aggregate PostgreSQL has, for SQLite connections."""

    def __init__(self):
        self.value = 0

    def step(self, mask):
        if mask is not None:
            self.value |= mask

    def finalize(self):
        return self.value


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver (see ``contracts.apps``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_BIT_OR, 1, _BitOr)


def _owed_from(diagnosed_on: str, per_year: str, dialect: _Dialect) -> str:
    """SQL: the slots owed in the ``years`` row ``y`` for a diagnosis date (NULL: all)."""
    length = f"(12 / {per_year})"
    month = dialect.month(diagnosed_on)
    return (
        f"(CASE WHEN {diagnosed_on} IS NULL OR {diagnosed_on} < y.y0 THEN {MONTHS}"
        f" WHEN {diagnosed_on} > y.y1 THEN 0"
        f" ELSE {MONTHS} - ((1 << ({length} * (({month} - 1) / {length}))) - 1) END)"
    )


def _opened_slots(
    start: datetime.date, end: datetime.date, today: datetime.date
) -> list[tuple[int, int, int]]:
    """(visits a year, year, slots) of every possible rule's windows that overlap the period
    and have opened by ``today``."""
    from contracts.schedules import window_bounds

    opened = []
    for per_year in VisitsPerYear.values:
        for year in range(start.year, end.year + 1):
            slots = 0
            for first, last in window_bounds(per_year, year):
                if first <= end and last >= start and first <= today:
                    slots |= 1 << (first.month - 1)
            if slots:
                opened.append((per_year, year, slots))
    return opened


def contract_figures(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    completion: bool = True,
) -> Figures:
    """Contract counts and follow-up completion of ``members`` over [start, end].

    Contract counts: members, and members with a contract in effect on at least one day of
    the period, by village and by the team of their latest such contract; the same for the
    key groups (ages on the period's last day). Completion (unless ``completion`` is false):
    windows due (opened by ``today``) and done in the period, overall and by village, team
    and disease, by the rules of ``contracts.schedules`` (``completion_counts_in_memory`` is
    the reference the tests hold it to).

    One query whatever the number of members.
    """
    today = today or timezone.localdate()
    dialect = _Dialect(connection)
    date = dialect.date
    scoped_sql, scoped_params = (
        members.order_by()
        .annotate(
            scope_village=F("household__village_id"),
            key_group=Case(
                When(key_group_q(end), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("id", "scope_village", "key_group")
        .query.sql_with_params()
    )
    tables = {
        "member_disease": MemberDisease._meta.db_table,
        "rule": FollowUpRule._meta.db_table,
        "contract": Contract._meta.db_table,
        "follow_up": FollowUp._meta.db_table,
    }
    quoted = {name: connection.ops.quote_name(table) for name, table in tables.items()}
    opened = _opened_slots(start, end, today) if completion else []
    completion_sql = completion_rows = ""
    completion_params: list = []
    if opened:
        years = list(range(start.year, end.year + 1))
        slots = [(n, bit, block) for n in VisitsPerYear.values for bit, block in _window_slots(n)]
        completion_sql = _COMPLETION_SQL.format(
            years=", ".join([f"(%s, {date}, {date})"] * len(years)),
            opened=", ".join(["(%s, %s, %s)"] * len(opened)),
            slot=", ".join(["(%s, %s, %s)"] * len(slots)),
            first=date,
            last=date,
            visits_last=date,
            month_ends=dialect.month("t.ends"),
            month_from=dialect.month("t.valid_from"),
            cover_or=dialect.bit_or("months"),
            visit_year=dialect.year("f.visited_on"),
            visit_or=dialect.bit_or(
                f"1 << ({dialect.month('f.visited_on')} - 1)", single_bits=True
            ),
            spread_cover=_spread("c.months", "q.n"),
            spread_visits=_spread("COALESCE(v.months, 0)", "q.n"),
            owed_from=_owed_from("q.diagnosed_on", "q.n", dialect),
            owed_from_disease=_owed_from("md.diagnosed_on", "md.n", dialect),
            **quoted,
        )
        completion_rows = _COMPLETION_ROWS.format(
            count_slots=_popcount("slots"),
            count_done=_popcount("done"),
            count_visited=_popcount("slots & visited"),
        )
        for year in years:
            completion_params += [year, datetime.date(year, 1, 1), datetime.date(year, 12, 31)]
        for row in opened + slots:
            completion_params += list(row)
        first, last = datetime.date(start.year, 1, 1), datetime.date(end.year, 12, 31)
        completion_params += [last, first, first, first, min(today, last)]
    sql = _FIGURES_SQL.format(
        scoped=scoped_sql,
        latest_key=f"{dialect.day_number('c.valid_from')} * {TEAM_KEY} + c.team_id",
        start=date,
        end=date,
        team_key=TEAM_KEY,
        completion=completion_sql,
        completion_rows=completion_rows,
        **quoted,
    )
    params = [*scoped_params, end, start, start, *completion_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    figures = Figures(ContractTally(), Completion())
    tally, completion_counts_ = figures.contracts, figures.completion
    for kind, area, team_id, count, subset in rows:
        count, subset = int(count or 0), int(subset or 0)
        if kind == "c":
            team = int(team_id) if team_id is not None else None
            signed = ContractCounts(count, count, subset, subset)
            tally.by_village.setdefault(area, ContractCounts()).add(
                signed if team is not None else ContractCounts(count, 0, subset, 0)
            )
            if team is not None:
                tally.by_village_team.setdefault((area, team), ContractCounts()).add(signed)
        elif not count:
            continue
        elif kind == "v":
            completion_counts_.due += count
            completion_counts_.done += subset
            village = completion_counts_.by_village[area]
            village[0] += count
            village[1] += subset
            team = completion_counts_.by_team[int(team_id)]
            team[0] += count
            team[1] += subset
        else:
            disease = completion_counts_.by_disease[int(area)]
            disease[0] += count
            disease[1] += subset
    return figures


def contract_counts(
    members: QuerySet, *, start: datetime.date, end: datetime.date
) -> ContractTally:
    """The contract counts of ``contract_figures`` alone. One query."""
    return contract_figures(members, start=start, end=end, completion=False).contracts


def completion_counts(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> Completion:
    """The completion of ``contract_figures``. One query."""
    return contract_figures(members, start=start, end=end, today=today).completion


# --- the worklist -------------------------------------------------------------------------------


@dataclass
class WorklistEntry:
    member: Member
    windows: list[Window]
    days_overdue: int
    disease_names: list[str]
    contacts: list[HouseholdContact]
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
    household contacts. A fixed number of queries.
    """
    today = today or timezone.localdate()
    teams = list(DoctorTeam.objects.visible_to(user).order_by("name").only("pk", "name"))
    villages, needs_team = worklist_villages(user, team)
    villages.sort(key=lambda v: v.code)
    result = Worklist(today, villages, [], 0, 0, teams, team, needs_team)
    if not villages:
        return result
    rules = follow_up_rules()
    members = Member.objects.visible_to(user).filter(household__village__in=villages)
    start, end = rolling_year(today)
    schedules = schedules_for(members, start=start, end=end, today=today, rules=rules)

    # (village, household, member) → windows to visit, for every village; counted first.
    pending = []
    per_village: dict[str, int] = defaultdict(int)
    for member_id, schedule in schedules.items():
        needing = [w for w in schedule.windows if w.needs_visit]
        if show in ("due", "overdue"):
            needing = [w for w in needing if w.status == show]
        if not needing:
            continue
        per_village[schedule.village_id] += 1
        for window in needing:
            if window.status == "due":
                result.due += 1
            else:
                result.overdue += 1
        if village and schedule.village_id != village:
            continue
        visited = [w.visit_on for w in schedule.windows if w.visit_on]
        days = max(w.days_overdue(today) for w in needing)
        pending.append(
            (schedule.village_id, schedule.household_id, member_id, needing, days, visited)
        )
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
        m.pk: m
        for m in Member.objects.filter(pk__in=[p[2] for p in shown]).select_related(
            "household__village"
        )
    }
    contacts: dict[int, list[HouseholdContact]] = defaultdict(list)
    for contact in HouseholdContact.objects.filter(household_id__in={p[1] for p in shown}).order_by(
        "household_id", "kind"
    ):
        contacts[contact.household_id].append(contact)

    village_by_code = {v.code: v for v in villages}
    for village_id, household_id, member_id, windows, days, visited in shown:
        member = member_rows.get(member_id)
        if member is None:
            continue
        if not result.groups or result.groups[-1].village.code != village_id:
            region = village_by_code.get(village_id) or member.household.village
            result.groups.append(WorklistGroup(region, []))
        disease_ids = sorted({d for w in windows for d in w.disease_ids})
        result.groups[-1].entries.append(
            WorklistEntry(
                member=member,
                windows=windows,
                days_overdue=days,
                disease_names=[rules.names[d] for d in disease_ids],
                contacts=contacts.get(household_id, []),
                last_visit_on=max(visited) if visited else None,
            )
        )
    return result


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
    members = Member.objects.visible_to(user)
    area = contract_counts(
        members.filter(household__village__in=villages), start=today, end=today
    ).for_team(team.pk, [village.code for village in villages])
    start, end = quarter_bounds(today)
    team_members = members.filter(contracts__team=team).distinct()
    completion = completion_counts(team_members, start=start, end=end, today=today)
    due, done = completion.by_team.get(team.pk, (0, 0))
    return TeamSummary(team, staff, villages, area.target, area.contracted, (start, end), due, done)


# --- dashboard ----------------------------------------------------------------------------------


def dashboard_cards(user) -> list:
    """Due and overdue follow-ups and the contract rate, for the home page."""
    from healthaid.selectors import Card
    from reports.indicators import contract_indicators, format_rate

    profile = get_profile(user)
    if profile is None or profile.role == Role.HOSPITAL_STAFF:
        return []
    today = timezone.localdate()
    cards = []
    if profile.role in (Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR):
        work = worklist(user, today=today)
        url = reverse("contracts:worklist")
        cards += [
            Card(_("Follow-ups due"), work.due, url=url),
            Card(_("Follow-ups overdue"), work.overdue, url=f"{url}?show=overdue"),
        ]
        indicators = contract_indicators(user, region=None, start=today, end=today, today=today)
    else:
        start, end = year_to_date(today)
        indicators = contract_indicators(user, region=None, start=start, end=end, today=today)
        cards.append(
            Card(
                _("Follow-up completion"),
                format_rate(indicators.completion_rate),
                url=reverse("contracts:county-view"),
                hint=_("%(done)d of %(due)d visits this year")
                % {"done": indicators.windows_done, "due": indicators.windows_due},
            )
        )
    cards.append(
        Card(
            _("Contract rate"),
            format_rate(indicators.contract_rate),
            url=reverse("contracts:contract-list"),
            hint=_("%(contracted)d of %(target)d people")
            % {"contracted": indicators.contracted, "target": indicators.target},
        )
    )
    return cards
