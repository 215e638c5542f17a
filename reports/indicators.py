"""The programme's indicators, each defined once, from the apps' selectors.

Pages, the JSON API and (later) briefings call these functions; none of them counts on
its own. Rates are ``Decimal`` percentages quantized to 0.01 with ROUND_HALF_UP, the way
the county's reports print them (17,365 ÷ 21,125 = 82.2012 % → 82.20).

Family-doctor contracts (家庭医生签约):

* **Target group** (建档立卡贫困人口): every member of a registered household in the
  scope, whatever the household's poverty status. Households lifted out of poverty stay
  on the 建档立卡 register and keep their contracts through the transition period, and
  monitored households are on it too, so the denominator is the register itself.
* **Contract rate** (签约率) = target-group people with a contract in effect on at least
  one day of the period ÷ target-group people.
* **Key-group contract rate** (重点人群签约率): the same over the key groups, ages on the
  period's last day: 65 and over, 0–6, pregnant women, the disabled, and people with one
  of the four diseases followed up four times a year.
* **Follow-up completion** (履约率) = follow-up windows done ÷ windows due in the period:
  a window is due once it has opened, and done when a visit fell inside it (see
  ``contracts.schedules``). Overall, by area, by team and by disease.

By team (家庭医生团队): a team answers for the people of the villages it covers.

* **Team contract rate** = the people of the team's villages whose contract (their latest
  one in effect in the period) is with the team ÷ the people of the team's villages. A
  person is in the target only of the teams that cover their village; where several teams
  cover one village, each of them has the whole village in its target (and shares its
  contracts), so their rates there add up to the village's. Contracts with people outside
  the team's villages (after a move, say) count in their own village's figures, not in the
  team's rate, which therefore never passes 100%.
* **Team completion** = the follow-up windows of the team's contracts (a window belongs to
  the team of the contract that covers it) done ÷ due, wherever the person lives.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from contracts import selectors as contract_selectors
from contracts.models import DoctorTeam
from healthaid.choices import RegionLevel
from healthaid.models import Region
from healthaid.scoping import get_profile, scope_prefix
from households.models import Disease

RATE_QUANTUM = Decimal("0.01")
# County figures are cached this long for repeat views, keyed on the scope, the region, the
# period, the day and ``contracts.selectors.figures_version`` (which every contract,
# follow-up, rule and registry change bumps, so those show at once). Computing them reads the
# derived rows of ``contracts.owed``, which every writer keeps exact, so the cache saves
# tens of milliseconds, not correctness. 0 turns it off.
DEFAULT_FIGURES_CACHE_SECONDS = 600


def _cached(kind: str, user, region, start, end, today, compute):
    seconds = getattr(settings, "CONTRACT_FIGURES_CACHE_SECONDS", DEFAULT_FIGURES_CACHE_SECONDS)
    prefix = scope_prefix(user)
    if not seconds or prefix is None:
        return compute()
    key = ":".join(
        [
            "reports:contracts",
            kind,
            prefix or "all",
            region.code if region is not None else "-",
            start.isoformat(),
            end.isoformat(),
            today.isoformat(),
            str(contract_selectors.figures_version()),
        ]
    )
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator ÷ denominator`` in percent, 2 places, half up; ``None`` when nothing is due."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        RATE_QUANTUM, rounding=ROUND_HALF_UP
    )


def format_rate(value: Decimal | None) -> str:
    """ "82.20%", or an en dash when there is no denominator."""
    return "–" if value is None else f"{value}%"


@dataclass
class ContractIndicators:
    """The counts behind the contract and completion rates, and the rates themselves."""

    target: int = 0
    contracted: int = 0
    key_group_target: int = 0
    key_group_contracted: int = 0
    windows_due: int = 0
    windows_done: int = 0

    @property
    def contract_rate(self) -> Decimal | None:
        return rate(self.contracted, self.target)

    @property
    def key_group_contract_rate(self) -> Decimal | None:
        return rate(self.key_group_contracted, self.key_group_target)

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.windows_done, self.windows_due)

    def as_json(self) -> dict:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "target": self.target,
            "contracted": self.contracted,
            "contract_rate": text(self.contract_rate),
            "key_group_target": self.key_group_target,
            "key_group_contracted": self.key_group_contracted,
            "key_group_contract_rate": text(self.key_group_contract_rate),
            "windows_due": self.windows_due,
            "windows_done": self.windows_done,
            "completion_rate": text(self.completion_rate),
        }

    def add_counts(self, counts: contract_selectors.ContractCounts) -> None:
        self.target += counts.target
        self.contracted += counts.contracted
        self.key_group_target += counts.key_group_target
        self.key_group_contracted += counts.key_group_contracted


def figures_area(user, region: Region | None = None) -> contract_selectors.Area | None:
    """The target group's area: the scope (narrowed to ``region``) whose registered
    households' members (any status) are counted; ``None`` when the user sees nothing."""
    return contract_selectors.Area.for_user(user, region)


