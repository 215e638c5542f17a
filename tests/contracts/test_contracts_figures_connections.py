"""Missing counties' figures computed on several connections at once (issue 13): a
supervisor's prefecture whose counties are all missing from the cache runs their statements
two at a time on PostgreSQL, and gets exactly the figures of the one statement."""

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, connections

from contracts import selectors
from tests.contracts import test_contracts_county_figures as county_figures
from tests.contracts.test_contracts_county_figures import PREFECTURE, SHUANGBAI, YUANMOU
from tests.contracts.test_contracts_warm_figures import END, START, TODAY

two_counties = county_figures.two_counties
cached = county_figures.cached
PERIOD = {"start": START, "end": END, "today": TODAY}


@pytest.fixture
def threads(monkeypatch):
    """The threads each county's statement ran on, the backend (process id) of the
    connection each used, and that connection's wrapper (``wrappers``)."""
    seen = {}
    statement = selectors._figures_rows

    def recorded(area, **kwargs):
        rows = statement(area, **kwargs)
        time.sleep(seen_wrappers.pause)
        backend = connection.connection.info.backend_pid if connection.vendor == "postgresql" else 0
        seen[area.prefix] = (threading.current_thread().name, backend)
        wrappers.append(connections["default"])
        return rows

    wrappers = []
    # ``pause``: how long each statement holds its thread, so that a test can be sure
    # every thread has taken a county before the first is done.
    seen_wrappers = SimpleNamespace(wrappers=wrappers, pause=0.0)

    monkeypatch.setattr(selectors, "_figures_rows", recorded)
    seen_wrappers.seen = seen
    return seen_wrappers


def closed(wrappers) -> bool:
    """Every wrapper other than this thread's has no open connection left."""
    others = [wrapper for wrapper in wrappers if wrapper is not connections["default"]]
    return bool(others) and all(wrapper.connection is None for wrapper in others)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_missing_counties_are_computed_two_at_a_time(two_counties, cached, threads):
    one_by_one = {
        county: selectors._figures_rows(selectors.Area(county), completion=True, **PERIOD)
        for county in (SHUANGBAI, YUANMOU)
    }
    threads.seen.clear()
    threads.wrappers.clear()
    threads.pause = 0.3
    caller = threading.current_thread().name

    rows = selectors.counties_rows([YUANMOU, SHUANGBAI], **PERIOD)

    assert list(rows) == [YUANMOU, SHUANGBAI]
    assert rows == {county: one_by_one[county] for county in (YUANMOU, SHUANGBAI)}
    # One county on the caller's thread and connection, the other on a helper's.
    names = sorted(name for name, _ in threads.seen.values())
    assert len(set(names)) == 2 and caller in names
    assert [name for name in names if name != caller][0].startswith("figures")
    assert len({backend for _, backend in threads.seen.values()}) == 2
    # The helper closed its connection when it was done; the caller's stays open.
    assert closed(threads.wrappers)
    assert connection.connection is not None

    # Through the supervisor's prefecture, cold: the sum equals the one statement.
    expected = selectors.contract_figures(PREFECTURE, **PERIOD)
    selectors.figures_changed()
    threads.wrappers.clear()
    assert selectors.area_figures(PREFECTURE, cache_seconds=600, **PERIOD) == expected
    assert closed(threads.wrappers)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_each_connection_takes_the_next_county_left(two_counties, cached, monkeypatch):
    # Three counties on two connections: the one whose first county is quick takes the
    # third, rather than each connection being handed its share up front.
    statement = selectors._figures_rows
    taken = []

    def slow_first(area, **kwargs):
        taken.append((area.prefix, threading.current_thread().name))
        if area.prefix == YUANMOU:
            time.sleep(0.5)
        return statement(area, **kwargs)

    monkeypatch.setattr(selectors, "_figures_rows", slow_first)
    counties = [YUANMOU, SHUANGBAI, "532399"]
    rows = selectors.counties_rows(counties, **PERIOD)

    assert list(rows) == counties and rows["532399"] == []
    by_thread = dict(taken)
    assert by_thread[SHUANGBAI] == by_thread["532399"] != by_thread[YUANMOU]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_stops_the_other_connections(two_counties, cached, monkeypatch):
    statement = selectors._figures_rows
    taken = []

    def failing(area, **kwargs):
        taken.append(area.prefix)
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("the statement failed")
        time.sleep(0.3)
        return statement(area, **kwargs)

    monkeypatch.setattr(selectors, "_figures_rows", failing)
    with pytest.raises(RuntimeError, match="the statement failed"):
        selectors.counties_rows([YUANMOU, SHUANGBAI, "532399", "532398"], **PERIOD)
    # The caller failed on its first county, the helper took one at most: the rest were
    # given to nobody (without that, the helper would have gone on through all three).
    assert 1 <= len(taken) <= 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_connection_when_told_so(two_counties, cached, threads, settings):
    settings.CONTRACT_FIGURES_CONNECTIONS = 1
    selectors.counties_rows([YUANMOU, SHUANGBAI], **PERIOD)
    assert {name for name, _ in threads.seen.values()} == {threading.current_thread().name}


def test_inside_a_transaction_the_counties_run_on_its_own_connection(two_counties, cached, threads):
    # Another connection would not see what the transaction wrote (here: the whole test's
    # data), so the statements run one after another on the caller's.
    assert connection.in_atomic_block
    expected = selectors.contract_figures(PREFECTURE, **PERIOD)
    threads.seen.clear()
    assert selectors.area_figures(PREFECTURE, cache_seconds=600, **PERIOD) == expected
    assert set(threads.seen) == {SHUANGBAI, YUANMOU}
    assert {name for name, _ in threads.seen.values()} == {threading.current_thread().name}
