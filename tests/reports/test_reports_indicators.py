"""The contract indicators against hand-worked examples and the seed figure (82.20%)."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts.choices import ContractStatus
from contracts.models import Contract
from households.models import Household, Member
from reports.indicators import contract_breakdown, contract_indicators, rate
from tests.contracts.factories import (
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db

H1 = (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
TODAY = dt.date(2024, 7, 10)


def test_rate_is_a_percentage_rounded_half_up():
    assert rate(17365, 21125) == Decimal("82.20")
    assert rate(1, 8) == Decimal("12.50")
    assert rate(1, 800) == Decimal("0.13")  # 0.125 rounds up, not to even
    assert rate(2, 3) == Decimal("66.67")
    assert rate(5, 0) is None
    assert str(rate(17365, 21125)) == "82.20"


def test_seed_oracle_17365_of_21125_is_82_20(tree, team, users):
    """元谋县: 17,365 registered poor people contracted, 82.20% (the seed's figure)."""
    households = Household.objects.bulk_create(
        [Household(number=f"S{i:06d}", village=tree.village) for i in range(4225)]
    )
    members = Member.objects.bulk_create(
        [
            Member(
                household=households[i % len(households)],
                name=f"人{i}",
                id_number_cipher="-",
                id_number_index=f"seed-{i}",
                id_number_masked="*" * 18,
                sex="M",
                birth_date=dt.date(1970, 1, 1),
            )
            for i in range(21125)
        ],
        batch_size=2000,
    )
    Contract.objects.bulk_create(
        [
            Contract(
                member=member,
                team=team,
                doctor=users.village_doctor,
                signed_on=dt.date(2024, 1, 5),
                valid_from=dt.date(2024, 1, 5),
                valid_to=dt.date(2025, 1, 4),
                status=ContractStatus.ACTIVE,
            )
            for member in members[:17365]
        ],
        batch_size=2000,
    )
    figures = contract_indicators(users.county_staff, region=None, start=H1[0], end=H1[1])
    assert (figures.target, figures.contracted) == (21125, 17365)
    assert figures.as_json()["contract_rate"] == "82.20"


def test_key_group_seed_figure_42_60(tree, team, users):
    """426 of 1,000 key-group people contracted prints as the seed's 42.60%."""
    households = Household.objects.bulk_create(
        [Household(number=f"K{i:05d}", village=tree.village) for i in range(250)]
    )
    members = Member.objects.bulk_create(
        [
            Member(
                household=households[i % 250],
                name=f"老人{i}",
                id_number_cipher="-",
                id_number_index=f"key-{i}",
                id_number_masked="*" * 18,
                sex="F",
                birth_date=dt.date(1950, 1, 1),  # 74 on the period's last day
            )
            for i in range(1000)
        ]
    )
    Contract.objects.bulk_create(
        [
            Contract(
                member=member,
                team=team,
                doctor=users.village_doctor,
                signed_on=dt.date(2024, 2, 1),
                valid_from=dt.date(2024, 2, 1),
                valid_to=dt.date(2025, 1, 31),
            )
            for member in members[:426]
        ]
    )
    figures = contract_indicators(users.county_staff, region=None, start=H1[0], end=H1[1])
    assert figures.as_json()["key_group_contract_rate"] == "42.60"


@pytest.fixture
def worked_example(tree, team, users):
    """Ten people in 能禹村, by hand:

    contracted in the first half of 2024: 6 (a contract that ended in 2023 does not count);
    key groups: aged 70, aged 3, pregnant, hypertensive (4), of whom 2 contracted (the aged and the hypertensive);
    windows: the hypertensive member owes Q1 (visited) and Q2 (missed) = 1 of 2; the
    coronary member owes the year window, open on 10 July and visited in March = 1 of 1.
    """
    doctor = users.village_doctor

    def person(**kw):
        return MemberFactory(household=HouseholdFactory(village=tree.village), **kw)

    def contract(member, **kw):
        return ContractFactory(member=member, team=team, doctor=doctor, **kw)

    old = person(birth_date=dt.date(1954, 3, 1))
    child = person(birth_date=dt.date(2021, 2, 1))
    pregnant = person(birth_date=dt.date(1995, 1, 1), sex="F", pregnant=True)
    hypertensive = person()
    add_disease(hypertensive, "hypertension")
    coronary = person()
    add_disease(coronary, "chd")
    others = [person() for _ in range(5)]
    contract(old, signed_on=dt.date(2024, 3, 1))
    contract(hypertensive, signed_on=dt.date(2024, 1, 1))
    FollowUpFactory(member=hypertensive, visited_on=dt.date(2024, 2, 14))
    contract(coronary, signed_on=dt.date(2024, 1, 1))
    FollowUpFactory(member=coronary, visited_on=dt.date(2024, 3, 3))
    contract(others[0], signed_on=dt.date(2023, 8, 1))  # runs into 2024: counts
    contract(others[1], signed_on=dt.date(2024, 6, 30))  # signed on the last day: counts
    contract(others[2], signed_on=dt.date(2024, 2, 1), terminated_on=dt.date(2024, 2, 20))
    contract(
        others[3],
        signed_on=dt.date(2022, 6, 1),
        status=ContractStatus.EXPIRED,
    )  # ended 2023-05-31: does not count
    del child, pregnant


def test_hand_worked_contract_and_completion_rates(worked_example, users):
    figures = contract_indicators(
        users.county_staff, region=None, start=H1[0], end=H1[1], today=TODAY
    )
    assert figures.as_json() == {
        "target": 10,
        "contracted": 6,
        "contract_rate": "60.00",
        "key_group_target": 4,
        "key_group_contracted": 2,
        "key_group_contract_rate": "50.00",
        "windows_due": 3,
        "windows_done": 2,
        "completion_rate": "66.67",
    }


def test_breakdown_by_area_team_and_disease(worked_example, tree, team, users):
    breakdown = contract_breakdown(
        users.county_staff, region=tree.county, start=H1[0], end=H1[1], today=TODAY
    )
    assert [row.region.code for row in breakdown.areas] == [tree.township.code]
    assert breakdown.areas[0].indicators.contracted == 6
    team_row = next(row for row in breakdown.teams if row.team == team)
    assert team_row.indicators.target == 10
    assert team_row.indicators.contracted == 6
    assert (team_row.indicators.windows_due, team_row.indicators.windows_done) == (3, 2)
    by_disease = {
        row.disease.code: (row.windows_due, row.windows_done) for row in breakdown.diseases
    }
    assert by_disease == {"hypertension": (2, 1), "chd": (1, 1)}
    township = contract_breakdown(
        users.county_staff, region=tree.township, start=H1[0], end=H1[1], today=TODAY
    )
    assert [row.region.code for row in township.areas] == [tree.village.code]


def test_scope_limits_the_figures(worked_example, tree, users):
    outside = MemberFactory(household=HouseholdFactory(village=tree.other_township_village))
    del outside
    county = contract_indicators(users.county_staff, region=None, start=H1[0], end=H1[1])
    village = contract_indicators(users.village_doctor, region=None, start=H1[0], end=H1[1])
    other = contract_indicators(users.other_county_staff, region=None, start=H1[0], end=H1[1])
    assert (county.target, village.target, other.target) == (11, 10, 0)
    assert other.contract_rate is None


def test_figures_are_cached_until_a_contract_or_visit_changes(
    tree, team, users, settings, django_assert_num_queries
):
    from django.core.cache import cache

    from contracts import services

    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    cache.clear()
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    add_disease(member, "hypertension")
    user = users.county_staff
    today = dt.date.today()
    first = contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today)
    assert (first.contracted, first.windows_due) == (0, 0)
    with django_assert_num_queries(0):
        contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today)
    services.contract_sign(member=member, team=team, doctor=users.village_doctor, by=user)
    services.follow_up_record(member=member, systolic=120, diastolic=80, by=user)
    second = contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today)
    assert (second.contracted, second.windows_due, second.windows_done) == (1, 1, 1)
    # A registry edit outside the services shows once the cached figures expire.
    MemberFactory(household=HouseholdFactory(village=tree.village))
    third = contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today)
    assert third.target == 1
    cache.clear()
    assert (
        contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today).target
        == 2
    )
