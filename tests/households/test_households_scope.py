"""The scope matrix of the registry, generated: every role against every page and endpoint.

Each role sees exactly its scope: county staff all of 元谋县, the township doctor only
元马镇, the village doctor only 能禹村, the supervisor all of 楚雄州, and county staff of
双柏县 only their own county. Hospital staff see the households of their county (their
scope region is the county): a design decision, so they can find the patients they refer
and settle for; they read, never write or reveal. A record outside the scope is 404 for
every role, before any role check; writes inside the scope are 403 for all but county staff.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from healthaid.idnumbers import decrypt_id_number
from healthaid.scoping import REVEAL_ROLES
from tests.households.conftest import VISIBLE
from tests.households.exporting import run_export
from tests.households.factories import VILLAGE_KEYS

pytestmark = pytest.mark.django_db

ROLES = sorted(VISIBLE)
CASES = [(role, key) for role in ROLES for key in VILLAGE_KEYS]
WRITERS = {"county_staff", "other_county_staff"}


def case_id(case):
    return f"{case[0]}-{case[1]}"


def expected_status(role, key, *, write=False, reveal=False):
    if key not in VISIBLE[role]:
        return 404
    if write and role not in WRITERS:
        return 403
    if reveal and role.replace("other_", "") not in REVEAL_ROLES:
        return 403
    return 200


# --- lists and exports -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_household_list_shows_exactly_the_scope(role, users, registry, client_as):
    response = client_as(getattr(users, role)).get(
        reverse("households:household-list"), {"page_size": 200}
    )
    assert response.status_code == 200
    assert response.context["paginator"].count == len(VISIBLE[role])
    shown = {h.number for h in response.context["object_list"]}
    assert shown == {registry.households[key].number for key in VISIBLE[role]}


@pytest.mark.parametrize("role", ROLES)
def test_member_list_shows_exactly_the_scope(role, users, registry, client_as):
    response = client_as(getattr(users, role)).get(reverse("households:member-list"))
    assert response.status_code == 200
    shown = {m.pk for m in response.context["object_list"]}
    assert shown == {
        m.pk for key in VISIBLE[role] for m in (registry.heads[key], registry.spouses[key])
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["household", "member"])
def test_exports_hold_exactly_the_scope(role, kind, users, registry, client_as):
    response = run_export(client_as(getattr(users, role)), kind)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    numbers = [row[3] for row in rows]
    per_household = 1 if kind == "household" else 2
    expected = {registry.households[key].number for key in VISIBLE[role]}
    assert set(numbers) == expected
    assert len(numbers) == per_household * len(expected)


# --- pages of one record ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_household_detail(case, users, registry, client_as):
    role, key = case
    url = reverse("households:household-detail", args=[registry.households[key].pk])
    assert client_as(getattr(users, role)).get(url).status_code == expected_status(role, key)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_member_detail(case, users, registry, client_as):
    role, key = case
    url = reverse("households:member-detail", args=[registry.heads[key].pk])
    assert client_as(getattr(users, role)).get(url).status_code == expected_status(role, key)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize(
    "name, target",
    [
        ("household-edit", "household"),
        ("household-delete", "household"),
        ("member-create", "household"),
        ("member-edit", "member"),
        ("member-delete", "member"),
    ],
)
def test_write_pages(case, name, target, users, registry, client_as):
    role, key = case
    pk = registry.households[key].pk if target == "household" else registry.heads[key].pk
    response = client_as(getattr(users, role)).get(reverse(f"households:{name}", args=[pk]))
    assert response.status_code == expected_status(role, key, write=True)


@pytest.mark.parametrize("role", ROLES)
def test_household_create_page_is_for_county_staff(role, users, registry, client_as):
    response = client_as(getattr(users, role)).get(reverse("households:household-create"))
    assert response.status_code == (200 if role in WRITERS else 403)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_reveal_button_endpoint(case, users, registry, client_as):
    role, key = case
    member = registry.heads[key]
    response = client_as(getattr(users, role)).post(
        reverse("households:member-reveal", args=[member.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == expected_status(role, key, reveal=True)
    if response.status_code == 200:
        assert decrypt_id_number(member.id_number_cipher) in response.content.decode()


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_household_list(role, users, registry, api_as):
    response = api_as(getattr(users, role)).get("/api/v1/households/", {"page_size": 500})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(VISIBLE[role])
    assert {row["number"] for row in body["results"]} == {
        registry.households[key].number for key in VISIBLE[role]
    }


@pytest.mark.parametrize("role", ROLES)
def test_api_member_list(role, users, registry, api_as):
    response = api_as(getattr(users, role)).get("/api/v1/members/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        m.pk for key in VISIBLE[role] for m in (registry.heads[key], registry.spouses[key])
    }


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_details(case, users, registry, api_as):
    role, key = case
    api = api_as(getattr(users, role))
    expected = expected_status(role, key)
    household = api.get(f"/api/v1/households/{registry.households[key].pk}/")
    member = api.get(f"/api/v1/members/{registry.heads[key].pk}/")
    assert (household.status_code, member.status_code) == (expected, expected)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_reveal(case, users, registry, api_as):
    role, key = case
    member = registry.heads[key]
    response = api_as(getattr(users, role)).post(f"/api/v1/members/{member.pk}/reveal-id/")
    assert response.status_code == expected_status(role, key, reveal=True)
    if response.status_code == 200:
        assert response.json() == {"id_number": decrypt_id_number(member.id_number_cipher)}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_writes(case, users, registry, api_as):
    """Role first (RolePermission), then scope: non-writers get 403, writers 404 outside."""
    role, key = case
    api = api_as(getattr(users, role))
    response = api.patch(
        f"/api/v1/households/{registry.households[key].pk}/", {"address": "新地址"}, format="json"
    )
    if role not in WRITERS:
        assert response.status_code == 403
    else:
        assert response.status_code == expected_status(role, key, write=True)
