"""Demo encounters and settlements: 元谋县's first half of 2019, as seed 002 reports it.

Seed 002: "全县建档立卡贫困人口门诊就诊 45862 人次，总费用 236.45 万元，统筹支付 96.93 万元，
个人支付 139.51 万元；……住院 2517 人次，总费用 1160.04 万元，个人自付 111.82 万元，实际报销比例
90.36%，人均自付 444.25 元，自付比例 9.64%".  :func:`seed_002_rows` builds rows whose totals
are those figures to the fen, which the tests use as the oracle and the demo loads:

* inpatient: 2,517 settlements, total 11,600,400.00, out of pocket 1,118,177.25.  The
  printed 111.82 万元 is itself rounded: 人均自付 444.25 over 2,517 person-times needs an
  out of pocket between 1,118,150.00 and 1,118,189.82, and 1,118,177.25 = 444.25 × 2,517.
  The rest is split pooled 8,742,162.75, critical illness 928,032.00, medical assistance
  580,020.00, other guarantees 232,008.00 (the seed does not print these);
* outpatient: 45,862 visits, total 2,364,500.00, pooled 969,300.00, out of pocket
  1,395,100.00; the 100.00 the printed parts leave over is put in other guarantees.

At ``small`` scale the demo loads a proportionate sample: one settlement in ten of each kind
with the amounts scaled by the same tenth, so every ratio is the seed's (to within a fen per
row); at ``county`` and ``prefecture`` scale 元谋县 gets the full figures.  Idempotent: a
county that already has encounters in the period is left alone.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from healthaid.choices import InstitutionKind
from healthaid.models import Institution
from households.catalogue import MAJOR
from households.models import Disease, Member
from medconsortium.choices import EncounterKind, MajorDiseaseStatus
from medconsortium.models import Encounter, MajorDiseaseCase
from medconsortium.settlement_services import SettlementRow, encounter_settlements_upsert_bulk

YUANMOU6 = "532328"
H1_2019 = (datetime.date(2019, 1, 1), datetime.date(2019, 6, 30))


@dataclass(frozen=True)
class KindTotals:
    """The totals of one kind of settlement, in fen (exact)."""

    count: int
    pooled: int
    critical_illness: int
    assistance: int
    other: int
    out_of_pocket: int
    non_reimbursable: int
    one_stop: int
    treat_first_pay_later: int

    @property
    def total(self) -> int:
        return (
            self.pooled + self.critical_illness + self.assistance + self.other + self.out_of_pocket
        )

    def scaled(self, denominator: int) -> KindTotals:
        if denominator == 1:
            return self
        return KindTotals(
            *(round(getattr(self, name) / denominator) for name in self.__dataclass_fields__)
        )


SEED_002_INPATIENT = KindTotals(
    count=2517,
    pooled=874216275,
    critical_illness=92803200,
    assistance=58002000,
    other=23200800,
    out_of_pocket=111817725,
    non_reimbursable=23200800,  # 2% of the bill, within the county hospitals' 10% cap
    one_stop=2450,
    treat_first_pay_later=2330,
)
SEED_002_OUTPATIENT = KindTotals(
    count=45862,
    pooled=96930000,
    critical_illness=0,
    assistance=0,
    other=10000,
    out_of_pocket=139510000,
    non_reimbursable=3546750,  # 1.5% of the bill
    one_stop=45862,
    treat_first_pay_later=0,
)


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` (fen) split in proportion to ``weights``, exactly: the parts add up to it."""
    whole = sum(weights)
    parts = [amount * w // whole for w in weights]
    short = amount - sum(parts)
    for i in range(short):  # the remainder, one fen each to the first rows
        parts[i % len(parts)] += 1
    return parts


def _fen(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def kind_rows(
    totals: KindTotals,
    *,
    kind: str,
    members: Sequence[tuple[int, str]],
    institutions: Sequence[int],
    start: datetime.date,
    days: int,
    rng: random.Random,
) -> list[SettlementRow]:
    """``totals.count`` rows whose amounts add up to ``totals`` exactly.

    Rows have bills of different sizes (weights 1–9) with the same split in each, so every
    row adds up and every total is exact.  Keys are unique: row ``i`` is at institution
    ``i mod I``, of member ``(i div I) mod M``, on day ``i div (I × M)``.
    """
    n = totals.count
    capacity = len(members) * days * len(institutions)
    if n > capacity:
        raise ValueError(f"{n} {kind} rows need more members, days or institutions")
    weights = [rng.randint(1, 9) for _ in range(n)]
    parts = {
        name: spread(getattr(totals, name), weights)
        for name in (
            "pooled",
            "critical_illness",
            "assistance",
            "other",
            "out_of_pocket",
            "non_reimbursable",
        )
    }
    one_stop = set(rng.sample(range(n), totals.one_stop))
    treat_first = set(rng.sample(range(n), totals.treat_first_pay_later))
    m, k = len(members), len(institutions)
    rows = []
    for i in range(n):
        member_id, village_id = members[(i // k) % m]
        day = start + datetime.timedelta(days=i // (k * m))
        stay = 0 if kind == EncounterKind.OUTPATIENT else 2 + i % 10
        values = {name: parts[name][i] for name in parts}
        total = sum(v for name, v in values.items() if name != "non_reimbursable")
        rows.append(
            SettlementRow(
                member_id=member_id,
                village_id=village_id,
                institution_id=institutions[i % k],
                kind=kind,
                admitted_on=day,
                discharged_on=day + datetime.timedelta(days=stay),
                total=_fen(total),
                pooled=_fen(values["pooled"]),
                critical_illness=_fen(values["critical_illness"]),
                assistance=_fen(values["assistance"]),
                other=_fen(values["other"]),
                out_of_pocket=_fen(values["out_of_pocket"]),
                non_reimbursable=_fen(min(values["non_reimbursable"], total)),
                one_stop=i in one_stop,
                treat_first_pay_later=i in treat_first,
                settled_on=day + datetime.timedelta(days=stay),
            )
        )
    return rows


def seed_002_rows(
    *,
    members: Sequence[tuple[int, str]],
    inpatient_institutions: Sequence[int],
    outpatient_institutions: Sequence[int],
    scale_denominator: int = 1,
    seed: int = 2019,
) -> list[SettlementRow]:
    """Seed 002's 元谋 H1 2019 settlements (or ``1/scale_denominator`` of them).

    ``members`` are (member id, village code); inpatient stays start by 14 June so every
    discharge falls in the half-year.
    """
    rng = random.Random(seed)
    start = H1_2019[0]
    inpatient = kind_rows(
        SEED_002_INPATIENT.scaled(scale_denominator),
        kind=EncounterKind.INPATIENT,
        members=members,
        institutions=inpatient_institutions,
        start=start,
        days=165,
        rng=rng,
    )
    outpatient = kind_rows(
        SEED_002_OUTPATIENT.scaled(scale_denominator),
        kind=EncounterKind.OUTPATIENT,
        members=members,
        institutions=outpatient_institutions,
        start=start,
        days=181,
        rng=rng,
    )
    return inpatient + outpatient


def seed(scale: str, context: dict | None = None) -> str:
    """Load 元谋县's H1 2019 settlements and a few major-disease cases; a one-line summary."""
    started = time.monotonic()
    if Encounter.objects.filter(
        village__code__startswith=YUANMOU6,
        discharged_on__gte=H1_2019[0],
        discharged_on__lte=H1_2019[1],
    ).exists():
        return "settlements already seeded; nothing added"
    members = list(
        Member.objects.filter(household__village__code__startswith=YUANMOU6)
        .order_by("pk")
        .values_list("pk", "household__village_id")
    )
    if not members:
        return "no registry in 元谋县: no settlements"
    institutions = Institution.objects.filter(region__code__startswith=YUANMOU6)
    hospitals = list(
        institutions.filter(
            kind__in=[InstitutionKind.COUNTY_HOSPITAL, InstitutionKind.TCM_HOSPITAL]
        )
        .order_by("code")
        .values_list("pk", flat=True)
    )
    centres = list(
        institutions.filter(kind=InstitutionKind.TOWNSHIP_CENTRE)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    if not hospitals or not centres:
        return "no hospitals in 元谋县: no settlements"
    denominator = 10 if scale == "small" else 1
    rows = seed_002_rows(
        members=members,
        inpatient_institutions=hospitals + centres,
        outpatient_institutions=centres + hospitals,
        scale_denominator=denominator,
    )
    with transaction.atomic():
        encounter_settlements_upsert_bulk(rows=rows, by=None, message="demo")
        cases = _seed_major_cases(members)
    elapsed = time.monotonic() - started
    sample = " (a tenth of seed 002's, same ratios)" if denominator > 1 else " (seed 002's)"
    return f"{len(rows)} settlements{sample}, {cases} major-disease cases in {elapsed:.1f}s"


def _seed_major_cases(members: Sequence[tuple[int, str]]) -> int:
    """Major-disease cases for the registry's members with a major disease (a few dozen)."""
    from medconsortium.major_disease import major_disease_register_sync

    diseased = Member.objects.filter(
        household__village__code__startswith=YUANMOU6, member_diseases__disease__category=MAJOR
    ).exists()
    if not diseased:
        # Give a few members a major disease, as the roster would.
        from households.models import MemberDisease

        diseases = list(Disease.objects.filter(category=MAJOR).order_by("sort_order")[:6])
        if not diseases:
            return 0
        picks = members[:: max(1, len(members) // 24)][:24]
        MemberDisease.objects.bulk_create(
            [
                MemberDisease(
                    member_id=member_id,
                    disease=diseases[i % len(diseases)],
                    diagnosed_on=datetime.date(2019, 1 + i % 6, 1 + i % 27),
                )
                for i, (member_id, _village) in enumerate(picks)
            ],
            ignore_conflicts=True,
        )
        from households.selectors import registry_changed

        registry_changed()  # written in bulk: the registry's cached counts
    created = major_disease_register_sync(county=YUANMOU6, by=None)
    MajorDiseaseCase.objects.filter(
        member__household__village__code__startswith=YUANMOU6, pk__in=created[::2]
    ).update(status=MajorDiseaseStatus.TREATING)
    return len(created)
