"""The scope matrix of encounters and settlements, generated: every role against every
page and endpoint. A township sees its residents' encounters wherever they were treated;
hospital staff see their own institution's; a record outside the scope is 404 for every
role, before any role check; writes inside the scope are 403 for roles that may not write.
"""

import datetime

import pytest
from django.urls import reverse

from medconsortium.models import Encounter, Settlement
from tests.medconsortium.settlements.conftest import TREATED_AT, VISIBLE

pytestmark = pytest.mark.django_db

ROLES = sorted(VISIBLE)
KEYS = sorted(TREATED_AT)
CASES = [(role, key) for role in ROLES for key in KEYS]
WRITERS = {"county_staff", "other_county_staff", "hospital_staff"}


def case_id(case):
    return f"{case[0]}-{case[1]}"


def expected(role, key, *, write=False):
    if key not in VISIBLE[role]:
        return 404
    if write and role not in WRITERS:
        return 403
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_querysets_hold_exactly_the_scope(role, users, encounters):
    user = getattr(users, role)
    expected_ids = {encounters[key].pk for key in VISIBLE[role]}
    assert set(Encounter.objects.visible_to(user).values_list("pk", flat=True)) == expected_ids
    assert (
        set(Settlement.objects.visible_to(user).values_list("encounter_id", flat=True))
        == expected_ids
    )


def test_hospital_rule_is_the_institution_method(users, encounters, institutions):
    mine = Encounter.objects.visible_to_institution(institutions.county_hospital)
    assert set(mine.values_list("pk", flat=True)) == {
        encounters["village"].pk,
        encounters["other_township_village"].pk,
    }
    assert not Encounter.objects.visible_to_institution(None).exists()


@pytest.mark.parametrize("role", ROLES)
def test_api_list_shows_exactly_the_scope(role, users, encounters, api_as):
    response = api_as(getattr(users, role)).get("/api/v1/encounters/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        encounters[key].pk for key in VISIBLE[role]
    }


@pytest.mark.parametrize("role", ROLES)
def test_page_list_shows_exactly_the_scope(role, users, encounters, client_as):
    response = client_as(getattr(users, role)).get(reverse("settlements:encounter-list"))
    assert response.status_code == 200
    assert {e.pk for e in response.context["object_list"]} == {
        encounters[key].pk for key in VISIBLE[role]
    }


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_detail(case, users, encounters, api_as):
    role, key = case
    response = api_as(getattr(users, role)).get(f"/api/v1/encounters/{encounters[key].pk}/")
    assert response.status_code == expected(role, key)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_correction(case, users, encounters, api_as):
    """Role first (RolePermission, as the registry's API), then scope: 403, then 404."""
    role, key = case
    payload = {
        "settlement": {
            "total": "1000.00",
            "pooled": "650.00",
            "critical_illness": "100.00",
            "assistance": "100.00",
            "other": "0.00",
            "out_of_pocket": "150.00",
            "non_reimbursable": "10.00",
            "one_stop": True,
            "treat_first_pay_later": True,
            "settled_on": "2019-03-08",
        }
    }
    response = api_as(getattr(users, role)).put(
        f"/api/v1/encounters/{encounters[key].pk}/", payload, format="json"
    )
    if role not in WRITERS:
        assert response.status_code == 403
    else:
        assert response.status_code == expected(role, key, write=True), response.content
    settlement = Settlement.objects.get(pk=encounters[key].pk)
    changed = settlement.out_of_pocket == 150
    assert changed is (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_member_page_block_shows_only_scoped_encounters(role, users, encounters, client_as):
    """The member's page (their own scope rule) shows only encounters the viewer may see."""
    user = getattr(users, role)
    for key in KEYS:
        member = encounters[key].member
        response = client_as(user).get(reverse("households:member-detail", args=[member.pk]))
        if response.status_code == 404:
            continue
        block = response.content.decode()
        shown = encounters[key].institution.name in block and "member-encounters" in block
        assert shown is (key in VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_figures_follow_the_scope(role, users, encounters, api_as):
    response = api_as(getattr(users, role)).get(
        "/api/v1/indicators/settlements/", {"start": "2019-01-01", "end": "2019-12-31"}
    )
    assert response.status_code == 200
    assert response.json()["inpatient"]["person_times"] == len(VISIBLE[role])


def test_figures_of_a_region_outside_the_scope_are_404(users, encounters, api_as, tree):
    response = api_as(users.township_doctor).get(
        "/api/v1/indicators/settlements/", {"region": tree.other_township.code}
    )
    assert response.status_code == 404
    response = api_as(users.county_staff).get(
        "/api/v1/indicators/settlements/", {"region": tree.other_county.code}
    )
    assert response.status_code == 404


def test_township_sees_residents_treated_elsewhere(users, encounters):
    """元马镇's doctor sees 能禹村's stay at the county hospital, not just its own centre's."""
    visible = Encounter.objects.visible_to(users.township_doctor)
    assert visible.filter(institution__code="H53232801").exists()
    assert visible.filter(discharged_on__gte=datetime.date(2019, 3, 1)).count() == 2
