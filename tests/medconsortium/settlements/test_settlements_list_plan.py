"""The encounter list reads a page, not the area: newest first along ``encounter_newest``.

Before the index, PostgreSQL joined every encounter of the county to its member, institution,
settlement and diagnosis and then sorted them all to keep 20 (106 ms for 48,379 encounters,
docs/BENCHMARKS.md); walking the index backwards it stops after the page's rows.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.medconsortium.settlements.conftest import VISIBLE

pytestmark = pytest.mark.django_db


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_encounter_page_walks_the_newest_first_index(users, encounters, client_as):
    client = client_as(users.county_staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/settlements/encounters/")
    assert response.status_code == 200
    shown = len(VISIBLE["county_staff"])
    assert shown > 1
    (page_sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "medconsortium_encounter"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    with connection.cursor() as cursor:
        # A handful of rows would be sorted in memory whatever the indexes; priced as they
        # are at county scale (a sort of the whole area against a page read along an index),
        # the planner must have the index to avoid the sort.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + page_sql)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes = list(_nodes(plan[0]["Plan"]))
    assert not [node for node in nodes if node["Node Type"] in {"Sort", "Incremental Sort"}]
    scans = [node for node in nodes if node.get("Relation Name") == "medconsortium_encounter"]
    assert [node.get("Index Name") for node in scans] == ["encounter_newest"]
    assert scans[0]["Scan Direction"] == "Backward"
