"""The settlement figures against seed 002's 元谋 H1 2019 numbers, rounding, the cap's edge."""

import datetime
from decimal import Decimal

import pytest

from healthaid.choices import InstitutionKind
from healthaid.scoping import get_profile
from medconsortium.choices import EncounterKind
from medconsortium.models import Settlement, SettlementPolicy
from medconsortium.settlement_demo import (
    SEED_002_INPATIENT,
    SEED_002_OUTPATIENT,
    seed_002_rows,
    spread,
)
from medconsortium.settlement_selectors import Sums
from medconsortium.settlement_services import encounter_settlements_upsert_bulk
from reports.indicators import (
    NonReimbursableRow,
    ReimbursementFigures,
    settlement_indicators,
    yuan_to_wan,
)
from tests.healthaid.factories import InstitutionFactory
from tests.households.factories import HouseholdFactory, MemberFactory
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db
H1 = {"start": datetime.date(2019, 1, 1), "end": datetime.date(2019, 6, 30)}


@pytest.fixture
def seed_002(tree, institutions):
    """Seed 002's settlements for 100 residents of 元谋县 (three villages, two townships)."""
    villages = [tree.village, tree.village2, tree.other_township_village]
    members = []
    for i in range(100):
        household = HouseholdFactory(number=f"S002{i:05d}", village=villages[i % 3])
        member = MemberFactory(household=household)
        members.append((member.pk, household.village_id))
    rows = seed_002_rows(
        members=members,
        inpatient_institutions=[
            institutions.county_hospital.pk,
            institutions.prefecture_hospital.pk,
        ],
        outpatient_institutions=[
            institutions.township_centre.pk,
            institutions.other_township_centre.pk,
            institutions.village_clinic.pk,
        ],
    )
    encounter_settlements_upsert_bulk(rows=rows, by=None)
    return rows


def test_the_seed_rows_add_up_to_the_seed_to_the_fen():
    assert SEED_002_INPATIENT.total == 1160040000
    assert SEED_002_OUTPATIENT.total == 236450000
    assert spread(1000, [1, 1, 1]) == [334, 333, 333]
    assert sum(spread(111817725, [3, 7, 1, 9] * 50)) == 111817725


def test_seed_002_figures_reproduced(seed_002, users, django_assert_num_queries):
    get_profile(users.county_staff)  # loaded once per request by the middleware
    with django_assert_num_queries(3):  # sums by institution and kind, institutions, policies
        figures = settlement_indicators(users.county_staff, region=None, **H1)
    data = figures.as_json()
    inpatient, outpatient = data["inpatient"], data["outpatient"]
    assert inpatient["person_times"] == 2517
    assert inpatient["total"] == "11600400.00"
    assert inpatient["total_wan"] == "1160.04"
    assert inpatient["out_of_pocket_wan"] == "111.82"
    assert inpatient["actual_reimbursement_ratio"] == "90.36"
    assert inpatient["out_of_pocket_ratio"] == "9.64"
    assert inpatient["per_capita_out_of_pocket"] == "444.25"
    assert outpatient["visits"] == 45862
    assert outpatient["total_wan"] == "236.45"
    assert outpatient["pooled_wan"] == "96.93"
    assert outpatient["out_of_pocket_wan"] == "139.51"
    assert data["one_stop_rate"] == "97.34"  # 2,450 of 2,517
    assert data["treat_first_pay_later_rate"] == "92.57"  # 2,330 of 2,517
    # the exact shape the issue asks for
    assert set(inpatient) == {
        "person_times", "total", "total_wan", "pooled", "critical_illness", "assistance",
        "other", "out_of_pocket", "out_of_pocket_wan", "actual_reimbursement_ratio",
        "out_of_pocket_ratio", "per_capita_out_of_pocket",
    }  # fmt: skip
    assert set(outpatient) == {
        "visits", "total", "total_wan", "pooled", "pooled_wan", "out_of_pocket",
        "out_of_pocket_wan", "actual_reimbursement_ratio", "out_of_pocket_ratio",
        "per_capita_out_of_pocket",
    }  # fmt: skip
    assert set(data) == {
        "inpatient", "outpatient", "non_reimbursable", "one_stop_rate",
        "treat_first_pay_later_rate",
    }  # fmt: skip
    # every row adds up, so the parts add up to the totals as well
    sums = figures.inpatient.sums
    assert (
        sums.pooled + sums.critical_illness + sums.assistance + sums.other + sums.out_of_pocket
        == sums.total
    )


