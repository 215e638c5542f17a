"""Reads of the contracts app: schedules in bulk, the worklist, team and county figures.

Every function here runs a fixed number of queries whatever the number of members:
one for the rules, one for the members' ruled diseases, one for their contracts, one
for their visits, then the schedule rules of ``contracts.schedules`` in memory.
The rates themselves are defined once, in ``reports.indicators``.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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


# The schedule rules of ``contracts.schedules`` as one statement: the members' ruled diseases,
# merged per frequency (earliest diagnosis) × windows (a VALUES list) → owed windows, kept
# when a contract overlaps them (the latest one, by start then team, gives the team: one
# index probe), done when a visit falls inside (one index probe); then counted by village
# and team, and by disease.
_COMPLETION_SQL = """
WITH win (n, ws, we) AS (VALUES {windows}),
md AS (
    SELECT d.member_id, d.disease_id, r.visits_per_year AS n, d.diagnosed_on,
           s.scope_village AS village_id
    FROM {member_disease} d
    JOIN {rule} r ON r.disease_id = d.disease_id
    JOIN ({scoped}) s ON s.id = d.member_id
),
frequency AS (
    SELECT member_id, village_id, n,
           CASE WHEN COUNT(diagnosed_on) < COUNT(*) THEN NULL ELSE MIN(diagnosed_on) END
               AS diagnosed_on
    FROM md
    GROUP BY member_id, village_id, n
),
owed AS MATERIALIZED (
    SELECT q.member_id, q.village_id, q.n, w.ws, w.we,
           (SELECT c.team_id FROM {contract} c
            WHERE c.member_id = q.member_id AND c.valid_from <= w.we AND c.valid_to >= w.ws
              AND (c.terminated_on IS NULL OR c.terminated_on >= w.ws)
            ORDER BY c.valid_from DESC, c.team_id DESC
            LIMIT 1) AS team_id
    FROM frequency q JOIN win w ON w.n = q.n
    WHERE q.diagnosed_on IS NULL OR q.diagnosed_on <= w.we
),
tagged AS (
    SELECT o.member_id, o.village_id, o.n, o.we, o.team_id,
           CASE WHEN EXISTS (
               SELECT 1 FROM {follow_up} f
               WHERE f.member_id = o.member_id AND f.visited_on >= o.ws
                 AND f.visited_on <= o.we AND f.visited_on <= {today}
           ) THEN 1 ELSE 0 END AS done
    FROM owed o
    WHERE o.team_id IS NOT NULL
)
SELECT 'v', t.village_id, t.team_id, COUNT(*), SUM(t.done)
FROM tagged t
GROUP BY t.village_id, t.team_id
UNION ALL
SELECT 'd', CAST(md.disease_id AS TEXT), NULL, COUNT(*), SUM(t.done)
FROM tagged t
JOIN md ON md.member_id = t.member_id AND md.n = t.n
 AND (md.diagnosed_on IS NULL OR md.diagnosed_on <= t.we)
GROUP BY md.disease_id
"""


def _opened_windows(start: datetime.date, end: datetime.date, today: datetime.date) -> list:
    """Every possible rule's windows overlapping the period that have opened by ``today``."""
    from contracts.choices import VisitsPerYear
    from contracts.schedules import windows_overlapping

    return [
        (per_year, first, last)
        for per_year in VisitsPerYear.values
        for first, last in windows_overlapping(per_year, start, end)
        if first <= today
    ]


