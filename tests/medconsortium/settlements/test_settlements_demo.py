"""The settlement demo: seed 002's ratios at small scale, a few major-disease cases, once."""

import datetime

import pytest

from healthaid.choices import InstitutionKind
from medconsortium import settlement_demo
from medconsortium.models import Encounter, MajorDiseaseCase
from reports.indicators import settlement_indicators
from tests.healthaid.factories import InstitutionFactory
from tests.households.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_small_demo_has_the_seed_ratios_and_is_idempotent(tree, institutions, users, catalogue):
    InstitutionFactory(
        code="H53232802",
        name="元谋县中医医院",
        kind=InstitutionKind.TCM_HOSPITAL,
        region=tree.county,
    )
    for i in range(60):
        village = [tree.village, tree.village2, tree.other_township_village][i % 3]
        MemberFactory(household=HouseholdFactory(number=f"D{i:05d}", village=village))
    summary = settlement_demo.seed("small", {})
    assert "a tenth of seed 002" in summary
    figures = settlement_indicators(
        users.county_staff,
        region=None,
        start=datetime.date(2019, 1, 1),
        end=datetime.date(2019, 6, 30),
    )
    assert figures.inpatient.person_times == 252  # 2,517 ÷ 10, rounded
    assert figures.outpatient.person_times == 4586
    assert str(figures.inpatient.actual_reimbursement_ratio) == "90.36"
    assert str(figures.inpatient.out_of_pocket_ratio) == "9.64"
    assert str(figures.outpatient.out_of_pocket_ratio) == "59.00"  # 139.51 ÷ 236.45
    assert MajorDiseaseCase.objects.exists()
    count = Encounter.objects.count()
    assert settlement_demo.seed("small", {}) == "settlements already seeded; nothing added"
    assert Encounter.objects.count() == count
