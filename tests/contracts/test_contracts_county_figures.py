"""A prefecture's contract figures as the sum of its counties', each cached under its own
version (issue 13): the sum equals the one statement over the prefecture, and a change in one
county recomputes that county only."""

import datetime as dt
import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts import selectors, services
from households import services as registry
from reports.indicators import contract_breakdown, contract_indicators
from tests.contracts.factories import DoctorTeamFactory, HouseholdFactory, MemberFactory
from tests.contracts.test_contracts_selectors import PERIODS, random_registry

pytestmark = pytest.mark.django_db

YUANMOU, SHUANGBAI = "532328", "532322"
PREFECTURE = selectors.Area("5323")


@pytest.fixture
def cached(settings):
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    cache.clear()
    yield 600
    cache.clear()


@pytest.fixture
def two_counties(tree, team, other_team, users, institutions):
    """Random people in 元谋县's three villages and in 双柏县's, contracted with 元谋's two
    teams and a team of 双柏 (whose figures by team then add up across counties)."""
    shuangbai_team = DoctorTeamFactory(
        institution=institutions.other_county_hospital,
        name="双柏县第1家庭医生团队",
        leader=users.other_county_staff,
        villages=[tree.other_county_village],
        members=[users.other_county_staff],
    )
    codes = ["hypertension", "t2dm", "chd", "tb"]
    random_registry(random.Random(1313), tree, team, other_team, users, codes, people=45)
    random_registry(
        random.Random(2626),
        tree,
        shuangbai_team,
        team,
        users,
        codes,
        people=30,
        villages=[tree.other_county_village],
    )
    return shuangbai_team


def figures(area, start, end, today, seconds=600):
    return selectors.area_figures(area, start=start, end=end, today=today, cache_seconds=seconds)


def test_a_prefecture_s_figures_are_the_sum_of_its_counties(two_counties, cached):
    assert selectors.area_counties(PREFECTURE) == (SHUANGBAI, YUANMOU)
    for start, end, today in PERIODS:
        one_statement = selectors.contract_figures(PREFECTURE, start=start, end=end, today=today)
        villages = {code[:6] for code in one_statement.contracts.by_village}
        assert villages == {SHUANGBAI, YUANMOU}
        assert one_statement.completion.due > 0
        # Cold: the regions, then each county's statement; then all from the cache.
        with CaptureQueriesContext(connection) as cold:
            summed = figures(PREFECTURE, start, end, today)
        assert len(cold) == 3
        assert summed == one_statement
        assert summed.contracts.total() == one_statement.contracts.total()
        with CaptureQueriesContext(connection) as warm:
            again = figures(PREFECTURE, start, end, today)
        assert len(warm) == 1
        assert again == one_statement
        # The province and everything: the same counties, the same sums.
        for area in (selectors.Area("53"), selectors.Area("")):
            assert figures(area, start, end, today) == selectors.contract_figures(
                area, start=start, end=end, today=today
            )
        # A county from the cache is its own statement's figures.
        for county in (YUANMOU, SHUANGBAI):
            area = selectors.Area(county)
            assert figures(area, start, end, today) == selectors.contract_figures(
                area, start=start, end=end, today=today
            )


def test_with_the_cache_off_a_prefecture_is_one_statement(two_counties, django_assert_num_queries):
    start, end, today = PERIODS[0]
    one_statement = selectors.contract_figures(PREFECTURE, start=start, end=end, today=today)
    with django_assert_num_queries(1):
        assert figures(PREFECTURE, start, end, today, seconds=0) == one_statement


