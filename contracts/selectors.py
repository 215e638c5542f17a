"""Reads of the contracts app: schedules in bulk, the worklist, team and county figures.

Every function here runs a fixed number of queries whatever the number of members:
one for the rules, one for the members' ruled diseases, one for their contracts, one
for their visits, then the schedule rules of ``contracts.schedules`` in memory.
The rates themselves are defined once, in ``reports.indicators``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, DoctorTeam, FollowUp, FollowUpRule
from contracts.schedules import Cover, Window, member_windows
from healthaid.choices import RegionLevel, Role
from healthaid.models import Region
from healthaid.scoping import get_profile, scope_prefix
from households.models import HouseholdContact, Member, MemberDisease

DAY = datetime.timedelta(days=1)
KEY4_CATEGORY = "key4"


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
    villages: dict[int, str] = {}
    for member_id, disease_id, diagnosed_on, village_id in ruled.values_list(
        "member_id", "disease_id", "diagnosed_on", "member__household__village_id"
    ):
        diseases[member_id].append((disease_id, diagnosed_on))
        villages[member_id] = village_id
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
            result[member_id] = MemberSchedule(member_id, villages[member_id], windows)
    return result


@dataclass
class Completion:
    """Windows due and done, overall and by village, team and disease."""

    due: int = 0
    done: int = 0
    by_village: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_team: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_disease: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def completion_counts(
    members: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    rules: RuleSet | None = None,
) -> Completion:
    """Windows due and done in the period (see ``contracts.schedules`` for the rules)."""
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


# --- contract counts ----------------------------------------------------------------------------


def key_group_q(on: datetime.date) -> Q:
    """Key groups (重点人群) on a day: 65 and over, 0–6, pregnant, disabled, or one of the four
    diseases followed up four times a year (hypertension, type-2 diabetes, TB, severe mental
    disorder). The diseases come from the catalogue (its ``key4`` category, and the severe
    mental disorders it lists on their own, such as 精神分裂症, which it also schedules four
    times a year), fixed by policy, not by the editable rules."""
    key4 = MemberDisease.objects.filter(
        Q(disease__category=KEY4_CATEGORY) | Q(disease__follow_ups_per_year=4),
        member_id=OuterRef("pk"),
    )
    return (
        Q(birth_date__lte=years_before(on, 65))
        | Q(birth_date__gt=years_before(on, 7))
        | Q(pregnant=True)
        | Q(disabled=True)
        | Q(Exists(key4))
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


def contract_counts_by_village(
    members: QuerySet, *, start: datetime.date, end: datetime.date
) -> dict[str, ContractCounts]:
    """Per village: members, members with a contract in effect during the period, and the
    same for the key groups (ages taken on the period's last day). One query."""
    contracted = Q(
        Exists(Contract.objects.filter(member_id=OuterRef("pk")).in_effect_between(start, end))
    )
    key = key_group_q(end)
    rows = (
        members.order_by()
        .values("household__village_id")
        .annotate(
            target=Count("pk"),
            contracted=Count("pk", filter=contracted),
            key_group_target=Count("pk", filter=key),
            key_group_contracted=Count("pk", filter=key & contracted),
        )
    )
    return {
        row["household__village_id"]: ContractCounts(
            row["target"], row["contracted"], row["key_group_target"], row["key_group_contracted"]
        )
        for row in rows
    }


def contract_counts_by_team(
    members: QuerySet, *, start: datetime.date, end: datetime.date
) -> dict[int, tuple[int, int]]:
    """Per team: (members contracted with it, key-group members contracted with it)."""
    key = key_group_q(end)
    rows = (
        Contract.objects.filter(member_id__in=members.values("pk"))
        .in_effect_between(start, end)
        .order_by()
        .values("team_id")
        .annotate(
            contracted=Count("member_id", distinct=True),
            key_group_contracted=Count(
                "member_id",
                distinct=True,
                filter=Q(member_id__in=Member.objects.filter(key).values("pk")),
            ),
        )
    )
    return {row["team_id"]: (row["contracted"], row["key_group_contracted"]) for row in rows}


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

    @property
    def count(self) -> int:
        return sum(len(group.entries) for group in self.groups)


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


def worklist(
    user,
    *,
    team: DoctorTeam | None = None,
    today: datetime.date | None = None,
    sort: str = "overdue",
    show: str = "",
) -> Worklist:
    """Members with a due or overdue window in the doctor's villages, grouped by village.

    ``sort``: "overdue" (most days overdue first, the default) or "name". ``show``:
    "due", "overdue" or "" for both. A fixed number of queries.
    """
    today = today or timezone.localdate()
    teams = list(DoctorTeam.objects.visible_to(user).order_by("name").only("pk", "name"))
    villages, needs_team = worklist_villages(user, team)
    result = Worklist(today, villages, [], 0, 0, teams, team, needs_team)
    if not villages:
        return result
    rules = follow_up_rules()
    members = Member.objects.visible_to(user).filter(household__village__in=villages)
    start, end = rolling_year(today)
    schedules = schedules_for(members, start=start, end=end, today=today, rules=rules)

    pending: dict[int, list[Window]] = {}
    last_visit: dict[int, datetime.date | None] = {}
    for member_id, schedule in schedules.items():
        needing = [w for w in schedule.windows if w.needs_visit]
        if show == "due":
            needing = [w for w in needing if w.status == "due"]
        elif show == "overdue":
            needing = [w for w in needing if w.status == "overdue"]
        if needing:
            pending[member_id] = needing
            visited = [w.visit_on for w in schedule.windows if w.visit_on]
            last_visit[member_id] = max(visited) if visited else None
    if not pending:
        return result

    member_rows = {
        m.pk: m
        for m in Member.objects.filter(pk__in=list(pending)).select_related("household__village")
    }
    contacts: dict[int, list[HouseholdContact]] = defaultdict(list)
    for contact in HouseholdContact.objects.filter(
        household_id__in={m.household_id for m in member_rows.values()}
    ).order_by("household_id", "kind"):
        contacts[contact.household_id].append(contact)

    groups: dict[str, list[WorklistEntry]] = defaultdict(list)
    for member_id, windows in pending.items():
        member = member_rows.get(member_id)
        if member is None:
            continue
        disease_ids = sorted({d for w in windows for d in w.disease_ids})
        entry = WorklistEntry(
            member=member,
            windows=windows,
            days_overdue=max(w.days_overdue(today) for w in windows),
            disease_names=[rules.names[d] for d in disease_ids],
            contacts=contacts.get(member.household_id, []),
            last_visit_on=last_visit[member_id],
        )
        groups[member.household.village_id].append(entry)
        for window in windows:
            if window.status == "due":
                result.due += 1
            else:
                result.overdue += 1

    village_by_code = {v.code: v for v in villages}
    for code in sorted(groups):
        entries = groups[code]
        if sort == "name":
            entries.sort(key=lambda e: (e.member.household.number, e.member.pk))
        else:
            entries.sort(key=lambda e: (-e.days_overdue, e.member.household.number, e.member.pk))
        village = village_by_code.get(code) or entries[0].member.household.village
        result.groups.append(WorklistGroup(village, entries))
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
        # A county's or prefecture's figures take a moment: cache them briefly per scope.
        key = f"contracts:dashboard:{scope_prefix(user)}:{today.isoformat()}"
        indicators = cache.get(key)
        if indicators is None:
            start, end = year_to_date(today)
            indicators = contract_indicators(user, region=None, start=start, end=end, today=today)
            cache.set(key, indicators, 300)
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
