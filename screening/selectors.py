"""Reads of the screening app: the suspected list, check-up coverage, five-ones progress and
free-clinic totals. Each runs a fixed number of queries, whatever the size of the county.

Five-ones progress reads the derived item states (``HouseholdItemState``, one row per
household and item done, kept exact by the writers: ``screening.states`` says what counts,
by each item's source).

Targeted households: the registered households of the campaign's county within the user's
scope; with the default target only those poor, or back in poverty, because of illness
(因病致贫 / 因病返贫). After the implementation phase (组织实施) ends, targeted households
with an item not done are overdue.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from contracts.models import DoctorTeam
from healthaid.choices import RegionLevel, Role
from healthaid.models import Region
from healthaid.scoping import by_area as grouped_by_area
from healthaid.scoping import prefix_bounds, scope_prefix_within, user_role
from healthaid.versions import Version, cached_for_scope, read_versions, regions_version
from households.choices import Relation
from households.models import Household, Member
from screening.choices import CampaignTarget, ItemSource, PhaseKind, SuspicionStatus
from screening.models import (
    Campaign,
    CampaignItem,
    CheckUp,
    FreeClinic,
    FreeClinicTarget,
    HouseholdItem,
    HouseholdItemState,
    Screening,
    Suspicion,
    WorkTeam,
)
from screening.periods import half_bounds, half_of

RATE_QUANTUM = Decimal("0.01")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """Percent, two places, half up (the county's reports round so); ``None`` without a
    denominator. The same rule as ``reports.indicators.rate``, which this app may not import."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        RATE_QUANTUM, rounding=ROUND_HALF_UP
    )


def area_prefix(user, region: Region | None) -> str | None:
    """The code prefix to count in: the scope narrowed to ``region``; ``None`` if nothing.
    Hospital staff count nothing here: no screening work is theirs (as ``visible_to``)."""
    prefix = scope_prefix_within(user)
    if prefix is None or user_role(user) == Role.HOSPITAL_STAFF:
        return None
    if region is not None:
        if region.prefix.startswith(prefix):
            return region.prefix
        if not prefix.startswith(region.prefix):
            return None
    return prefix


# --- suspected cases --------------------------------------------------------------------------


def team_villages(team: DoctorTeam) -> list[str]:
    return list(team.villages.values_list("code", flat=True))


def suspected_to_confirm(user, *, team: DoctorTeam | None = None):
    """Open suspicions in scope (of a family-doctor team's villages when given), oldest first."""
    queryset = (
        Suspicion.objects.visible_to(user)
        .filter(status=SuspicionStatus.TO_CONFIRM)
        .select_related("member__household__village", "disease", "screening")
        .order_by("member__household__village_id", "member__household__number", "created_at")
    )
    if team is not None:
        queryset = queryset.filter(member__household__village_id__in=team_villages(team))
    return queryset


# --- check-ups --------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    region: Region
    members: int
    checked: int

    @property
    def rate(self) -> Decimal | None:
        return rate(self.checked, self.members)


@dataclass
class Coverage:
    year: int
    half: int
    members: int = 0
    checked: int = 0
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        return rate(self.checked, self.members)


def _child_level(prefix: str) -> int:
    # A county (or above) by township; a township by village.
    return RegionLevel.VILLAGE if len(prefix) >= RegionLevel.TOWNSHIP else RegionLevel.TOWNSHIP


def check_up_coverage(user, *, year: int, half: int, region: Region | None = None) -> Coverage:
    """Members checked in the half year ÷ members, in total and by township (by village
    inside a township). Three queries."""
    coverage = Coverage(year, half)
    prefix = area_prefix(user, region)
    if prefix is None:
        return coverage
    level = _child_level(prefix)
    members = Member.objects.filter(household__village__code__startswith=prefix)
    by_area = dict(
        members.annotate(area=Substr("household__village_id", 1, level))
        .values("area")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("area", "n")
    )
    checked = dict(
        CheckUp.objects.filter(
            year=year, half=half, member__household__village__code__startswith=prefix
        )
        .annotate(area=Substr("member__household__village_id", 1, level))
        .values("area")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
        .values_list("area", "n")
    )
    regions = Region.objects.filter(
        code__in=[area.ljust(12, "0") for area in by_area], level=level
    ).order_by("code")
    for child in regions:
        key = child.code[:level]
        row = CoverageRow(child, by_area.get(key, 0), checked.get(key, 0))
        coverage.rows.append(row)
        coverage.members += row.members
        coverage.checked += row.checked
    return coverage


