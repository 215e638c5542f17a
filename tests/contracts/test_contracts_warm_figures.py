"""The counties' figures kept warm (issue 13): every minute ``contracts.warm_figures``
computes the county entries that the pages will ask for and that are missing or about to
expire, so that a supervisor's prefecture is a sum of cached rows (no figures statement)."""

import datetime as dt
import time
from types import SimpleNamespace

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.core.cache import cache
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
TOMORROW = TODAY + dt.timedelta(days=1)
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


@pytest.fixture
def sent(monkeypatch):
    """The warm runs sent to the broker (``send_task``'s keyword arguments)."""
    calls = []

    def send_task(name, **kwargs):
        assert name == warm_figures_task.name and name in current_app.tasks
        calls.append(kwargs)

    monkeypatch.setattr(current_app, "send_task", send_task)
    return calls


def test_a_change_to_every_county_queues_a_warm_run_when_it_commits(
    two_counties, users, cached, sent, django_capture_on_commit_callbacks
):
    copd = Disease.objects.get(code="copd")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.follow_up_rule_set(disease=copd, visits_per_year=3, by=users.county_staff)
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(sent) == 1
    assert sent[0]["kwargs"] == {"queued": True}
    assert sent[0]["expires"] == selectors.WARM_QUEUED_EXPIRES_SECONDS
    # A change in one county waits for beat's run: one statement, not ten.
    with django_capture_on_commit_callbacks(execute=True):
        selectors.figures_changed([YUANMOU + "100200"])
    assert len(sent) == 1


def test_no_warm_run_is_queued_with_the_cache_off(
    two_counties, users, settings, sent, django_capture_on_commit_callbacks
):
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_up_rule_set(
            disease=Disease.objects.get(code="copd"), visits_per_year=3, by=users.county_staff
        )
    assert sent == []


def test_a_broker_that_refuses_the_run_does_not_undo_the_change(
    two_counties, users, cached, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refuses(name, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(current_app, "send_task", refuses)
    copd = Disease.objects.get(code="copd")
    with django_capture_on_commit_callbacks(execute=True):
        rule = services.follow_up_rule_set(disease=copd, visits_per_year=3, by=users.county_staff)
    rule.refresh_from_db()
    assert rule.visits_per_year == 3
    assert "the broker is down" in caplog.text
    # Beat's run warms them as before.
    assert warm() == [SHUANGBAI, YUANMOU]


def test_a_queued_run_waits_for_a_run_in_progress(two_counties, cached):
    assert cache.add(selectors.WARM_LOCK_KEY, "a run that read the versions before", 90)
    # Beat's run leaves it to the next minute; a run queued by a change tries again soon.
    assert warm_figures_task() == []
    with pytest.raises(Retry):
        warm_figures_task(queued=True)
    assert warm_figures_task.default_retry_delay == 5
    cache.delete(selectors.WARM_LOCK_KEY)
    assert warm_figures_task(queued=True) == [SHUANGBAI, YUANMOU]
    # Nothing left to do is not a reason to try again.
    assert warm_figures_task(queued=True) == []


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_in_the_last_minutes_of_a_day_tomorrow_is_warmed_too(
    two_counties, cached, django_assert_num_queries
):
    assert selectors.warm_days(local(2024, 8, 20, 23, 54, 59)) == [TODAY]
    assert selectors.warm_days(local(2024, 8, 20, 23, 55)) == [TODAY, TOMORROW]
    assert selectors.warm_days(local(2024, 8, 21, 0, 0)) == [TOMORROW]
    assert selectors.warm_days(local(2024, 12, 31, 23, 58)) == [
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 1),
    ]

    # The counties, then each county's statement for each day.
    with django_assert_num_queries(5):
        assert selectors.warm_area_figures(now=local(2024, 8, 20, 23, 57)) == [
            SHUANGBAI,
            YUANMOU,
        ]
    # After midnight the supervisor's year to date only sums, and equals the statement.
    start, end = selectors.year_to_date(TOMORROW)
    with django_assert_num_queries(1):
        summed = selectors.area_figures(
            PREFECTURE, start=start, end=end, today=TOMORROW, cache_seconds=600
        )
    assert summed == selectors.contract_figures(PREFECTURE, start=start, end=end, today=TOMORROW)
    # The day's own entries were there too, and the next run finds nothing to do.
    expected = one_statement()
    with django_assert_num_queries(1):
        assert prefecture() == expected
    with django_assert_num_queries(1):
        assert selectors.warm_area_figures(now=local(2024, 8, 21, 0, 0, 30)) == []
