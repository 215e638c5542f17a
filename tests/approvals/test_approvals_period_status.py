"""``period_status``: every township and submitting institution under a county or a
prefecture, approved for the exact period or for every month of it; three queries however
many units."""

import datetime

import pytest

from approvals import services
from approvals.selectors import UnitStatus, period_status
from healthaid.choices import InstitutionKind
from tests.healthaid.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

H1 = (datetime.date(2019, 1, 1), datetime.date(2019, 6, 30))


def _by_name(rows):
    return {row.unit_name: row for row in rows}


def test_county_months_make_the_half_year(users, tree, institutions, approve):
    for month in range(1, 6):
        approve("month", 2019, month)
    rows = _by_name(period_status(tree.county, *H1))
    # Five months of six: not approved, and no half-year submission either.
    assert rows["元马镇"].status == "not_submitted"
    approve("month", 2019, 6)
    rows = _by_name(period_status(tree.county, *H1))
    township = rows["元马镇"]
    assert township == UnitStatus(
        unit_kind="township",
        unit_key=tree.township.code,
        unit_name="元马镇",
        status="approved",
        status_label="已审核通过",
        decided_on=township.decided_on,
        decided_by=users.county_staff.get_full_name() or "county",
    )
    assert township.decided_on is not None
    assert rows["黄瓜园镇"].status == "not_submitted"
    assert rows["黄瓜园镇"].status_label == "未上报"
    assert rows["黄瓜园镇"].decided_by == "" and rows["黄瓜园镇"].decided_on is None
    # Every institution of the county that submits (not its village clinic), none of the
    # other county's or the prefecture's.
    names = {r.unit_name for r in rows.values() if r.unit_kind == "institution"}
    assert names == {"元谋县人民医院", "元马镇卫生院", "黄瓜园镇卫生院"}
    # A month of it, on its own.
    march = _by_name(
        period_status(tree.county, datetime.date(2019, 3, 1), datetime.date(2019, 3, 31))
    )
    assert march["元马镇"].status == "approved"


def test_exact_half_year_submission(users, tree, institutions):
    approval = services.approval_submit(
        period_kind="half", year=2019, number=1, note="", by=users.hospital_staff
    )
    rows = _by_name(period_status(tree.county, *H1))
    assert rows["元谋县人民医院"].status == "submitted"
    assert rows["元谋县人民医院"].unit_key == str(institutions.county_hospital.pk)
    services.approval_return(approval=approval, comment="缺3月", by=users.county_staff)
    assert _by_name(period_status(tree.county, *H1))["元谋县人民医院"].status == "returned"
    services.approval_submit(period_kind="half", year=2019, number=1, by=users.hospital_staff)
    services.approval_approve(approval=approval, by=users.county_staff)
    assert _by_name(period_status(tree.county, *H1))["元谋县人民医院"].status == "approved"
    # A month inside the approved half-year is not itself "the exact period or its months".
    march = period_status(tree.county, datetime.date(2019, 3, 1), datetime.date(2019, 3, 31))
    assert _by_name(march)["元谋县人民医院"].status == "not_submitted"


def test_prefecture_lists_every_county(users, tree, institutions, approve):
    approve("half", 2019, 1)
    rows = period_status(tree.prefecture, *H1)
    townships = {r.unit_name: r.status for r in rows if r.unit_kind == "township"}
    assert townships == {
        "元马镇": "approved",
        "黄瓜园镇": "not_submitted",
        "妥甸镇": "not_submitted",
    }
    institutions_seen = {r.unit_name for r in rows if r.unit_kind == "institution"}
    assert {"楚雄州人民医院", "双柏县人民医院", "元谋县人民医院"} <= institutions_seen


def test_queries_are_fixed(users, tree, institutions, approve, django_assert_num_queries):
    for month in range(1, 7):
        approve("month", 2019, month)
    with django_assert_num_queries(3):
        period_status(tree.prefecture, *H1)


def test_village_clinics_and_the_bureau_are_not_units(users, tree, institutions):
    # A village clinic's records are its township's; the bureau reviews. Neither submits.
    InstitutionFactory(
        code="B532328",
        name="元谋县卫生健康局",
        kind=InstitutionKind.HEALTH_BUREAU,
        region=tree.county,
    )
    names = set(_by_name(period_status(tree.county, *H1)))
    assert "能禹村卫生室" not in names and "元谋县卫生健康局" not in names
    assert {"元马镇", "黄瓜园镇", "元谋县人民医院", "元马镇卫生院"} <= names


def test_the_page_caches_statuses_until_a_submission_or_decision(
    users, tree, institutions, client_as, django_assert_num_queries
):
    from approvals.selectors import cached_period_status

    march = (datetime.date(2019, 3, 1), datetime.date(2019, 3, 31))
    first = cached_period_status(users.county_staff, tree.county, *march)
    assert _by_name(first)["元马镇"].status == "not_submitted"
    with django_assert_num_queries(0):
        assert cached_period_status(users.county_staff, tree.county, *march) == first

    approval = services.approval_submit(
        period_kind="month", year=2019, number=3, by=users.township_doctor
    )
    submitted = _by_name(cached_period_status(users.county_staff, tree.county, *march))
    assert submitted["元马镇"].status == "submitted"
    services.approval_approve(approval=approval, by=users.county_staff)
    approved = _by_name(cached_period_status(users.county_staff, tree.county, *march))
    assert approved["元马镇"].status == "approved"

    # A new institution is a new unit.
    InstitutionFactory(
        code="H53232809",
        name="元谋县妇幼保健院",
        kind=InstitutionKind.MATERNAL_CHILD,
        region=tree.county,
    )
    units = _by_name(cached_period_status(users.county_staff, tree.county, *march))
    assert units["元谋县妇幼保健院"].status == "not_submitted"
