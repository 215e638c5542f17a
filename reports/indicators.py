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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from contracts import selectors as contract_selectors
from contracts.models import DoctorTeam
from healthaid.choices import RegionLevel
from healthaid.figures import (  # noqa: F401 (part of the API)
    RATE_QUANTUM,
    WAN,
    format_rate,
    rate,
    yuan_to_wan,
)
from healthaid.models import Region
from healthaid.scoping import get_profile, scope_prefix_within
from households.models import Disease

# Contract figures are cached this long for repeat views, keyed on the scope, the region, the
# period, the day and the figures versions of the area's counties
# (``contracts.selectors.area_versions``: every contract, follow-up, rule and registry change
# bumps its county's, so those show at once, and a change in one county leaves the others'
# figures cached). Computing them reads the derived rows of ``contracts.owed``, which every
# writer keeps exact, so the cache saves time, not correctness. An area above a county (a
# supervisor's prefecture) is computed as the sum of its counties' figures, each cached under
# its county's version (``contracts.selectors.area_figures``), so after a change only the
# changed counties are computed again. How long: ``CONTRACT_FIGURES_CACHE_SECONDS``
# (``contracts.selectors.figures_cache_seconds``, which the warm task reads too); 0 turns it off.


def _cached(kind: str, user, region, start, end, today, build):
    """``build(figures)`` of the area's contract figures (``_figures``), from the cache."""
    seconds = contract_selectors.figures_cache_seconds()
    prefix = scope_prefix_within(user)
    area = figures_area(user, region)
    if not seconds or prefix is None:
        return build(_figures(area, start, end, today))
    versions = contract_selectors.area_versions(area) if area is not None else None
    key = ":".join(
        [
            "reports:contracts",
            kind,
            prefix or "all",
            region.code if region is not None else "-",
            start.isoformat(),
            end.isoformat(),
            today.isoformat(),
            versions.key if versions is not None else "-",
        ]
    )
    value = cache.get(key)
    if value is None:
        value = build(_figures(area, start, end, today, versions=versions, cache_seconds=seconds))
        cache.set(key, value, seconds)
    return value


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


def _figures(
    area, start, end, today, *, versions=None, cache_seconds=0
) -> contract_selectors.Figures:
    if area is None:
        return contract_selectors.Figures(
            contract_selectors.ContractTally(), contract_selectors.Completion()
        )
    return contract_selectors.area_figures(
        area, start=start, end=end, today=today, versions=versions, cache_seconds=cache_seconds
    )


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
        _contract_indicators,
    )


def _contract_indicators(figures: contract_selectors.Figures) -> ContractIndicators:
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
        lambda figures: _contract_breakdown(user, figures, region=region, start=start, end=end),
    )


def contract_breakdown_prepared(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    kind: str,
    prepare: Callable[[Breakdown], Any],
) -> Any:
    """``prepare(contract_breakdown(...))``, cached under the breakdown's own key and
    versions (so it goes stale with it): what a page prints of the breakdown, worked out
    once. ``kind`` names the page's preparation (one ``prepare`` a kind); what ``prepare``
    returns may depend only on the arguments here, and should hold plain values: the
    breakdown's model instances (areas, teams, diseases) took a millisecond a request to
    unpickle, and a county's hundred rows as much again to format."""
    today = today or timezone.localdate()
    return _cached(
        f"breakdown-{kind}",
        user,
        region,
        start,
        end,
        today,
        lambda figures: prepare(
            _contract_breakdown(user, figures, region=region, start=start, end=end)
        ),
    )


def _contract_breakdown(user, figures, *, region, start, end) -> Breakdown:
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