def not_checked(user, *, year: int, half: int, villages: list[str] | None = None):
    """Members in scope without a check-up in the half year (of ``villages`` when given), by
    village and household; a queryset to paginate."""
    # NOT EXISTS, not NOT IN: PostgreSQL then walks the members in page order and probes
    # each one's check-up by index, where NOT IN hashed the half year's check-ups and joined
    # the township's members to every region to sort them (85 ms for a page of 5 on the
    # county demo, 2 ms now).
    done = CheckUp.objects.filter(year=year, half=half, member=OuterRef("pk"))
    queryset = (
        Member.objects.visible_to(user)
        .filter(~Exists(done))
        .select_related("household__village")
        .order_by("household__village_id", "household__number", "pk")
    )
    if villages is not None:
        queryset = queryset.filter(household__village_id__in=villages)
    return queryset


@dataclass(frozen=True)
class WorklistBlock:
    """The screening block of the doctor's worklist: the badges' counts and the first few
    members without a check-up, as the page prints them."""

    not_checked_count: int
    suspected_count: int
    not_checked: list[dict]


def worklist_block(
    user, *, year: int, half: int, team: DoctorTeam | None = None, shown: int = 5
) -> WorklistBlock:
    """The doctor's worklist block: members in scope (of ``team``'s villages when given)
    without a check-up in the half year, their count and the first ``shown`` of them (id,
    name, village name, household number), and the open suspicions to confirm.

    One cache entry (``cached_figures``: keyed on the caller's scope, the team and half year,
    and the versions every screening and registry write moves) under the regions' version too
    (the village names): counting a township's members against the half year's check-ups
    reads its whole registry, 21 + 16 ms on every worklist page of the county demo before it
    was cached, and the block's two entries were a quarter of the page's cache time.
    """

    def compute() -> WorklistBlock:
        villages = team_villages(team) if team is not None else None
        members = not_checked(user, year=year, half=half, villages=villages)
        return WorklistBlock(
            not_checked_count=members.count(),
            suspected_count=suspected_to_confirm(user, team=team).count(),
            not_checked=list(
                members.values(
                    "pk",
                    "name",
                    village=F("household__village__name"),
                    number=F("household__number"),
                )[:shown]
            ),
        )

    parts = [year, half, team.pk if team is not None else "-", shown, regions_version()]
    return cached_figures("worklist-block", user, None, parts, compute)


def screening_rows(page) -> list[dict]:
    """The rows of a page of the screening list as plain values: one query, as the page
    would run, but no model instances (a screening, its member, household and village a
    row) and nothing for the template to look up."""
    rows = []
    for row in page.values(
        "screened_on",
        "member__name",
        "member__id_number_masked",
        "member__household__village__name",
        "systolic",
        "diastolic",
        "fasting_glucose",
        "random_glucose",
        "bmi",
        "abnormal",
    ):
        systolic, diastolic = row["systolic"], row["diastolic"]
        rows.append(
            {
                "screened_on": row["screened_on"].isoformat(),
                "name": row["member__name"],
                "id_number_masked": row["member__id_number_masked"],
                "village": row["member__household__village__name"],
                "blood_pressure": f"{systolic}/{diastolic}" if systolic and diastolic else "",
                "fasting_glucose": row["fasting_glucose"],
                "random_glucose": row["random_glucose"],
                "bmi": row["bmi"] if row["bmi"] is not None else "",
                "abnormal": row["abnormal"],
            }
        )
    return rows


def current_half(today: datetime.date | None = None) -> tuple[int, int]:
    return half_of(today or timezone.localdate())


# --- five-ones progress -------------------------------------------------------------------------


@dataclass
class Tally:
    """Households targeted, done per item (in the campaign's item order) and all items done."""

    targeted: int = 0
    done: list[int] = field(default_factory=list)
    all_done: int = 0
    overdue: int = 0

    def add(self, mask: int, full: int, overdue: bool, count: int = 1) -> None:
        """``count`` households whose done items are the bits of ``mask``."""
        self.targeted += count
        for index in range(len(self.done)):
            if mask & (1 << index):
                self.done[index] += count
        if mask == full:
            self.all_done += count
        elif overdue:
            self.overdue += count

    @property
    def rates(self) -> list[Decimal | None]:
        return [rate(n, self.targeted) for n in self.done]

    @property
    def all_rate(self) -> Decimal | None:
        return rate(self.all_done, self.targeted)

    @property
    def cells(self) -> list[tuple[int, Decimal | None]]:
        return list(zip(self.done, self.rates, strict=True))


