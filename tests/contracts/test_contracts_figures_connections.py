"""Missing counties' figures computed on several connections at once (issue 13): a
supervisor's prefecture whose counties are all missing from the cache runs their statements
two at a time on PostgreSQL, and gets exactly the figures of the one statement."""

import threading

import pytest
from django.db import connection

from contracts import selectors
from tests.contracts import test_contracts_county_figures as county_figures
from tests.contracts.test_contracts_county_figures import PREFECTURE, SHUANGBAI, YUANMOU
from tests.contracts.test_contracts_warm_figures import END, START, TODAY

two_counties = county_figures.two_counties
cached = county_figures.cached
PERIOD = {"start": START, "end": END, "today": TODAY}


@pytest.fixture
def threads(monkeypatch):
    """The threads each county's statement ran on, and the connection each used."""
    seen = {}
    statement = selectors._figures_rows

    def recorded(area, **kwargs):
        rows = statement(area, **kwargs)
        backend = connection.connection.info.backend_pid if connection.vendor == "postgresql" else 0
        seen[area.prefix] = (threading.current_thread().name, backend)
        return rows

    monkeypatch.setattr(selectors, "_figures_rows", recorded)
    return seen


def backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_missing_counties_are_computed_two_at_a_time(two_counties, cached, threads):
    one_by_one = {
        county: selectors._figures_rows(selectors.Area(county), completion=True, **PERIOD)
        for county in (SHUANGBAI, YUANMOU)
    }
    threads.clear()
    before = backends()

    rows = selectors.counties_rows([YUANMOU, SHUANGBAI], **PERIOD)

    assert list(rows) == [YUANMOU, SHUANGBAI]
    assert rows == {county: one_by_one[county] for county in (YUANMOU, SHUANGBAI)}
    names = {name for name, _ in threads.values()}
    assert len(names) == 2 and all(name.startswith("figures") for name in names)
    assert len({handle for _, handle in threads.values()}) == 2
    # Each thread closed its connection when its share was done.
    assert backends() == before

    # Through the supervisor's prefecture, cold: the sum equals the one statement.
    expected = selectors.contract_figures(PREFECTURE, **PERIOD)
    selectors.figures_changed()
    assert selectors.area_figures(PREFECTURE, cache_seconds=600, **PERIOD) == expected
    assert backends() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="connections of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_connection_when_told_so(two_counties, cached, threads, settings):
    settings.CONTRACT_FIGURES_CONNECTIONS = 1
    selectors.counties_rows([YUANMOU, SHUANGBAI], **PERIOD)
    assert {name for name, _ in threads.values()} == {threading.current_thread().name}


def test_inside_a_transaction_the_counties_run_on_its_own_connection(two_counties, cached, threads):
    # Another connection would not see what the transaction wrote (here: the whole test's
    # data), so the statements run one after another on the caller's.
    assert connection.in_atomic_block
    expected = selectors.contract_figures(PREFECTURE, **PERIOD)
    threads.clear()
    assert selectors.area_figures(PREFECTURE, cache_seconds=600, **PERIOD) == expected
    assert set(threads) == {SHUANGBAI, YUANMOU}
    assert {name for name, _ in threads.values()} == {threading.current_thread().name}