# =============================================================================================
# Settlements: reimbursement, out of pocket, the non-reimbursable cap, one-stop settlement,
# treat first pay later, and the 三个一批 (issue 9; seed 002's 元谋 H1 2019 figures, seed 003)
# =============================================================================================
#
# Counted: the settlements of the scope's encounters (``Settlement.objects.visible_to``: a
# township's residents wherever treated, a hospital's own patients) of residents of the
# region asked for, whose encounter ended (discharge, or the outpatient visit) in the period.
# Inpatient and outpatient are counted apart, as the seed prints them. Money is exact yuan
# (``Decimal``, 2 places); 万元 = yuan ÷ 10,000 to 2 places, half up (11,600,400.00 → 1160.04).
#
# * **Person-times** (住院人次 / 门诊人次) = settlements of that kind.
# * **Actual reimbursement ratio** (实际报销比例) = (total − out of pocket) ÷ total.
# * **Out-of-pocket ratio** (自付比例) = out of pocket ÷ total.
# * **Per-capita out of pocket** (人均自付) = out of pocket ÷ person-times, yuan to 2 places,
#   half up (seed 002: 111.82 万元 over 2,517 → 444.25: the printed 万元 is itself rounded).
# * **Non-reimbursable share** (目录外费用占比) per institution = its 目录外 cost ÷ its total,
#   against its county's cap (``SettlementPolicy``: 2.5% for township health centres and
#   village clinics, 10% for county hospitals; none for hospitals above the county). Over the
#   cap when 目录外 × 100 > cap × total exactly (at the cap is within it); the excess the
#   institution bears = 目录外 − cap% × total, to the fen, half up.
# * **One-stop settlement rate** (一站式结算率) and **treat-first-pay-later rate**
#   (先诊疗后付费率) = inpatient settlements with the flag ÷ inpatient settlements.
# * **三个一批**: major-disease cases treated (大病集中救治一批) = the area's residents on the
#   major-disease register whose status is under treatment, treated or in follow-up care;
#   chronic-disease members under contract (慢病签约服务管理一批) = the area's members with a
#   chronic disease (the four followed up quarterly, the annual ones and the 29 outpatient
#   special chronic diseases) and a family-doctor contract in effect in the period; members
#   who received medical assistance (重病兜底保障一批) = distinct members with a settlement in
#   the period whose medical assistance is more than zero.


def money_rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator ÷ denominator`` in percent, 2 places, half up; ``None`` over nothing."""
    if not denominator:
        return None
    return (numerator * 100 / denominator).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class ReimbursementFigures:
    """One kind's settlements (inpatient or outpatient) added up, and their ratios."""

    kind: str
    sums: object  # medconsortium.settlement_selectors.Sums

    @property
    def person_times(self) -> int:
        return self.sums.count

    @property
    def actual_reimbursement_ratio(self) -> Decimal | None:
        return money_rate(self.sums.total - self.sums.out_of_pocket, self.sums.total)

    @property
    def out_of_pocket_ratio(self) -> Decimal | None:
        return money_rate(self.sums.out_of_pocket, self.sums.total)

    @property
    def per_capita_out_of_pocket(self) -> Decimal | None:
        if not self.sums.count:
            return None
        return (self.sums.out_of_pocket / self.sums.count).quantize(
            RATE_QUANTUM, rounding=ROUND_HALF_UP
        )

    @property
    def one_stop_rate(self) -> Decimal | None:
        return rate(self.sums.one_stop, self.sums.count)

    @property
    def treat_first_pay_later_rate(self) -> Decimal | None:
        return rate(self.sums.treat_first_pay_later, self.sums.count)

    def wan(self, name: str) -> Decimal:
        return yuan_to_wan(getattr(self.sums, name))

    def _ratios(self) -> dict:
        return {
            "actual_reimbursement_ratio": _text(self.actual_reimbursement_ratio),
            "out_of_pocket_ratio": _text(self.out_of_pocket_ratio),
            "per_capita_out_of_pocket": _text(self.per_capita_out_of_pocket),
        }

    def inpatient_json(self) -> dict:
        s = self.sums
        return {
            "person_times": s.count,
            "total": str(s.total),
            "total_wan": str(self.wan("total")),
            "pooled": str(s.pooled),
            "critical_illness": str(s.critical_illness),
            "assistance": str(s.assistance),
            "other": str(s.other),
            "out_of_pocket": str(s.out_of_pocket),
            "out_of_pocket_wan": str(self.wan("out_of_pocket")),
            **self._ratios(),
        }

    def outpatient_json(self) -> dict:
        s = self.sums
        return {
            "visits": s.count,
            "total": str(s.total),
            "total_wan": str(self.wan("total")),
            "pooled": str(s.pooled),
            "pooled_wan": str(self.wan("pooled")),
            "out_of_pocket": str(s.out_of_pocket),
            "out_of_pocket_wan": str(self.wan("out_of_pocket")),
            **self._ratios(),
        }