def _figures(user, region, start, end, today) -> contract_selectors.Figures:
    area = figures_area(user, region)
    if area is None:
        return contract_selectors.Figures(
            contract_selectors.ContractTally(), contract_selectors.Completion()
        )
    return contract_selectors.contract_figures(area, start=start, end=end, today=today)


def contract_indicators(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> ContractIndicators:
    """Contract, key-group and completion figures for the scope (or a region inside it)."""
    today = today or timezone.localdate()
    return _cached(
        "indicators",
        user,
        region,
        start,
        end,
        today,
        lambda: _contract_indicators(user, region=region, start=start, end=end, today=today),
    )


def _contract_indicators(user, *, region, start, end, today) -> ContractIndicators:
    figures = _figures(user, region, start, end, today)
    result = ContractIndicators(
        windows_due=figures.completion.due, windows_done=figures.completion.done
    )
    result.add_counts(figures.contracts.total())
    return result


@dataclass
class AreaRow:
    region: Region
    indicators: ContractIndicators


@dataclass
class TeamRow:
    team: DoctorTeam
    indicators: ContractIndicators


@dataclass
class DiseaseRow:
    disease: Disease
    windows_due: int
    windows_done: int

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.windows_done, self.windows_due)


@dataclass
class Breakdown:
    region: Region | None
    start: datetime.date
    end: datetime.date
    total: ContractIndicators
    areas: list[AreaRow]
    teams: list[TeamRow]
    diseases: list[DiseaseRow]


def _child_level(region: Region | None, user) -> int:
    if region is not None:
        level = region.level
    else:
        profile = get_profile(user)
        level = profile.region.level if profile else RegionLevel.PROVINCE
    return {
        RegionLevel.PROVINCE: RegionLevel.PREFECTURE,
        RegionLevel.PREFECTURE: RegionLevel.COUNTY,
        RegionLevel.COUNTY: RegionLevel.TOWNSHIP,
    }.get(level, RegionLevel.VILLAGE)