def test_a_change_in_one_county_leaves_the_other_s_figures_cached(
    two_counties, tree, team, users, cached
):
    start, end = dt.date.today().replace(month=1, day=1), dt.date.today()
    before = selectors.county_versions([YUANMOU, SHUANGBAI])
    first = figures(PREFECTURE, start, end, end)

    # A new contracted member with a visit in 元谋县: only 元谋's version moves.
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    services.contract_sign(
        member=member, team=team, doctor=users.village_doctor, by=users.county_staff
    )
    services.follow_up_record(member=member, systolic=120, diastolic=80, by=users.county_staff)
    after = selectors.county_versions([YUANMOU, SHUANGBAI])
    assert after[SHUANGBAI] == before[SHUANGBAI]
    assert after[YUANMOU] != before[YUANMOU]

    # The prefecture: the regions, and 元谋's statement only (双柏's rows are cache reads).
    with CaptureQueriesContext(connection) as queries:
        second = figures(PREFECTURE, start, end, end)
    assert len(queries) == 2
    assert "532328000000" in queries[1]["sql"] and "532322000000" not in queries[1]["sql"]
    assert second == selectors.contract_figures(PREFECTURE, start=start, end=end, today=end)
    assert second.contracts.total().target == first.contracts.total().target + 1
    assert second.contracts.total().contracted == first.contracts.total().contracted + 1
    village = second.contracts.by_village[tree.village.code]
    assert village.target == first.contracts.by_village[tree.village.code].target + 1
    shuangbai = tree.other_county_village.code
    assert second.contracts.by_village[shuangbai] == first.contracts.by_village[shuangbai]


def test_a_household_moving_between_counties_moves_both_versions(two_counties, tree, users):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    before = selectors.county_versions([YUANMOU, SHUANGBAI])
    registry.household_update(
        household=member.household, village=tree.other_county_village, by=users.county_staff
    )
    after = selectors.county_versions([YUANMOU, SHUANGBAI])
    assert after[YUANMOU] != before[YUANMOU]
    assert after[SHUANGBAI] != before[SHUANGBAI]


def test_deleting_a_member_moves_only_their_county_s_version(two_counties, tree, users):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    before = selectors.county_versions([YUANMOU, SHUANGBAI])
    registry.member_delete(member=member, by=users.county_staff)
    after = selectors.county_versions([YUANMOU, SHUANGBAI])
    assert after[YUANMOU] != before[YUANMOU]
    assert after[SHUANGBAI] == before[SHUANGBAI]


def test_the_rules_move_every_county_s_version(two_counties, users):
    from households.models import Disease

    before = selectors.county_versions([YUANMOU, SHUANGBAI])
    services.follow_up_rule_set(
        disease=Disease.objects.get(code="copd"), visits_per_year=3, by=users.county_staff
    )
    after = selectors.county_versions([YUANMOU, SHUANGBAI])
    assert after[YUANMOU] != before[YUANMOU] and after[SHUANGBAI] != before[SHUANGBAI]


def test_a_supervisor_s_views_reuse_the_county_entries(
    two_counties, tree, users, settings, cached, django_assert_num_queries
):
    start, end, today = PERIODS[0]
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0  # the one statement over the prefecture
    uncached = {
        "indicators": contract_indicators(
            users.supervisor, region=None, start=start, end=end, today=today
        ),
        "breakdown": contract_breakdown(
            users.supervisor, region=None, start=start, end=end, today=today
        ),
    }
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    # The county staff's views fill their counties' entries ...
    for user in (users.county_staff, users.other_county_staff):
        contract_indicators(user, region=None, start=start, end=end, today=today)
    # ... which the supervisor's prefecture then sums: the regions, no figures statement.
    with django_assert_num_queries(1):
        indicators = contract_indicators(
            users.supervisor, region=None, start=start, end=end, today=today
        )
    assert indicators == uncached["indicators"]
    breakdown = contract_breakdown(users.supervisor, region=None, start=start, end=end, today=today)
    assert [(row.region.code, row.indicators) for row in breakdown.areas] == [
        (row.region.code, row.indicators) for row in uncached["breakdown"].areas
    ]
    assert [row.region.code for row in breakdown.areas] == [
        tree.other_county.code,
        tree.county.code,
    ]
    assert breakdown.total == uncached["breakdown"].total
    assert [(r.team.pk, r.indicators) for r in breakdown.teams] == [
        (r.team.pk, r.indicators) for r in uncached["breakdown"].teams
    ]
    assert [(r.disease.pk, r.windows_due, r.windows_done) for r in breakdown.diseases] == [
        (r.disease.pk, r.windows_due, r.windows_done) for r in uncached["breakdown"].diseases
    ]
    # Cached: the regions only.
    with django_assert_num_queries(1):
        contract_indicators(users.supervisor, region=None, start=start, end=end, today=today)