def completion_counts(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> Completion:
    """Windows due (opened) and done in the period, overall and by village, team and disease.

    One query, computed in the database: the same rules as ``contracts.schedules`` (and
    ``completion_counts_in_memory``, which the tests hold it to), over any number of members.
    """
    from django.db import connection

    today = today or timezone.localdate()
    completion = Completion()
    windows = _opened_windows(start, end, today)
    if not windows:
        return completion
    # The scoped members as a derived table (id, village_id): scope stays ``visible_to``'s.
    scoped_sql, scoped_params = (
        members.order_by()
        .annotate(scope_village=F("household__village_id"))
        .values("id", "scope_village")
        .query.sql_with_params()
    )
    tables = {
        "member_disease": MemberDisease._meta.db_table,
        "rule": FollowUpRule._meta.db_table,
        "contract": Contract._meta.db_table,
        "follow_up": FollowUp._meta.db_table,
    }
    quoted = {key: connection.ops.quote_name(name) for key, name in tables.items()}
    date = "%s::date" if connection.vendor == "postgresql" else "%s"
    row = f"(%s, {date}, {date})"
    sql = _COMPLETION_SQL.format(
        windows=", ".join([row] * len(windows)), scoped=scoped_sql, today=date, **quoted
    )
    params: list = []
    for per_year, first, last in windows:
        params += [per_year, first, last]
    params += [*scoped_params, today]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for kind, key, team_id, due, done in rows:
        due, done = int(due), int(done or 0)
        if kind == "v":
            completion.due += due
            completion.done += done
            village = completion.by_village[key]
            village[0] += due
            village[1] += done
            if team_id is not None:
                team = completion.by_team[int(team_id)]
                team[0] += due
                team[1] += done
        else:
            disease = completion.by_disease[int(key)]
            disease[0] += due
            disease[1] += done
    return completion


# --- contract counts ----------------------------------------------------------------------------


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
    """Contract counts by village, and by the team people are contracted with."""

    by_village: dict[str, ContractCounts]
    by_team: dict[int, ContractCounts]

    def total(self) -> ContractCounts:
        total = ContractCounts()
        for counts in self.by_village.values():
            total.add(counts)
        return total


def contract_counts(
    members: QuerySet, *, start: datetime.date, end: datetime.date
) -> ContractTally:
    """Members, members with a contract in effect on at least one day of [start, end], and
    the same for the key groups (ages on the period's last day), by village and by team.

    One query: each member is counted once, under the team of their latest contract in
    the period (the one that decides who follows them up now).
    """
    latest_team = Subquery(
        Contract.objects.filter(member_id=OuterRef("pk"))
        .in_effect_between(start, end)
        .order_by("-valid_from", "-team_id")
        .values("team_id")[:1]
    )
    rows = (
        members.order_by()
        .annotate(contract_team=latest_team)
        .values("household__village_id", "contract_team")
        .annotate(people=Count("pk"), key_people=Count("pk", filter=key_group_q(end)))
    )
    tally = ContractTally({}, {})
    for row in rows:
        team_id = row["contract_team"]
        counts = ContractCounts(
            target=row["people"],
            contracted=row["people"] if team_id is not None else 0,
            key_group_target=row["key_people"],
            key_group_contracted=row["key_people"] if team_id is not None else 0,
        )
        tally.by_village.setdefault(row["household__village_id"], ContractCounts()).add(counts)
        if team_id is not None:
            tally.by_team.setdefault(team_id, ContractCounts()).add(counts)
    return tally


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
    """Members, villages, people contracted with the team now, and this quarter's completion."""
    today = today or timezone.localdate()
    staff = list(team.members.select_related("profile").order_by("first_name", "username"))
    villages = list(team.villages.order_by("code"))
    members = Member.objects.visible_to(user)
    target = members.filter(household__village__in=villages).count()
    contracted = (
        Contract.objects.visible_to(user)
        .filter(team=team)
        .in_effect_on(today)
        .values("member_id")
        .distinct()
        .count()
    )
    start, end = quarter_bounds(today)
    team_members = members.filter(contracts__team=team).distinct()
    completion = completion_counts(team_members, start=start, end=end, today=today)
    due, done = completion.by_team.get(team.pk, (0, 0))
    return TeamSummary(team, staff, villages, target, contracted, (start, end), due, done)


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