@dataclass
class ProgressRow:
    key: object
    label: str
    tally: Tally


@dataclass
class Progress:
    campaign: Campaign
    items: list[CampaignItem]
    today: datetime.date
    overdue_since: datetime.date | None
    total: Tally
    townships: list[ProgressRow]
    villages: list[ProgressRow]
    teams: list[ProgressRow]
    # the code prefix counted in (the scope narrowed to the region and the county)
    area: str
    team_villages: dict[int, set[str]]

    @property
    def is_overdue(self) -> bool:
        return self.overdue_since is not None

    def item_rows(self) -> list[tuple[CampaignItem, int, Decimal | None]]:
        return [
            (item, done, rate_)
            for item, (done, rate_) in zip(self.items, self.total.cells, strict=True)
        ]


def targeted_households(campaign: Campaign, user, prefix: str | None = None):
    """The campaign's households in the user's scope (within ``prefix`` when given)."""
    queryset = Household.objects.visible_to(user).filter(
        village__code__startswith=prefix or campaign.county.prefix
    )
    if prefix and not prefix.startswith(campaign.county.prefix):
        queryset = queryset.filter(village__code__startswith=campaign.county.prefix)
    if campaign.target == CampaignTarget.ILLNESS:
        queryset = queryset.filter(Q(illness_caused=True) | Q(illness_returned=True))
    return queryset


def _area(campaign: Campaign, prefix: str) -> str:
    """The prefix to count in: the user's (narrowed) scope inside the campaign's county."""
    county = campaign.county.prefix
    return prefix if prefix.startswith(county) else county


