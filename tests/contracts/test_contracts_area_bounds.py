"""The county figures read the county's rows only, however large the database around them.

The figures statement reads only derived rows (the target rows of ``TargetMember``, the spans,
the owed slots), each by a range of village codes that a B-tree index serves, and neither the
members nor their households or diagnoses, so a county's figures in a prefecture database cost
what they cost in a county-only one (issue #13: 72 ms against 295 ms before).
"""

import datetime as dt
import json

import pytest
from django.db import connection

from contracts import selectors
from tests.contracts.factories import (
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db

START, END, TODAY = dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2024, 8, 20)

# Tables the figures statement reads, with the rows of each that belong to the area.
TABLES = [
    "contracts_contractspan",
    "contracts_owedslots",
    "contracts_oweddiseaseslots",
    "contracts_targetmember",
    "households_member",
    "households_memberdisease",
    "households_household",
]


def test_area_bounds_are_the_first_and_last_code_under_the_prefix():
    assert selectors.Area("532328").bounds == ("532328000000", "532328999999")
    assert selectors.Area("532328101").bounds == ("532328101000", "532328101999")
    assert selectors.Area("").bounds is None


def test_area_sql_is_a_range_not_a_pattern():
    sql, params = selectors.Area("532328").where("s.village")
    assert "LIKE" not in sql and "BETWEEN" in sql
    assert params == ["532328000000", "532328999999"]
    members_sql = str(selectors.Area("532328").members().query)
    assert "LIKE" not in members_sql.upper() and "BETWEEN" in members_sql.upper()


def populate(village, team, doctor, n):
    for i in range(n):
        member = MemberFactory(household=HouseholdFactory(village=village))
        add_disease(member, "hypertension")
        ContractFactory(member=member, team=team, doctor=doctor, signed_on=START)
        if i % 2:
            FollowUpFactory(member=member, visited_on=dt.date(2024, 2, 10))


@pytest.fixture
def two_counties(tree, team, users, institutions):
    """Three people in 元谋县 and twelve in 双柏县, each with a contract and a diagnosis."""
    from tests.contracts.factories import DoctorTeamFactory

    other = DoctorTeamFactory(
        institution=institutions.township_centre,
        name="妥甸镇第1家庭医生团队",
        leader=users.township_doctor,
        villages=[tree.other_county_village],
        members=[users.township_doctor],
    )
    populate(tree.village, team, users.village_doctor, 3)
    populate(tree.other_county_village, other, users.township_doctor, 12)


def test_a_county_s_figures_do_not_count_another_county(two_counties, tree):
    figures = selectors.contract_figures(
        selectors.Area(tree.county.prefix), start=START, end=END, today=TODAY
    )
    assert figures.contracts.total().target == 3
    assert figures.contracts.total().contracted == 3
    everything = selectors.contract_figures(selectors.Area(), start=START, end=END, today=TODAY)
    assert everything.contracts.total().target == 15


def _touched() -> dict[str, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, seq_scan, COALESCE(idx_tup_fetch, 0) + seq_tup_read"
            " FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
            [TABLES],
        )
        return {name: (scans, rows) for name, scans, rows in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans and counters")
def test_a_county_s_figures_statement_reads_no_other_county_rows(two_counties, tree):
    """With sequential scans priced out (as they are when the county is a tenth of the
    tables), every table is reached through an index on the area's range, and the rows fetched
    are at most the county's own: the statement never reads 双柏县's twelve people."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    before = _touched()
    selectors.contract_figures(
        selectors.Area(tree.county.prefix), start=START, end=END, today=TODAY
    )
    after = _touched()
    for table in TABLES:
        scans = after.get(table, (0, 0))[0] - before.get(table, (0, 0))[0]
        rows = after.get(table, (0, 0))[1] - before.get(table, (0, 0))[1]
        assert scans == 0, f"{table}: a sequential scan"
        # 元谋县 has three of everything here (a contract span, one owed row a frequency…);
        # 双柏县's twelve would show as more.
        assert rows <= 6, f"{table}: {rows} rows read for a county of three people"


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_figures_plan_reads_the_target_rows_by_the_area_s_range(two_counties, tree):
    """EXPLAIN of the statement: the registry's tables (members, households, diagnoses) are
    not in the plan at all, and the target rows, spans and owed rows are each reached by an
    index condition on the county's range of village codes."""
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    area = selectors.Area(tree.county.prefix)
    with connection.execute_wrapper(capture):
        selectors.contract_figures(area, start=START, end=END, today=TODAY)
    ((sql, params),) = captured
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    relations = {node["Relation Name"] for node in nodes if "Relation Name" in node}
    assert not relations & {"households_member", "households_household", "households_memberdisease"}
    assert "contracts_targetmember" in relations
    low, high = area.bounds
    for node in nodes:
        if node.get("Relation Name") in {
            "contracts_targetmember",
            "contracts_owedslots",
            "contracts_oweddiseaseslots",
        }:
            # An index scan's condition, or a bitmap heap scan's (its index scan's).
            condition = node.get("Index Cond") or node.get("Recheck Cond") or ""
            assert low in condition and high in condition, (node["Relation Name"], node)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's collations")
def test_the_derived_rows_village_codes_compare_byte_by_byte():
    """Migration 0009 gives the derived tables' village codes the collation "C", which the
    migration state does not record: a later AlterField of one of them would quietly give it
    the database's collation again, and every figures statement would compare its rows through
    the C library once more. (The plan test above checks their indexes still serve the range.)"""
    derived = [table for table in TABLES if table.startswith("contracts_")]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, co.collname
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_collation co ON co.oid = a.attcollation
            WHERE a.attname = 'village' AND c.relname = ANY(%s)
            """,
            [derived],
        )
        assert dict(cursor.fetchall()) == dict.fromkeys(derived, "C")
