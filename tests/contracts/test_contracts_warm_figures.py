"""The counties' figures kept warm (issue 13): every minute ``contracts.warm_figures``
computes the county entries that the pages will ask for and that are missing or about to
expire, so that a supervisor's prefecture is a sum of cached rows (no figures statement)."""

import datetime as dt
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts import selectors, services
from contracts.tasks import warm_figures_task
from healthaid.choices import RegionLevel
from healthaid.models import Region
from households.models import Disease, Member
from reports.indicators import contract_breakdown, contract_indicators
from tests.contracts import test_contracts_county_figures as county_figures
from tests.contracts.factories import HouseholdFactory, MemberFactory
from tests.contracts.test_contracts_county_figures import PREFECTURE, SHUANGBAI, YUANMOU

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 8, 20)
START, END = selectors.year_to_date(TODAY)

# Two counties of random people, and the figures cache on (600 s).
two_counties = county_figures.two_counties
cached = county_figures.cached


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock (local memory), moved on by ``clock.advance(seconds)``."""
    offset = SimpleNamespace(seconds=0.0)
    fake = SimpleNamespace(time=lambda: time.time() + offset.seconds)
    monkeypatch.setattr(locmem, "time", fake)
    monkeypatch.setattr(cache_base, "time", fake)

    def advance(seconds):
        offset.seconds += seconds

    return SimpleNamespace(advance=advance)


def warm(**kwargs):
    return selectors.warm_area_figures(TODAY, **kwargs)


def prefecture():
    return selectors.area_figures(PREFECTURE, start=START, end=END, today=TODAY, cache_seconds=600)


def one_statement():
    return selectors.contract_figures(PREFECTURE, start=START, end=END, today=TODAY)


def test_a_cold_run_computes_every_county_and_the_supervisor_only_sums(
    two_counties, users, settings, cached, django_assert_num_queries
):
    # The counties with people, then each county's statement.
    with django_assert_num_queries(3):
        assert warm() == [SHUANGBAI, YUANMOU]
    # The supervisor's prefecture: the regions, then the cached rows of both counties.
    with django_assert_num_queries(1):
        summed = prefecture()
    expected = one_statement()
    assert summed == expected
    total = summed.contracts.total()
    assert total.target == Member.objects.count() == 75
    assert (total.contracted, total.key_group_target, total.key_group_contracted) == (
        expected.contracts.total().contracted,
        expected.contracts.total().key_group_target,
        expected.contracts.total().key_group_contracted,
    )
    assert total.contracted > 0 and summed.completion.due > 0
    assert (summed.completion.due, summed.completion.done) == (
        expected.completion.due,
        expected.completion.done,
    )
    assert summed.completion.by_team == expected.completion.by_team
    assert summed.completion.by_disease == expected.completion.by_disease

    # Through the supervisor's indicators and breakdown: equal to the one statement's
    # (cache off), and no figures statement once warm.
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
    uncached = contract_indicators(users.supervisor, region=None, start=START, end=END, today=TODAY)
    uncached_breakdown = contract_breakdown(
        users.supervisor, region=None, start=START, end=END, today=TODAY
    )
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    with django_assert_num_queries(1):
        indicators = contract_indicators(
            users.supervisor, region=None, start=START, end=END, today=TODAY
        )
    assert indicators == uncached
    assert indicators.target == 75 and indicators.windows_due == expected.completion.due
    breakdown = contract_breakdown(users.supervisor, region=None, start=START, end=END, today=TODAY)
    assert breakdown.total == uncached_breakdown.total
    assert [(row.region.code, row.indicators) for row in breakdown.areas] == [
        (row.region.code, row.indicators) for row in uncached_breakdown.areas
    ]


def test_a_run_with_everything_cached_computes_nothing(
    two_counties, cached, django_assert_num_queries
):
    warm()
    with django_assert_num_queries(1):
        assert warm() == []
    # What a page computed is not computed again either.
    cache.clear()
    prefecture()
    with django_assert_num_queries(1):
        assert warm() == []


def test_a_change_in_one_county_is_the_only_county_computed(
    two_counties, tree, team, users, cached
):
    warm()
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    services.contract_sign(
        member=member, team=team, doctor=users.village_doctor, by=users.county_staff
    )
    with CaptureQueriesContext(connection) as queries:
        assert warm() == [YUANMOU]
    assert len(queries) == 2
    assert "532328000000" in queries[1]["sql"] and "532322000000" not in queries[1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        summed = prefecture()
    assert len(queries) == 1
    assert summed == one_statement()
    assert summed.contracts.total().target == 76


def test_a_rule_change_computes_every_county_again(
    two_counties, users, cached, django_assert_num_queries
):
    warm()
    services.follow_up_rule_set(
        disease=Disease.objects.get(code="copd"), visits_per_year=3, by=users.county_staff
    )
    with django_assert_num_queries(3):
        assert warm() == [SHUANGBAI, YUANMOU]
    expected = one_statement()
    with django_assert_num_queries(1):
        assert prefecture() == expected


def test_entries_about_to_expire_are_computed_again(
    two_counties, cached, clock, django_assert_num_queries
):
    warm()
    clock.advance(selectors.DEFAULT_FIGURES_CACHE_SECONDS - selectors.WARM_AHEAD_SECONDS - 1)
    with django_assert_num_queries(1):
        assert warm() == []
    clock.advance(2)  # inside the last WARM_AHEAD_SECONDS of the entries' life
    with django_assert_num_queries(3):
        assert warm() == [SHUANGBAI, YUANMOU]
    # The entries now live on: past the first ones' expiry the supervisor still only sums.
    clock.advance(selectors.WARM_AHEAD_SECONDS)
    expected = one_statement()
    with django_assert_num_queries(1):
        assert prefecture() == expected


def test_counties_without_people_are_not_warmed(two_counties, tree, cached):
    Region.objects.create(
        code="532301000000", name="楚雄市", level=RegionLevel.COUNTY, parent=tree.prefecture
    )
    assert selectors.populated_counties() == [SHUANGBAI, YUANMOU]
    assert warm() == [SHUANGBAI, YUANMOU]
    # The prefecture reads it as a county (the regions say so): an empty statement.
    expected = one_statement()
    with CaptureQueriesContext(connection) as queries:
        assert prefecture() == expected
    assert len(queries) == 2 and "532301000000" in queries[1]["sql"]


def test_a_run_holds_a_lock_that_expires(
    two_counties, cached, clock, monkeypatch, django_assert_num_queries
):
    assert cache.add(selectors.WARM_LOCK_KEY, "a run on another worker", 90)
    with django_assert_num_queries(0):
        assert warm() == []
    # A run that died keeps it until it expires.
    clock.advance(selectors.WARM_LOCK_SECONDS + 1)
    assert warm() == [SHUANGBAI, YUANMOU]
    # A run that ends, or fails, lets it go.
    assert cache.get(selectors.WARM_LOCK_KEY) is None
    selectors.figures_changed()

    def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched, pytest.raises(RuntimeError):
        patched.setattr(selectors, "_figures_rows", fails)
        warm()
    assert cache.get(selectors.WARM_LOCK_KEY) is None
    assert warm() == [SHUANGBAI, YUANMOU]


def test_a_run_starts_no_county_past_its_budget(two_counties, cached, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert warm(budget=-1) == []
    assert warm() == [SHUANGBAI, YUANMOU]


def test_with_the_cache_off_nothing_is_warmed(two_counties, settings, django_assert_num_queries):
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
    with django_assert_num_queries(0):
        assert warm() == []


def test_the_task_warms_the_year_to_date_of_today(two_counties, cached):
    from django.utils import timezone

    assert warm_figures_task() == [SHUANGBAI, YUANMOU]
    assert warm_figures_task() == []
    today = timezone.localdate()
    versions = selectors.county_versions([SHUANGBAI, YUANMOU])
    start, end = selectors.year_to_date(today)
    keys = [
        selectors.county_figures_key(county, version, start=start, end=end, today=today)
        for county, version in versions.items()
    ]
    assert set(cache.get_many(keys)) == set(keys)


def test_the_warm_task_is_on_the_beat_schedule(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="contracts.warm_figures")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (60, "seconds")
    assert task.expire_seconds == 55
