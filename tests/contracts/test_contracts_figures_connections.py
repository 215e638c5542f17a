"""Missing counties' figures computed on several connections at once (issue 13): a
supervisor's prefecture whose counties are all missing from the cache runs their statements
two at a time on PostgreSQL, and gets exactly the figures of the one statement."""

import threading
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
        backend = connection.connection.info.backend_pid if connection.vendor == "postgresql" else 0
        seen[area.prefix] = (threading.current_thread().name, backend)
        wrappers.append(connections["default"])
        return rows

    wrappers = []
    seen_wrappers = SimpleNamespace(wrappers=wrappers)

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

    rows = selectors.counties_rows([YUANMOU, SHUANGBAI], **PERIOD)

    assert list(rows) == [YUANMOU, SHUANGBAI]
    assert rows == {county: one_by_one[county] for county in (YUANMOU, SHUANGBAI)}
    names = {name for name, _ in threads.seen.values()}
    assert len(names) == 2 and all(name.startswith("figures") for name in names)
    assert len({backend for _, backend in threads.seen.values()}) == 2
    # Each thread closed its connection when its share was done.
    assert closed(threads.wrappers)

    # Through the supervisor's prefecture, cold: the sum equals the one statement.
    expected = selectors.contract_figures(PREFECTURE, **PERIOD)
    selectors.figures_changed()
    threads.wrappers.clear()
    assert selectors.area_figures(PREFECTURE, cache_seconds=600, **PERIOD) == expected
    assert closed(threads.wrappers)


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
