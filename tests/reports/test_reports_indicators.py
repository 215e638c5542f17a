"""The contract indicators against hand-worked examples and the seed figure (82.20%)."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from contracts.choices import ContractStatus
from contracts.models import Contract
from contracts.owed import refresh_owed
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
    refresh_owed(member.pk for member in members)  # as every writer of contracts does
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
    refresh_owed(member.pk for member in members)
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
    # A registry edit outside the services shows at once too: the ``post_save`` that keeps
    # the member's target row bumps its county's figures version.
    MemberFactory(household=HouseholdFactory(village=tree.village))
    third = contract_indicators(user, region=None, start=dt.date(today.year, 1, 1), end=today)
    assert third.target == 2


@pytest.fixture
def shared_village(tree, team, other_team, users, institutions):
    """Two teams of 元马镇 share 丙间村, by hand (the first half of 2024, seen on 10 July):

    能禹村 (covered by team 1 only): 4 people, 3 contracted with team 1.
    丙间村 (covered by teams 1 and 2): 5 people, 2 contracted with team 1 and 2 with team 2,
    one of whom (aged 70, a key-group person) signed with team 1 in January and moved to
    team 2 in March (counted once, under team 2: the latest contract).
    黄瓜园镇's village (its own team): 2 people, one contracted with its team and one with
    team 1 (moved there after signing), who counts for the village, not for team 1.

    Team 1: 5 of the 9 people of its two villages, 55.56%; key groups 0 of 1.
    Team 2: 2 of the 5 people of 丙间村, 40.00%; key groups 1 of 1.
    黄瓜园镇's team: 1 of 2, 50.00%. 丙间村: 4 of 5 = team 1's 40% + team 2's 40%.
    """
    from tests.contracts.factories import DoctorTeamFactory

    second = DoctorTeamFactory(
        institution=institutions.township_centre,
        name="元马镇第2家庭医生团队",
        leader=users.township_doctor,
        villages=[tree.village2],
        members=[users.township_doctor],
    )

    def person(village, **kw):
        return MemberFactory(household=HouseholdFactory(village=village), **kw)

    def sign(member, with_team, on=dt.date(2024, 1, 10), **kw):
        return ContractFactory(
            member=member, team=with_team, doctor=with_team.leader, signed_on=on, **kw
        )

    for i in range(4):
        member = person(tree.village)
        if i < 3:
            sign(member, team)
    shared = [person(tree.village2) for _ in range(4)]
    shared.append(person(tree.village2, birth_date=dt.date(1954, 1, 1)))
    sign(shared[0], team)
    sign(shared[1], team)
    sign(shared[2], second)
    sign(shared[4], team, status=ContractStatus.EXPIRED, terminated_on=dt.date(2024, 3, 4))
    sign(shared[4], second, on=dt.date(2024, 3, 5))
    elsewhere = [person(tree.other_township_village) for _ in range(2)]
    sign(elsewhere[0], other_team)
    sign(elsewhere[1], team)
    return SimpleNamespace(first=team, second=second, other=other_team)


def test_team_contract_rate_over_the_villages_it_covers(shared_village, tree, users):
    breakdown = contract_breakdown(
        users.county_staff, region=tree.county, start=H1[0], end=H1[1], today=TODAY
    )
    rows = {row.team: row.indicators for row in breakdown.teams}
    first, second, other = (
        rows[shared_village.first],
        rows[shared_village.second],
        rows[shared_village.other],
    )
    assert (first.target, first.contracted, str(first.contract_rate)) == (9, 5, "55.56")
    assert (first.key_group_target, first.key_group_contracted) == (1, 0)
    assert (second.target, second.contracted, str(second.contract_rate)) == (5, 2, "40.00")
    assert (second.key_group_target, second.key_group_contracted) == (1, 1)
    assert (other.target, other.contracted, str(other.contract_rate)) == (2, 1, "50.00")
    # Each person once in the county: 3 + 4 + 2 contracted of 11.
    assert (breakdown.total.target, breakdown.total.contracted) == (11, 9)
    township = contract_breakdown(
        users.county_staff, region=tree.township, start=H1[0], end=H1[1], today=TODAY
    )
    areas = {row.region.code: row.indicators for row in township.areas}
    assert (areas[tree.village2.code].contracted, areas[tree.village2.code].target) == (4, 5)


def test_team_page_counts_the_people_of_its_villages(shared_village, users):
    from contracts.selectors import team_summary

    first = team_summary(shared_village.first, users.county_staff, today=TODAY)
    second = team_summary(shared_village.second, users.county_staff, today=TODAY)
    # On 10 July: team 1 holds 5 contracts in its villages (the one in 黄瓜园镇 is not its
    # area) and the renewed person is with team 2.
    assert (first.target, first.contracted) == (9, 5)
    assert (second.target, second.contracted) == (5, 2)