def test_seed_002_scope_and_period(seed_002, users, tree):
    township = settlement_indicators(users.township_doctor, region=None, **H1).as_json()
    county = settlement_indicators(users.county_staff, region=None, **H1).as_json()
    other_township = settlement_indicators(
        users.county_staff, region=tree.other_township, **H1
    ).as_json()
    # the township's residents' share (two of the three villages), and the rest
    assert 0 < township["inpatient"]["person_times"] < 2517
    assert (
        township["inpatient"]["person_times"] + other_township["inpatient"]["person_times"]
        == county["inpatient"]["person_times"]
    )
    assert Decimal(township["outpatient"]["total"]) + Decimal(
        other_township["outpatient"]["total"]
    ) == Decimal("2364500.00")
    # the hospital sees its own patients only
    hospital = settlement_indicators(users.hospital_staff, region=None, **H1).as_json()
    assert hospital["outpatient"]["visits"] == 0
    assert 0 < hospital["inpatient"]["person_times"] < 2517
    assert [r["institution"] for r in hospital["non_reimbursable"]] == ["H53232801"]
    # another county sees none of it; nor does a period without encounters
    assert (
        settlement_indicators(users.other_county_staff, region=None, **H1).as_json()["inpatient"][
            "person_times"
        ]
        == 0
    )
    july = settlement_indicators(
        users.county_staff,
        region=None,
        start=datetime.date(2019, 7, 1),
        end=datetime.date(2019, 12, 31),
    ).as_json()
    assert july["inpatient"]["actual_reimbursement_ratio"] is None
    assert july["inpatient"]["total"] == "0.00"


def test_rounding_at_the_half_fen():
    assert yuan_to_wan(Decimal("11600450.00")) == Decimal("1160.05")  # half up
    assert yuan_to_wan(Decimal("11600449.99")) == Decimal("1160.04")
    # per capita: 1,000.05 over 2 = 500.025 → 500.03 (half up), 500.0249… → 500.02
    half = ReimbursementFigures(
        EncounterKind.INPATIENT,
        Sums(count=2, total=Decimal("2000"), out_of_pocket=Decimal("1000.05")),
    )
    assert half.per_capita_out_of_pocket == Decimal("500.03")
    below = ReimbursementFigures(
        EncounterKind.INPATIENT,
        Sums(count=2, total=Decimal("2000"), out_of_pocket=Decimal("1000.04")),
    )
    assert below.per_capita_out_of_pocket == Decimal("500.02")
    # a ratio of exactly 12.345 % → 12.35; 12.3449… → 12.34
    exact = ReimbursementFigures(
        EncounterKind.INPATIENT,
        Sums(count=1, total=Decimal("100000.00"), out_of_pocket=Decimal("12345.00")),
    )
    assert exact.out_of_pocket_ratio == Decimal("12.35")
    assert exact.actual_reimbursement_ratio == Decimal("87.66")  # 87.655 → 87.66
    assert ReimbursementFigures(
        EncounterKind.INPATIENT,
        Sums(count=1, total=Decimal("100000.00"), out_of_pocket=Decimal("12344.99")),
    ).out_of_pocket_ratio == Decimal("12.34")


def _institution(kind, code, region):
    return InstitutionFactory(code=code, name=f"机构{code}", kind=kind, region=region)


