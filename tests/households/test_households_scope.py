"""The scope matrix of the registry, generated: every role against every page and endpoint.

Each role sees exactly its scope: county staff all of 元谋县, the township doctor only
元马镇, the village doctor only 能禹村, the supervisor all of 楚雄州, and county staff of
双柏县 only their own county. Hospital staff see only the members their institution's
records involve (``INVOLVED``: a head in 能禹村, a spouse in 双柏县) and those members'
households, never the other members; they read, never write or reveal. A record outside the
scope is 404 for every role, before any role check; writes inside the scope are 403 for all
but county staff.
"""

import io

import openpyxl
import pytest
from django.urls import reverse

from healthaid.idnumbers import decrypt_id_number
from healthaid.scoping import REVEAL_ROLES
from tests.households.conftest import INVOLVED, VISIBLE, visible_members
from tests.households.exporting import run_export
from tests.households.factories import VILLAGE_KEYS

pytestmark = pytest.mark.django_db

ROLES = sorted(VISIBLE)
CASES = [(role, key) for role in ROLES for key in VILLAGE_KEYS]
WRITERS = {"county_staff", "other_county_staff"}


def case_id(case):
    return f"{case[0]}-{case[1]}"


def sees_member(role, key, kind="head") -> bool:
    if role == "hospital_staff":
        return (key, kind) in INVOLVED
    return key in VISIBLE[role]


def expected_status(role, key, *, write=False, reveal=False, member=False):
    """``member``: the record is the household's head, not the household."""
    if not (sees_member(role, key) if member else key in VISIBLE[role]):
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
    assert shown == visible_members(role, registry)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["household", "member"])
def test_exports_hold_exactly_the_scope(role, kind, users, registry, client_as):
    response = run_export(client_as(getattr(users, role)), kind)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    numbers = [row[3] for row in rows]
    expected = {registry.households[key].number for key in VISIBLE[role]}
    assert set(numbers) == expected
    rows_expected = len(expected) if kind == "household" else len(visible_members(role, registry))
    assert len(numbers) == rows_expected


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
    response = client_as(getattr(users, role)).get(url)
    assert response.status_code == expected_status(role, key, member=True)


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
    assert response.status_code == expected_status(role, key, write=True, member=target == "member")


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
    assert response.status_code == expected_status(role, key, reveal=True, member=True)
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
    assert {row["id"] for row in response.json()["results"]} == visible_members(role, registry)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_details(case, users, registry, api_as):
    role, key = case
    api = api_as(getattr(users, role))
    household = api.get(f"/api/v1/households/{registry.households[key].pk}/")
    member = api.get(f"/api/v1/members/{registry.heads[key].pk}/")
    assert (household.status_code, member.status_code) == (
        expected_status(role, key),
        expected_status(role, key, member=True),
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_reveal(case, users, registry, api_as):
    role, key = case
    member = registry.heads[key]
    response = api_as(getattr(users, role)).post(f"/api/v1/members/{member.pk}/reveal-id/")
    assert response.status_code == expected_status(role, key, reveal=True, member=True)
    if response.status_code == 200:
        assert response.json() == {
            "id_number": decrypt_id_number(member.id_number_cipher),
            "birth_date": member.birth_date.isoformat(),
        }


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


# --- hospital staff: the involvement rule ----------------------------------------------------


def test_hospital_staff_see_only_the_involved_members_of_a_household(users, registry, client_as):
    """The household page and list show the involved member only: no other names."""
    client = client_as(users.hospital_staff)
    household = registry.households["village"]
    page = client.get(reverse("households:household-detail", args=[household.pk]))
    assert [m.pk for m in page.context["members"]] == [registry.heads["village"].pk]
    assert registry.spouses["village"].name not in page.content.decode()
    listed = client.get(reverse("households:household-list"), {"page_size": 200})
    rows = {h.number: h for h in listed.context["object_list"]}
    # 大庄村's involved member is the spouse: the head's name is not shown, the count is 1.
    other = rows[registry.households["other_county_village"].number]
    assert (other.head_name, other.member_count) == (None, 1)
    api = client.get("/api/v1/households/", {"page_size": 500}).json()["results"]
    assert registry.heads["other_county_village"].name not in str(api)
    export = run_export(client, "household")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    other_row = rows[registry.households["other_county_village"].number]
    assert registry.heads["other_county_village"].name not in other_row
    assert rows[household.number][4] == registry.heads["village"].name


def test_hospital_staff_without_any_involvement_see_nothing(users, tree, catalogue, client_as):
    from tests.households.factories import build_registry

    build_registry(tree)
    client = client_as(users.hospital_staff)
    assert client.get(reverse("households:household-list")).context["paginator"].count == 0
    assert client.get("/api/v1/members/").json()["count"] == 0


def test_another_institutions_records_do_not_count(users, registry, institutions, involve, api_as):
    involve(institutions.prefecture_hospital, registry.spouses["village2"])
    shown = {
        row["id"] for row in api_as(users.hospital_staff).get("/api/v1/members/").json()["results"]
    }
    assert registry.spouses["village2"].pk not in shown
    assert shown == visible_members("hospital_staff", registry)