@dataclass
class NonReimbursableRow:
    """One institution's 目录外 cost against its cap, and the excess it bears."""

    institution: object  # healthaid.models.Institution
    total: Decimal
    non_reimbursable: Decimal
    cap: Decimal | None

    @property
    def share(self) -> Decimal | None:
        return money_rate(self.non_reimbursable, self.total)

    @property
    def over_cap(self) -> bool:
        if self.cap is None:
            return False
        return self.non_reimbursable * 100 > self.cap * self.total

    @property
    def excess(self) -> Decimal:
        """What the institution bears: 目录外 − cap% × total, to the fen (0 within the cap)."""
        if not self.over_cap:
            return Decimal("0.00")
        allowed = self.cap * self.total / 100
        return (self.non_reimbursable - allowed).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)

    def as_json(self) -> dict:
        institution = self.institution
        return {
            "institution": institution.code,
            "name": institution.name,
            "kind": institution.kind,
            "total": str(self.total),
            "non_reimbursable": str(self.non_reimbursable),
            "share": _text(self.share),
            "cap": _text(self.cap),
            "over_cap": self.over_cap,
            "excess": str(self.excess),
        }


@dataclass
class SettlementIndicators:
    """The settlement figures of a region and period (see the section's definitions)."""

    inpatient: ReimbursementFigures
    outpatient: ReimbursementFigures
    non_reimbursable: list[NonReimbursableRow]

    @property
    def one_stop_rate(self) -> Decimal | None:
        return self.inpatient.one_stop_rate

    @property
    def treat_first_pay_later_rate(self) -> Decimal | None:
        return self.inpatient.treat_first_pay_later_rate

    @property
    def over_cap(self) -> list[NonReimbursableRow]:
        return [row for row in self.non_reimbursable if row.over_cap]

    def as_json(self) -> dict:
        return {
            "inpatient": self.inpatient.inpatient_json(),
            "outpatient": self.outpatient.outpatient_json(),
            "non_reimbursable": [row.as_json() for row in self.non_reimbursable],
            "one_stop_rate": _text(self.one_stop_rate),
            "treat_first_pay_later_rate": _text(self.treat_first_pay_later_rate),
        }


def settlement_area_prefix(user, region: Region | None) -> str | None:
    """The area counted: the scope narrowed to ``region``; ``None`` when the user sees none.

    Hospital staff are scoped by institution, not area: ``region`` narrows their patients
    to residents of it (their own scope region by default).
    """
    return scope_prefix_within(user, region)


def _scoped_settlements(user, region, start, end):
    from medconsortium import settlement_selectors
    from medconsortium.models import Settlement

    prefix = settlement_area_prefix(user, region)
    if prefix is None:
        return None
    return settlement_selectors.area_settlements(
        Settlement.objects.visible_to(user), prefix=prefix, start=start, end=end
    )