@pytest.mark.parametrize(
    ("kind", "non_reimbursable", "over", "excess"),
    [
        (InstitutionKind.TOWNSHIP_CENTRE, "2500.00", False, "0.00"),  # exactly 2.5 %: within
        (InstitutionKind.TOWNSHIP_CENTRE, "2500.01", True, "0.01"),
        (InstitutionKind.VILLAGE_CLINIC, "2500.01", True, "0.01"),
        (InstitutionKind.COUNTY_HOSPITAL, "10000.00", False, "0.00"),
        (InstitutionKind.COUNTY_HOSPITAL, "10000.01", True, "0.01"),
        (InstitutionKind.TCM_HOSPITAL, "12345.67", True, "2345.67"),
        (InstitutionKind.TERTIARY_HOSPITAL, "50000.00", False, "0.00"),  # no cap above county
    ],
)
def test_cap_at_its_edge(registry, tree, users, kind, non_reimbursable, over, excess):
    institution = _institution(kind, "X1", tree.township)
    encounter_settlements_upsert_bulk(
        rows=[
            row(
                registry.heads["village"],
                institution,
                total=Decimal("100000.00"),
                pooled=Decimal("80000.00"),
                critical_illness=Decimal("0.00"),
                assistance=Decimal("0.00"),
                out_of_pocket=Decimal("20000.00"),
                non_reimbursable=Decimal(non_reimbursable),
            )
        ],
        by=None,
    )
    figures = settlement_indicators(users.county_staff, region=None, **H1)
    (line,) = figures.non_reimbursable
    assert line.over_cap is over
    assert str(line.excess) == excess
    assert (line in figures.over_cap) is over


def test_caps_are_the_county_policy(registry, tree, users):
    institution = _institution(InstitutionKind.TOWNSHIP_CENTRE, "X2", tree.township)
    encounter_settlements_upsert_bulk(
        rows=[row(registry.heads["village"], institution, non_reimbursable=Decimal("30.00"))],
        by=None,
    )
    (line,) = settlement_indicators(users.county_staff, region=None, **H1).non_reimbursable
    assert line.cap == Decimal("2.50") and line.share == Decimal("3.00") and line.over_cap
    assert line.excess == Decimal("5.00")
    SettlementPolicy.objects.create(county=tree.county, primary_care_cap=Decimal("3.00"))
    (line,) = settlement_indicators(users.county_staff, region=None, **H1).non_reimbursable
    assert line.cap == Decimal("3.00") and not line.over_cap and line.excess == 0


def test_excess_rounds_half_up():
    from types import SimpleNamespace

    line = NonReimbursableRow(
        SimpleNamespace(code="X", name="X", kind="township"),
        total=Decimal("100.10"),
        non_reimbursable=Decimal("3.00"),
        cap=Decimal("2.50"),
    )
    # allowed 2.5025 → excess 0.4975 → 0.50
    assert line.excess == Decimal("0.50")


def _grow(registry, institutions, n):
    rows = [
        row(
            registry.heads["village"] if i % 2 else registry.spouses["village2"],
            [institutions.county_hospital, institutions.township_centre][i % 2],
            admitted_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=i),
            discharged_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=i),
            kind=EncounterKind.OUTPATIENT if i % 3 else EncounterKind.INPATIENT,
        )
        for i in range(n)
    ]
    encounter_settlements_upsert_bulk(rows=rows, by=None)


def test_query_count_fixed(registry, institutions, users, django_assert_num_queries):
    _grow(registry, institutions, 4)
    get_profile(users.county_staff)
    with django_assert_num_queries(3):
        settlement_indicators(users.county_staff, region=None, **H1)
    Settlement.objects.all().delete()
    _grow(registry, institutions, 60)
    with django_assert_num_queries(3):
        figures = settlement_indicators(users.county_staff, region=None, **H1)
    assert figures.inpatient.person_times + figures.outpatient.person_times == 60