def state_tally(
    campaign: Campaign, items: list[CampaignItem], user, prefix: str
) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """From the derived states: targeted households per village, and (village, mask of the
    items done, households) for the targeted households with at least one item done. Two
    queries, whatever the county's size: the households grouped by village, and the states
    grouped by household then by (village, mask) in the database."""
    area = _area(campaign, prefix)
    targeted = dict(
        targeted_households(campaign, user, prefix)
        .values("village_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("village_id", "n")
    )
    if not targeted or not items:
        return targeted, []
    low, high = prefix_bounds(area)
    state = HouseholdItemState._meta.db_table
    household = Household._meta.db_table
    # item ids are integers from the database: safe to inline as the mask's bits
    bits = " ".join(f"WHEN {item.pk} THEN {1 << index}" for index, item in enumerate(items))
    join, where = "", ""
    if campaign.target == CampaignTarget.ILLNESS:
        join = f"JOIN {household} h ON h.id = s.household_id"
        where = " AND (h.illness_caused OR h.illness_returned)"
    statement = (
        "SELECT village, mask, COUNT(*) FROM ("
        f"SELECT s.household_id, s.village, SUM(CASE s.item_id {bits} ELSE 0 END) AS mask "
        f"FROM {state} s {join} "
        f"WHERE s.campaign_id = %s AND s.village BETWEEN %s AND %s{where} "
        "GROUP BY s.household_id, s.village) t GROUP BY village, mask"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [campaign.pk, low, high])
        rows = [(village, int(mask), n) for village, mask, n in cursor.fetchall()]
    return targeted, [row for row in rows if row[0] in targeted]


def overdue_since(campaign: Campaign, today: datetime.date) -> datetime.date | None:
    """The day after the implementation phase ended, once that day has come."""
    phase = campaign.phase(PhaseKind.IMPLEMENT)
    if phase is None or today <= phase.ends_on:
        return None
    return phase.ends_on + datetime.timedelta(days=1)


def campaign_teams(campaign: Campaign) -> tuple[list[WorkTeam], dict[int, set[str]]]:
    teams = list(WorkTeam.objects.filter(campaign=campaign).order_by("unit_name", "name"))
    villages: dict[int, set[str]] = defaultdict(set)
    for team_id, code in WorkTeam.villages.through.objects.filter(
        workteam_id__in=[t.pk for t in teams]
    ).values_list("workteam_id", "region_id"):
        villages[team_id].add(code)
    return teams, villages


# Progress is cached this long for repeat views, keyed on the campaign, the area, the day,
# ``progress_version`` (bumped by every write of this app and every 亲情号码 change) and
# ``contracts.selectors.figures_version`` (bumped by every contract and registry change), so
# a change shows at once; 0 turns it off.
DEFAULT_PROGRESS_CACHE_SECONDS = 600
PROGRESS_VERSION = Version("screening:progress-version")


def progress_version() -> int:
    """A number that changes whenever something a campaign's progress reads changes."""
    return PROGRESS_VERSION.get()


def progress_changed() -> None:
    """Called by the writers: see :class:`healthaid.versions.Version`."""
    PROGRESS_VERSION.changed()


def cached_figures(kind: str, user, region: Region | None, parts, compute):
    """``compute()``, from the cache when nothing it reads has changed: the screening
    figures a dashboard shows (screened and abnormal, open suspicions, check-up coverage;
    the free clinics' two sums are cheap and not cached) and the worklist's badges, keyed on
    the kind, the caller's scope, the region, ``parts`` (the period), ``progress_version``
    (every write of this app) and the contract figures' version (every registry change,
    which moves the check-up target). ``SCREENING_PROGRESS_CACHE_SECONDS`` sets how long; 0
    turns it off."""
    from contracts.selectors import FIGURES_VERSION_KEY

    seconds = getattr(settings, "SCREENING_PROGRESS_CACHE_SECONDS", DEFAULT_PROGRESS_CACHE_SECONDS)
    versions = read_versions([PROGRESS_VERSION.key, FIGURES_VERSION_KEY]).values()
    return cached_for_scope(
        "screening:figures", kind, user, region, parts, versions, compute, seconds
    )


def campaign_progress(
    campaign: Campaign,
    user,
    *,
    region: Region | None = None,
    today: datetime.date | None = None,
) -> Progress:
    """``compute_progress``, from the cache when nothing it reads has changed."""
    from contracts.selectors import figures_version

    today = today or timezone.localdate()
    seconds = getattr(settings, "SCREENING_PROGRESS_CACHE_SECONDS", DEFAULT_PROGRESS_CACHE_SECONDS)
    prefix = area_prefix(user, region)
    if not seconds or prefix is None:
        return compute_progress(campaign, user, region=region, today=today)
    key = ":".join(
        [
            "screening:progress",
            str(campaign.pk),
            prefix or "all",
            today.isoformat(),
            str(progress_version()),
            str(figures_version()),
        ]
    )
    progress = cache.get(key)
    if progress is None:
        progress = compute_progress(campaign, user, region=region, today=today)
        cache.set(key, progress, seconds)
    return progress


def compute_progress(
    campaign: Campaign,
    user,
    *,
    region: Region | None = None,
    today: datetime.date | None = None,
) -> Progress:
    """Progress of a campaign by township, village, work team and item, and the overdue
    households, for the user's scope (narrowed to ``region``), read from the derived item
    states (``screening.states``). A fixed number of queries (items, phases, targeted
    households by village, states by village and mask, teams, their villages, regions)."""
    today = today or timezone.localdate()
    items = list(campaign.items.all())
    prefix = area_prefix(user, region)
    late = overdue_since(campaign, today)
    targeted, pairs = state_tally(campaign, items, user, prefix) if prefix is not None else ({}, [])
    full = (1 << len(items)) - 1

    def tally() -> Tally:
        return Tally(done=[0] * len(items))

    total = tally()
    by_township: dict[str, Tally] = defaultdict(tally)
    by_village: dict[str, Tally] = defaultdict(tally)
    # A county's 15,000 households fall in a few hundred (village, mask) pairs, which the
    # tallies add with their multiplicity; the targeted households with no row have none done.
    counted: Counter = Counter()
    overdue = late is not None
    for village, mask, count in pairs:
        counted[village] += count
        for part in (total, by_township[village[:9]], by_village[village]):
            part.add(mask, full, overdue, count)
    for village, count in targeted.items():
        rest = count - counted[village]
        if rest > 0:
            for part in (total, by_township[village[:9]], by_village[village]):
                part.add(0, full, overdue, rest)
    teams, villages_of = campaign_teams(campaign)
    team_rows = []
    for team in teams:
        row = tally()
        for village in villages_of.get(team.pk, ()):
            part = by_village.get(village)
            if part is None:
                continue
            row.targeted += part.targeted
            row.all_done += part.all_done
            row.overdue += part.overdue
            row.done = [a + b for a, b in zip(row.done, part.done, strict=True)]
        team_rows.append(ProgressRow(team, f"{team.unit_name} · {team.name}", row))
    codes = [f"{k}000" for k in by_township] + list(by_village)
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    townships = [
        ProgressRow(code, names.get(f"{code}000", code), by_township[code])
        for code in sorted(by_township)
    ]
    villages = [
        ProgressRow(code, names.get(code, code), by_village[code]) for code in sorted(by_village)
    ]
    return Progress(
        campaign=campaign,
        items=items,
        today=today,
        overdue_since=late,
        total=total,
        townships=townships,
        villages=villages,
        teams=team_rows,
        area=_area(campaign, prefix) if prefix is not None else "",
        team_villages=dict(villages_of),
    )


@dataclass
class OverdueHousehold:
    household: Household
    head: str
    missing: list[str]


def overdue_households(progress: Progress, team: WorkTeam | None = None) -> list[OverdueHousehold]:
    """The households not done after the implementation phase (of a team's villages), with
    the head's name and the items missing. Three queries."""
    if not progress.is_overdue or not progress.area:
        return []
    campaign = progress.campaign
    low, high = prefix_bounds(progress.area)
    queryset = Household.objects.filter(village__code__range=(low, high))
    if campaign.target == CampaignTarget.ILLNESS:
        queryset = queryset.filter(Q(illness_caused=True) | Q(illness_returned=True))
    if team is not None:
        queryset = queryset.filter(village_id__in=sorted(progress.team_villages.get(team.pk, ())))
    all_done = (
        HouseholdItemState.objects.filter(
            campaign=campaign, village__range=(low, high), item__in=progress.items
        )
        .values("household_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=len(progress.items))
        .values("household_id")
    )
    households = list(
        queryset.exclude(pk__in=all_done).select_related("village").order_by("village_id", "number")
    )
    ids = [h.pk for h in households]
    done: dict[int, set[int]] = defaultdict(set)
    for household_id, item_id in HouseholdItemState.objects.filter(
        campaign=campaign, household_id__in=ids
    ).values_list("household_id", "item_id"):
        done[household_id].add(item_id)
    heads = dict(
        Member.objects.filter(household_id__in=ids, relation=Relation.HEAD)
        .order_by("household_id", "pk")
        .values_list("household_id", "name")
    )
    return [
        OverdueHousehold(
            household,
            heads.get(household.pk, ""),
            [item.name for item in progress.items if item.pk not in done[household.pk]],
        )
        for household in households
    ]


@dataclass
class Evidence:
    """The record that completes an item for a household, to show and follow."""

    text: str
    url: str = ""
    done_on: datetime.date | None = None


@dataclass
class HouseholdState:
    household: Household
    head: str
    # (item, done, the team's mark or None, the record or None)
    states: list[tuple[CampaignItem, bool, HouseholdItem | None, Evidence | None]]


def _evidence_of(state: HouseholdItemState) -> Evidence:
    """The stored evidence of a state, with a link to the record it rests on."""
    from django.urls import reverse

    if state.screening_id:
        url = f"{reverse('screening:screening-list')}?member={state.screening.member_id}"
    elif state.prescription_id:
        url = reverse("screening:prescription-pdf", args=["member", state.prescription.member_id])
    elif state.contract_id:
        url = reverse("contracts:contract-detail", args=[state.contract_id])
    elif state.source == ItemSource.CONTACTS:
        url = reverse("households:household-detail", args=[state.household_id])
    else:
        url = ""
    return Evidence(state.evidence, url, state.done_on)


def household_states(campaign: Campaign, user, households) -> list[HouseholdState]:
    """Item states of some households (a page of them): done or not, the team's mark if any,
    and the record that completes it with its link, from the derived states. Three queries."""
    households = list(households)
    items = list(campaign.items.all())
    ids = [h.pk for h in households]
    if not ids:
        return []
    marks = {
        (m.household_id, m.item_id): m
        for m in HouseholdItem.objects.filter(campaign=campaign, household_id__in=ids)
    }
    states = {
        (s.household_id, s.item_id): s
        for s in HouseholdItemState.objects.filter(campaign=campaign, household_id__in=ids)
        .select_related("screening", "prescription")
        .only(
            "household_id",
            "item_id",
            "source",
            "evidence",
            "done_on",
            "screening__member_id",
            "prescription__member_id",
            "contract_id",
            "check_up_id",
            "mark_id",
        )
    }
    heads = dict(
        Member.objects.filter(household_id__in=ids, relation=Relation.HEAD)
        .order_by("household_id", "pk")
        .values_list("household_id", "name")
    )
    rows = []
    for household in households:
        row = []
        for item in items:
            mark = marks.get((household.pk, item.pk))
            state = states.get((household.pk, item.pk))
            record = None
            if state is not None and (state.source != ItemSource.MANUAL or mark is None):
                record = _evidence_of(state)
            row.append((item, state is not None, mark, record))
        rows.append(HouseholdState(household, heads.get(household.pk, ""), row))
    return rows


# --- free clinics -----------------------------------------------------------------------------


@dataclass
class ClinicTotals:
    sessions: int = 0
    staff_times: int = 0
    served: int = 0
    leaflets: int = 0
    drug_value: Decimal = Decimal("0.00")
    service_value: Decimal = Decimal("0.00")

    @property
    def total_value(self) -> Decimal:
        return self.drug_value + self.service_value

    def as_json(self) -> dict:
        return {
            "sessions": self.sessions,
            "staff_times": self.staff_times,
            "served": self.served,
            "leaflets": self.leaflets,
            "drug_value": f"{self.drug_value:.2f}",
            "service_value": f"{self.service_value:.2f}",
            "total_value": f"{self.total_value:.2f}",
        }


def _totals(row: dict) -> ClinicTotals:
    return ClinicTotals(
        sessions=row["sessions"] or 0,
        staff_times=row["staff_times"] or 0,
        served=row["served"] or 0,
        leaflets=row["leaflets"] or 0,
        drug_value=(row["drug_value"] or Decimal(0)).quantize(RATE_QUANTUM),
        service_value=(row["service_value"] or Decimal(0)).quantize(RATE_QUANTUM),
    )


TOTALS = {
    "sessions": Count("id"),
    "staff_times": Sum("staff_times"),
    "served": Sum("served"),
    "leaflets": Sum("leaflets"),
    "drug_value": Sum("drug_value"),
    "service_value": Sum("service_value"),
}


def free_clinics_in(user, *, region=None, start=None, end=None):
    prefix = area_prefix(user, region)
    if prefix is None:
        return FreeClinic.objects.none()
    queryset = FreeClinic.objects.visible_to(user).filter(village__code__startswith=prefix)
    if start is not None:
        queryset = queryset.filter(held_on__gte=start)
    if end is not None:
        queryset = queryset.filter(held_on__lte=end)
    return queryset


def free_clinic_totals(
    user, *, region: Region | None = None, start=None, end=None, breakdown: bool = True
) -> tuple[ClinicTotals, list[tuple[Region, ClinicTotals]]]:
    """Totals of the free clinics in the area and period, and (with ``breakdown``) by
    township (by village inside a township). One query, three with the breakdown."""
    queryset = free_clinics_in(user, region=region, start=start, end=end)
    total = _totals(queryset.aggregate(**TOTALS))
    if not breakdown:
        return total, []
    prefix = area_prefix(user, region) or ""
    level = _child_level(prefix)
    rows = list(
        queryset.annotate(area=Substr("village_id", 1, level))
        .values("area")
        .annotate(**TOTALS)
        .order_by("area")
    )
    names = {
        r.code: r
        for r in Region.objects.filter(code__in=[row["area"].ljust(12, "0") for row in rows])
    }
    by_area = [
        (names[row["area"].ljust(12, "0")], _totals(row))
        for row in rows
        if row["area"].ljust(12, "0") in names
    ]
    return total, by_area


@dataclass
class TargetVillage:
    village: Region
    held: int
    rounds: int

    @property
    def missing(self) -> int:
        return max(0, self.rounds - self.held)


@dataclass
class TargetCoverage:
    target: FreeClinicTarget
    villages: list[TargetVillage]

    @property
    def complete(self) -> int:
        return sum(1 for v in self.villages if not v.missing)

    @property
    def missing_villages(self) -> list[TargetVillage]:
        return [v for v in self.villages if v.missing]


def target_coverage(target: FreeClinicTarget, user) -> TargetCoverage:
    """The target's villages (those in the user's scope) with the clinics held there in its
    period against the rounds owed. Two queries."""
    prefix = scope_prefix_within(user)
    villages = list(target.villages.order_by("code"))
    if prefix:
        villages = [v for v in villages if v.code.startswith(prefix)]
    held = dict(
        FreeClinic.objects.visible_to(user)
        .filter(
            village_id__in=[v.code for v in villages],
            held_on__range=(target.starts_on, target.ends_on),
        )
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("village_id", "n")
    )
    return TargetCoverage(
        target, [TargetVillage(v, held.get(v.code, 0), target.rounds) for v in villages]
    )


# --- screening figures ------------------------------------------------------------------------


@dataclass
class ScreeningCounts:
    screened: int
    abnormal: int
    suspected_to_confirm: int
    checkup_target: int
    checked_up: int


def screening_counts(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> ScreeningCounts:
    """People screened in the period and those with an abnormal result; open suspicions;
    members, and members checked up in the half year ``end`` falls in. Four queries."""
    prefix = area_prefix(user, region)
    if prefix is None:
        return ScreeningCounts(0, 0, 0, 0, 0)
    screenings = Screening.objects.visible_to(user).filter(
        screened_on__range=(start, end), member__household__village__code__startswith=prefix
    )
    counts = screenings.aggregate(
        screened=Count("member_id", distinct=True),
        abnormal=Count("member_id", distinct=True, filter=Q(abnormal=True)),
    )
    open_ = (
        Suspicion.objects.visible_to(user)
        .filter(
            status=SuspicionStatus.TO_CONFIRM,
            member__household__village__code__startswith=prefix,
        )
        .values("member_id")
        .distinct()
        .count()
    )
    year, half = half_of(end)
    members = Member.objects.visible_to(user).filter(household__village__code__startswith=prefix)
    checked = (
        CheckUp.objects.visible_to(user)
        .filter(year=year, half=half, member__household__village__code__startswith=prefix)
        .count()
    )
    return ScreeningCounts(
        screened=counts["screened"],
        abnormal=counts["abnormal"],
        suspected_to_confirm=open_,
        checkup_target=members.count(),
        checked_up=checked,
    )


def screening_counts_by_area(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    level: int,
    areas: Iterable[str] = (),
) -> dict[str, ScreeningCounts]:
    """:func:`screening_counts` for every area of ``level`` (a code prefix length, e.g.
    ``RegionLevel.TOWNSHIP``) inside the region, keyed by the area's code prefix: the same
    four queries, each grouped by the area, whatever the number of areas. The ``areas``
    asked for are all in the answer (zeros where nothing was counted)."""
    result = {area: ScreeningCounts(0, 0, 0, 0, 0) for area in areas}
    prefix = area_prefix(user, region)
    if prefix is None:
        return result
    village = "member__household__village_id"

    def by_area(queryset, column, **aggregates):
        return grouped_by_area(queryset, column, level, **aggregates)

    screened = by_area(
        Screening.objects.visible_to(user).filter(
            screened_on__range=(start, end), member__household__village__code__startswith=prefix
        ),
        village,
        screened=Count("member_id", distinct=True),
        abnormal=Count("member_id", distinct=True, filter=Q(abnormal=True)),
    )
    open_ = by_area(
        Suspicion.objects.visible_to(user).filter(
            status=SuspicionStatus.TO_CONFIRM,
            member__household__village__code__startswith=prefix,
        ),
        village,
        n=Count("member_id", distinct=True),
    )
    year, half = half_of(end)
    members = by_area(
        Member.objects.visible_to(user).filter(household__village__code__startswith=prefix),
        "household__village_id",
        n=Count("pk"),
    )
    checked = by_area(
        CheckUp.objects.visible_to(user).filter(
            year=year, half=half, member__household__village__code__startswith=prefix
        ),
        village,
        n=Count("pk"),
    )
    for area in set(screened) | set(open_) | set(members) | set(checked):
        counts = screened.get(area, {})
        result[area] = ScreeningCounts(
            screened=counts.get("screened", 0),
            abnormal=counts.get("abnormal", 0),
            suspected_to_confirm=open_.get(area, {}).get("n", 0),
            checkup_target=members.get(area, {}).get("n", 0),
            checked_up=checked.get(area, {}).get("n", 0),
        )
    return result


__all__ = [
    "cached_figures",
    "campaign_progress",
    "check_up_coverage",
    "current_half",
    "free_clinic_totals",
    "half_bounds",
    "household_states",
    "not_checked",
    "overdue_households",
    "screening_counts",
    "screening_counts_by_area",
    "suspected_to_confirm",
    "target_coverage",
]