def settlement_indicators(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> SettlementIndicators:
    """Inpatient and outpatient reimbursement figures, the non-reimbursable list and the
    one-stop and treat-first-pay-later rates. Three queries: the sums by institution and
    kind (one GROUP BY), the institutions, their counties' policies."""
    from medconsortium import settlement_selectors as sel
    from medconsortium.choices import EncounterKind

    queryset = _scoped_settlements(user, region, start, end)
    groups = sel.sums_by(queryset, "institution", "kind") if queryset is not None else {}
    inpatient = ReimbursementFigures(
        EncounterKind.INPATIENT, sel.total_sums(groups, 1, EncounterKind.INPATIENT)
    )
    outpatient = ReimbursementFigures(
        EncounterKind.OUTPATIENT, sel.total_sums(groups, 1, EncounterKind.OUTPATIENT)
    )
    by_institution: dict[int, object] = {}
    for (institution_id, _kind), sums in groups.items():
        by_institution.setdefault(institution_id, sel.Sums()).add(sums)
    rows = []
    if by_institution:
        institutions, policies = sel.policies_for(by_institution)
        for institution_id, sums in by_institution.items():
            institution = institutions[institution_id]
            policy = policies[institution.region_id[:6].ljust(12, "0")]
            rows.append(
                NonReimbursableRow(
                    institution, sums.total, sums.non_reimbursable, policy.cap_for(institution.kind)
                )
            )
    rows.sort(key=lambda r: (not r.over_cap, -(r.share or 0), r.institution.code))
    return SettlementIndicators(inpatient, outpatient, rows)


@dataclass
class AreaReimbursement:
    """One area's inpatient and outpatient figures (a briefing's table row)."""

    inpatient: ReimbursementFigures
    outpatient: ReimbursementFigures


def settlement_indicators_by_area(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    level: int,
    areas: Iterable[str] = (),
) -> dict[str, AreaReimbursement]:
    """The inpatient and outpatient figures of :func:`settlement_indicators` for every area
    of ``level`` inside the region (by the patient's home), keyed by code prefix, each of
    ``areas`` included: one GROUP BY by area and kind."""
    from medconsortium import settlement_selectors as sel
    from medconsortium.choices import EncounterKind

    queryset = _scoped_settlements(user, region, start, end)
    groups = {} if queryset is None else sel.sums_by(queryset, "area", "kind", area_level=level)
    return {
        area: AreaReimbursement(
            ReimbursementFigures(
                EncounterKind.INPATIENT, sel.total_sums(groups, 1, EncounterKind.INPATIENT, area)
            ),
            ReimbursementFigures(
                EncounterKind.OUTPATIENT,
                sel.total_sums(groups, 1, EncounterKind.OUTPATIENT, area),
            ),
        )
        for area in {key[0] for key in groups} | set(areas)
    }


@dataclass
class SettlementSeriesRow:
    """A chart's bar: a label and the inpatient and outpatient sums under it."""

    label: str
    inpatient: object
    outpatient: object


def settlement_series(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> dict[str, list[SettlementSeriesRow]]:
    """The figures by institution and by month, for the page's charts: two GROUP BYs and
    the institutions' names."""
    from healthaid.models import Institution
    from medconsortium import settlement_selectors as sel
    from medconsortium.choices import EncounterKind

    queryset = _scoped_settlements(user, region, start, end)
    if queryset is None:
        return {"institutions": [], "months": []}
    by_institution = sel.sums_by(queryset, "institution", "kind")
    by_month = sel.sums_by(queryset, "month", "kind")
    names = dict(
        Institution.objects.filter(pk__in={k[0] for k in by_institution}).values_list("pk", "name")
    )

    def series(groups, label) -> list[SettlementSeriesRow]:
        keys = sorted({k[0] for k in groups})
        return [
            SettlementSeriesRow(
                label(key),
                groups.get((key, EncounterKind.INPATIENT), sel.Sums()),
                groups.get((key, EncounterKind.OUTPATIENT), sel.Sums()),
            )
            for key in keys
        ]

    institutions = series(by_institution, lambda pk: names.get(pk, str(pk)))
    institutions.sort(key=lambda r: -(r.inpatient.total + r.outpatient.total))
    return {
        "institutions": institutions,
        "months": series(by_month, lambda month: f"{month:%Y-%m}"),
    }


@dataclass
class ThreeBatches:
    """三个一批: the people each of the three measures reached (see the definitions)."""

    major_disease_treated: int
    chronic_under_contract: int
    assisted: int


def three_batches(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> ThreeBatches:
    """The 三个一批 counts for the region and period: three queries."""
    from django.db.models import Exists, OuterRef

    from contracts.models import Contract
    from households.catalogue import ANNUAL, KEY4, SPECIAL_OUTPATIENT
    from households.models import MemberDisease
    from medconsortium.choices import MajorDiseaseStatus
    from medconsortium.models import MajorDiseaseCase

    prefix = settlement_area_prefix(user, region)
    if prefix is None:
        return ThreeBatches(0, 0, 0)
    treated = (
        MajorDiseaseCase.objects.visible_to(user)
        .filter(
            member__household__village__code__startswith=prefix,
            status__in=[
                MajorDiseaseStatus.TREATING,
                MajorDiseaseStatus.TREATED,
                MajorDiseaseStatus.FOLLOW_UP,
            ],
        )
        .count()
    )
    area = contract_selectors.Area(prefix)
    chronic = MemberDisease.objects.filter(
        member_id=OuterRef("pk"), disease__category__in=[KEY4, ANNUAL, SPECIAL_OUTPATIENT]
    )
    contracted = Contract.objects.in_effect_between(start, end).filter(member_id=OuterRef("pk"))
    chronic_under_contract = (
        area.members().filter(Exists(chronic), Exists(contracted)).order_by().count()
    )
    queryset = _scoped_settlements(user, region, start, end)
    assisted = (
        queryset.filter(assistance__gt=0)
        .order_by()
        .values("encounter__member_id")
        .distinct()
        .count()
    )
    return ThreeBatches(treated, chronic_under_contract, assisted)


def three_batches_by_area(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    level: int,
    areas: Iterable[str] = (),
) -> dict[str, ThreeBatches]:
    """:func:`three_batches` for every area of ``level`` inside the region, keyed by code
    prefix (a briefing's table by township): the same three queries, each grouped by the
    area. Each of ``areas`` is in the answer (zeros where nothing was counted)."""
    from django.db.models import Count, Exists, OuterRef

    from contracts.models import Contract
    from healthaid import scoping
    from households.catalogue import ANNUAL, KEY4, SPECIAL_OUTPATIENT
    from households.models import MemberDisease
    from medconsortium.choices import MajorDiseaseStatus
    from medconsortium.models import MajorDiseaseCase

    result = {area: ThreeBatches(0, 0, 0) for area in areas}
    prefix = settlement_area_prefix(user, region)
    if prefix is None:
        return result

    def by_area(queryset, column, counted) -> dict[str, int]:
        return {
            area: row["n"]
            for area, row in scoping.by_area(queryset, column, level, n=counted).items()
        }

    treated = by_area(
        MajorDiseaseCase.objects.visible_to(user).filter(
            member__household__village__code__startswith=prefix,
            status__in=[
                MajorDiseaseStatus.TREATING,
                MajorDiseaseStatus.TREATED,
                MajorDiseaseStatus.FOLLOW_UP,
            ],
        ),
        "member__household__village_id",
        Count("pk"),
    )
    chronic = MemberDisease.objects.filter(
        member_id=OuterRef("pk"), disease__category__in=[KEY4, ANNUAL, SPECIAL_OUTPATIENT]
    )
    contracted = Contract.objects.in_effect_between(start, end).filter(member_id=OuterRef("pk"))
    chronic_under_contract = by_area(
        contract_selectors.Area(prefix).members().filter(Exists(chronic), Exists(contracted)),
        "household__village_id",
        Count("pk"),
    )
    assisted = by_area(
        _scoped_settlements(user, region, start, end).filter(assistance__gt=0),
        "encounter__village_id",
        Count("encounter__member_id", distinct=True),
    )
    for area in set(treated) | set(chronic_under_contract) | set(assisted):
        result[area] = ThreeBatches(
            treated.get(area, 0), chronic_under_contract.get(area, 0), assisted.get(area, 0)
        )
    return result


# --- Consortia, expert sessions and two-way referrals (医联体, issue 8) ------------------------
#
# The figures the briefing in seed 002 prints for 楚雄市 (H1 2019: 54 experts, 36 outpatient
# sessions, 500 patients, 112 teaching-round and 215 case-discussion person-times, 10
# surgeries taught, 77 trainings), for a region and a period, within the caller's scope
# (hospital staff: what involves their institution):
#
# * **Expert sessions** count where they were held: sessions recorded as held, dated in the
#   period, at a host institution in the region.
#   - ``experts`` (派出专家) = the experts sent to those sessions, summed (an expert who comes
#     twice counts twice: the briefing counts dispatches, 人次).
#   - ``sessions`` (开展门诊, 场) = those sessions at which an outpatient clinic was held.
#   - ``outpatients`` (接诊门诊患者), ``teaching_rounds`` (带教查房, 人次),
#     ``case_discussions`` (病例讨论, 人次), ``surgeries_taught`` (手术带教, 场),
#     ``trainings`` (业务培训, 场), ``people_trained`` (培训人次) = the sessions' recorded
#     figures, summed.
# * **Referrals** count by the member's home: referrals requested in the period of members
#   whose village is in the region; ``referrals_up`` (上转) and ``referrals_down`` (下转,
#   including those opened by sending a patient back) by direction, whatever their status.
# * **Reserved capacity** counts at the hosts in the region, by the weeks starting in the
#   period: ``reserved_slots_offered`` / ``reserved_beds_offered`` = the expert appointments
#   and standard beds kept for family-doctor referrals (the shares applied, 20% and 10% by
#   default); ``reserved_slots_used`` / ``reserved_beds_used`` = those taken by a referral
#   (a rejected or cancelled referral gives its place back; what was released to general
#   use 24 hours before the week is offered but not used).
#   ``reserved_slot_use_rate`` = reserved slots used ÷ reserved slots offered, in percent.
# * **Remote consultations** (远程会诊/心电/影像) count where they were requested: by kind,
#   dated in the period, at a requesting institution in the region.


@dataclass
class InstitutionSessions:
    """One host institution's row of the county summary's chart."""

    institution: object
    totals: object


@dataclass
class ConsortiumSummary:
    region: Region | None
    start: datetime.date
    end: datetime.date
    experts: int = 0
    sessions: int = 0
    outpatients: int = 0
    teaching_rounds: int = 0
    case_discussions: int = 0
    surgeries_taught: int = 0
    trainings: int = 0
    people_trained: int = 0
    referrals_up: int = 0
    referrals_down: int = 0
    reserved_slots_offered: int = 0
    reserved_slots_used: int = 0
    reserved_beds_offered: int = 0
    reserved_beds_used: int = 0
    remote_consultations: dict | None = None
    by_institution: list | None = None

    @property
    def reserved_slot_use_rate(self) -> Decimal | None:
        return rate(self.reserved_slots_used, self.reserved_slots_offered)

    @property
    def reserved_bed_use_rate(self) -> Decimal | None:
        return rate(self.reserved_beds_used, self.reserved_beds_offered)

    def as_json(self) -> dict:
        use_rate = self.reserved_slot_use_rate
        return {
            "experts": self.experts,
            "sessions": self.sessions,
            "outpatients": self.outpatients,
            "teaching_rounds": self.teaching_rounds,
            "case_discussions": self.case_discussions,
            "surgeries_taught": self.surgeries_taught,
            "trainings": self.trainings,
            "people_trained": self.people_trained,
            "referrals_up": self.referrals_up,
            "referrals_down": self.referrals_down,
            "reserved_slots_offered": self.reserved_slots_offered,
            "reserved_slots_used": self.reserved_slots_used,
            "reserved_beds_offered": self.reserved_beds_offered,
            "reserved_beds_used": self.reserved_beds_used,
            "reserved_slot_use_rate": None if use_rate is None else str(use_rate),
            "remote_consultations": dict(self.remote_consultations or {}),
        }


CONSORTIUM_SESSION_FIELDS = (
    "experts",
    "sessions",
    "outpatients",
    "teaching_rounds",
    "case_discussions",
    "surgeries_taught",
    "trainings",
    "people_trained",
)


def consortium_summary(
    user, *, region: Region | None, start: datetime.date, end: datetime.date
) -> ConsortiumSummary:
    """The consortium figures above for ``region`` (default: the caller's scope) and
    [start, end], with the session figures by host institution. Six queries at most,
    whatever the scale."""
    from healthaid.models import Institution
    from medconsortium import selectors as consortium_selectors
    from medconsortium.models import (
        ExpertSession,
        Referral,
        RemoteConsultation,
        ReservedCapacity,
    )

    summary = ConsortiumSummary(region, start, end, remote_consultations={}, by_institution=[])
    prefix = scope_prefix_within(user, region)
    if prefix is None:
        return summary
    window = {"prefix": prefix, "start": start, "end": end}
    by_host = consortium_selectors.session_totals_by_host(
        ExpertSession.objects.visible_to(user), **window
    )
    hosts = Institution.objects.in_bulk(list(by_host))
    for host_id, totals in sorted(
        by_host.items(), key=lambda item: (-item[1].outpatients, hosts[item[0]].name)
    ):
        summary.by_institution.append(InstitutionSessions(hosts[host_id], totals))
        for name in CONSORTIUM_SESSION_FIELDS:
            setattr(summary, name, getattr(summary, name) + getattr(totals, name))
    referrals = consortium_selectors.referral_counts(Referral.objects.visible_to(user), **window)
    summary.referrals_up, summary.referrals_down = referrals["up"], referrals["down"]
    capacity = consortium_selectors.capacity_totals(
        ReservedCapacity.objects.visible_to(user), **window
    )
    summary.reserved_slots_offered = capacity["slots_offered"]
    summary.reserved_slots_used = capacity["slots_used"]
    summary.reserved_beds_offered = capacity["beds_offered"]
    summary.reserved_beds_used = capacity["beds_used"]
    summary.remote_consultations = consortium_selectors.consultation_counts(
        RemoteConsultation.objects.visible_to(user), **window
    )
    return summary


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
    return _screening_json(counts)


def screening_indicators_by_area(
    user,
    *,
    region: Region | None,
    start: datetime.date,
    end: datetime.date,
    level: int,
    areas: Iterable[str] = (),
) -> dict[str, dict]:
    """:func:`screening_indicators` for every area of ``level`` inside the region (a
    briefing's table by township), keyed by code prefix, each of ``areas`` included: four
    grouped queries in all."""
    by_area = screening_selectors.screening_counts_by_area(
        user, region=region, start=start, end=end, level=level, areas=areas
    )
    return {area: _screening_json(counts) for area, counts in by_area.items()}


def _screening_json(counts) -> dict:
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