def contract_breakdown(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> Breakdown:
    """The contract and completion indicators by the region's children (townships of a
    county, villages of a township), by team and by disease. A fixed number of queries."""
    today = today or timezone.localdate()
    return _cached(
        "breakdown",
        user,
        region,
        start,
        end,
        today,
        lambda: _contract_breakdown(user, region=region, start=start, end=end, today=today),
    )


def _contract_breakdown(user, *, region, start, end, today) -> Breakdown:
    figures = _figures(user, region, start, end, today)
    tally, completion = figures.contracts, figures.completion
    by_village = tally.by_village

    child_level = _child_level(region, user)
    areas: dict[str, ContractIndicators] = {}
    total = ContractIndicators(windows_due=completion.due, windows_done=completion.done)
    for village_code, counts in by_village.items():
        total.add_counts(counts)
        areas.setdefault(village_code[:child_level].ljust(12, "0"), ContractIndicators())
        areas[village_code[:child_level].ljust(12, "0")].add_counts(counts)
    for village_code, (due, done) in completion.by_village.items():
        row = areas.setdefault(village_code[:child_level].ljust(12, "0"), ContractIndicators())
        row.windows_due += due
        row.windows_done += done
    children = Region.objects.visible_to(user).filter(level=child_level)
    if region is not None:
        children = children.filter(code__startswith=region.prefix)
    area_rows = [
        AreaRow(child, areas.get(child.code, ContractIndicators()))
        for child in children.order_by("code")
        if child.code in areas
    ]

    teams = DoctorTeam.objects.visible_to(user).select_related("institution")
    if region is not None:
        teams = teams.filter(institution__region__code__startswith=region.prefix[:9])
    teams = list(teams.order_by("institution__region_id", "name"))
    team_villages: dict[int, list[str]] = {}
    for team_id, village_code in DoctorTeam.villages.through.objects.filter(
        doctorteam_id__in=[t.pk for t in teams]
    ).values_list("doctorteam_id", "region_id"):
        team_villages.setdefault(team_id, []).append(village_code)
    team_rows = []
    for team in teams:
        row = ContractIndicators()
        row.add_counts(tally.for_team(team.pk, team_villages.get(team.pk, [])))
        row.windows_due, row.windows_done = completion.by_team.get(team.pk, (0, 0))
        team_rows.append(TeamRow(team, row))

    diseases = {d.pk: d for d in Disease.objects.filter(pk__in=list(completion.by_disease))}
    disease_rows = [
        DiseaseRow(diseases[pk], due, done)
        for pk, (due, done) in sorted(
            completion.by_disease.items(), key=lambda item: diseases[item[0]].sort_order
        )
    ]
    return Breakdown(region, start, end, total, area_rows, team_rows, disease_rows)


# --- Screenings, check-ups, five-ones and free clinics (screening app) -------------------------
#
# * **Screened** (筛查人数) = people with at least one screening in the period; **abnormal** =
#   those of them with at least one screening whose result was abnormal by the thresholds in
#   force when it was recorded (``screening.models.ScreeningItem``); **abnormal rate** =
#   abnormal ÷ screened.
# * **Suspected, to confirm** = people with an open suspected case now (an abnormal item that
#   points at a disease they were not known to have, not yet confirmed or ruled out).
# * **Check-up coverage** (健康体检覆盖率) = people with the free check-up of the half year the
#   period ends in ÷ the people of the registered households in the area (``checkup_target``).
# * **Five-ones completion** (五个一完成率), per item = targeted households with the item done ÷
#   households targeted; **all done** = those with every item of the campaign done (all five,
#   or all eight of an eight-ones campaign). An item is done when a team marked it or when the
#   portal holds its record (``screening.selectors``: a screening, prescription or check-up in
#   the campaign window, a contract in effect in it, a 亲情号码 recorded). **Overdue** =
#   targeted households not all done once the implementation phase (组织实施) has ended.
# * **Free-clinic value** (义诊服务总价值) = drug value + service value, summed over the free
#   clinics held in the area and period (seed 002: 8,344.59 + 41,468 = 49,812.59 yuan).

from screening import selectors as screening_selectors  # noqa: E402


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def screening_indicators(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> dict:
    """Screened, abnormal and its rate, open suspected cases, check-up target, checked and
    coverage, for the scope (or a region inside it) and the period."""
    counts = screening_selectors.screening_counts(user, region=region, start=start, end=end)
    return {
        "screened": counts.screened,
        "abnormal": counts.abnormal,
        "abnormal_rate": _text(rate(counts.abnormal, counts.screened)),
        "suspected_to_confirm": counts.suspected_to_confirm,
        "checkup_target": counts.checkup_target,
        "checked_up": counts.checked_up,
        "checkup_coverage": _text(rate(counts.checked_up, counts.checkup_target)),
    }


def five_ones_indicators(
    user, *, campaign, region: Region | None = None, today: datetime.date | None = None
) -> dict:
    """Households targeted, done per item with the rate, all items done and its rate, and
    households overdue, for a campaign in the scope (or a region inside it)."""
    progress = screening_selectors.campaign_progress(campaign, user, region=region, today=today)
    total = progress.total
    return {
        "households_targeted": total.targeted,
        "items": [
            {
                "id": item.pk,
                "order": item.order,
                "name": item.name,
                "source": item.source,
                "done": done,
                "rate": _text(item_rate),
            }
            for item, done, item_rate in progress.item_rows()
        ],
        "all_five_done": total.all_done,
        "all_five_rate": _text(total.all_rate),
        "overdue": total.overdue,
    }


def free_clinic_indicators(
    user,
    *,
    region: Region | None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict:
    """Sessions, staff person-times, people served, leaflets, drug, service and total value
    (decimal strings in yuan) of the free clinics held in the area and period."""
    total, _rows = screening_selectors.free_clinic_totals(
        user, region=region, start=start, end=end, breakdown=False
    )
    return total.as_json()
