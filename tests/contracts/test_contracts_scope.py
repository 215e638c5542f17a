"""The scope matrix: every role, every page and endpoint, records inside and outside scope.

Generated, not hand-written: a record outside the caller's scope is 404 on every page and
endpoint, before any role check; inside the scope, reading is 200 and writing is 200 for
the roles that record family-doctor work and 403 for the others.
"""

import datetime as dt

import pytest
from django.urls import reverse

from tests.contracts.factories import (
    ContractFactory,
    DoctorTeamFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)
from tests.healthaid.factories import InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
]
WRITERS = {"county_staff", "township_doctor", "village_doctor", "other_county_staff"}

# Which roles see a record in each place. Hospital staff see none: contracts, follow-ups and
# teams are not theirs (they see only records that involve their institution, DESIGN.md).
SEES = {
    "village": {
        "county_staff",
        "township_doctor",
        "village_doctor",
        "supervisor",
    },
    "other_township": {"county_staff", "supervisor"},
    "other_county": {"supervisor", "other_county_staff"},
}


@pytest.fixture
def world(tree, team, users):
    doctor = UserFactory(username="sb-doctor")
    other_county_team = DoctorTeamFactory(
        institution=InstitutionFactory(code="T532322101", region=tree.other_county_township),
        villages=[tree.other_county_village],
        members=[doctor],
        leader=doctor,
    )
    places = {
        "village": (tree.village, team, users.village_doctor),
        "other_township": (tree.other_township_village, team, users.village_doctor),
        "other_county": (tree.other_county_village, other_county_team, doctor),
    }
    records = {}
    for place, (village, place_team, place_doctor) in places.items():
        member = MemberFactory(household=HouseholdFactory(village=village))
        add_disease(member, "hypertension")
        contract = ContractFactory(
            member=member,
            team=place_team,
            doctor=place_doctor,
            signed_on=dt.date.today() - dt.timedelta(days=30),
            agreement="contracts/agreements/test.pdf",
        )
        follow_up = FollowUpFactory(member=member, visited_on=dt.date.today())
        records[place] = {
            "member": member.pk,
            "household": member.household_id,
            "contract": contract.pk,
            "follow_up": follow_up.pk,
            "team": place_team.pk,
        }
    return records


READ_PAGES = [
    ("contracts:member-schedule", "member"),
    ("contracts:contract-detail", "contract"),
    ("contracts:team-detail", "team"),
]
WRITE_PAGES = [
    ("contracts:followup-quick", "member", None),
    ("contracts:contract-sign", None, "member"),
    ("contracts:household-sign", "household", None),
    ("contracts:contract-renew", "contract", None),
    ("contracts:contract-terminate", "contract", None),
]
API_DETAILS = [
    ("contract-detail", "contract"),
    ("followup-detail", "follow_up"),
]


def _team_visible(role, place):
    # A team is seen through its institution's region or a village it covers. The record
    # in 黄瓜园镇 is under 元马镇's team (of 元马镇's centre, covering 能禹村), which the
    # township and village doctors of 元马镇 see.
    return role in SEES["other_county" if place == "other_county" else "village"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", list(SEES))
def test_pages_scope_matrix(world, users, client_as, role, place):
    client = client_as(getattr(users, role))
    ids = world[place]
    visible = role in SEES[place]
    for name, key in READ_PAGES:
        response = client.get(reverse(name, args=[ids[key]]))
        expected = (
            (200 if _team_visible(role, place) else 404)
            if key == "team"
            else (200 if visible else 404)
        )
        assert response.status_code == expected, (name, role, place, response.status_code)
    for name, arg, query in WRITE_PAGES:
        url = reverse(name, args=[ids[arg]]) if arg else reverse(name)
        if query:
            url += f"?{query}={ids[query]}"
        response = client.get(url)
        expected = 404 if not visible else (200 if role in WRITERS else 403)
        assert response.status_code == expected, (name, role, place, response.status_code)
    response = client.get(reverse("contracts:contract-agreement", args=[ids["contract"]]))
    # In scope the file is missing on disk in this test (404 too); out of scope it is 404
    # before the file is looked at.
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", list(SEES))
def test_api_scope_matrix(world, users, api_as, role, place):
    client = api_as(getattr(users, role))
    ids = world[place]
    visible = role in SEES[place]
    for name, key in API_DETAILS:
        response = client.get(reverse(name, args=[ids[key]]))
        assert response.status_code == (200 if visible else 404), (name, role, place)
    listed = {row["id"] for row in client.get(reverse("contract-list")).json()["results"]}
    assert (ids["contract"] in listed) == visible
    listed = {row["id"] for row in client.get(reverse("followup-list")).json()["results"]}
    assert (ids["follow_up"] in listed) == visible
    response = client.post(
        reverse("contract-terminate", args=[ids["contract"]]), {"reason": "迁出"}, format="json"
    )
    # Roles that never write are refused before the lookup; writers get 404 outside scope.
    expected = 403 if role not in WRITERS else (200 if visible else 404)
    assert response.status_code == expected, (role, place, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_the_scope(world, users, client_as, role):
    client = client_as(getattr(users, role))
    page = client.get(reverse("contracts:contract-list")).content.decode()
    follow_ups = client.get(reverse("contracts:followup-list")).content.decode()
    for place, ids in world.items():
        seen = role in SEES[place]
        assert (f"/contracts/{ids['contract']}/" in page) == seen, (role, place)
        assert (f"/contracts/members/{ids['member']}/" in follow_ups) == seen, (role, place)


@pytest.mark.parametrize(
    "role, status",
    [
        ("county_staff", 200),
        ("township_doctor", 200),
        ("village_doctor", 200),
        ("hospital_staff", 403),
        ("supervisor", 403),
    ],
)
def test_worklist_is_for_those_who_record_visits(world, users, client_as, api_as, role, status):
    assert client_as(getattr(users, role)).get(reverse("contracts:worklist")).status_code == status
    assert api_as(getattr(users, role)).get(reverse("api-worklist")).status_code == status


def test_worklist_team_outside_scope_is_404(world, users, client_as, api_as):
    other_county_team = world["other_county"]["team"]
    url = reverse("contracts:worklist") + f"?team={other_county_team}"
    assert client_as(users.county_staff).get(url).status_code == 404
    api_url = reverse("api-worklist") + f"?team={other_county_team}"
    assert api_as(users.county_staff).get(api_url).status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [
        ("county_staff", 200),
        ("supervisor", 200),
        ("township_doctor", 403),
        ("village_doctor", 403),
        ("hospital_staff", 403),
    ],
)
def test_county_view_roles(world, users, client_as, role, status):
    assert client_as(getattr(users, role)).get(reverse("reports:county-view")).status_code == status


def test_county_view_region_outside_scope_is_404(world, tree, users, client_as):
    client = client_as(users.county_staff)
    url = reverse("reports:county-view")
    assert client.get(url, {"region": tree.other_county.code}).status_code == 404
    # An ancestor of the scope is not inside it either.
    assert client.get(url, {"region": tree.prefecture.code}).status_code == 404
    assert client.get(url, {"region": tree.township.code}).status_code == 200


def test_hospital_staff_see_no_contract_even_of_their_patient(world, users, institutions, api_as):
    """A member involved with the hospital (a referral) is theirs; the member's contracts are not."""
    from django.db.models import F

    from households import involvement
    from households.models import Member

    ids = world["village"]

    def provider(institution_id):
        return Member.objects.filter(
            pk=ids["member"] if institution_id == institutions.county_hospital.pk else None
        ).values(member_id=F("pk"))

    involvement.register_member_involvement(provider)
    try:
        client = api_as(users.hospital_staff)
        assert client.get(reverse("member-detail", args=[ids["member"]])).status_code == 200
        assert client.get(reverse("contract-detail", args=[ids["contract"]])).status_code == 404
        assert client.get(reverse("followup-detail", args=[ids["follow_up"]])).status_code == 404
        assert client.get(reverse("contract-list")).json()["count"] == 0
        assert client.get(reverse("followup-list")).json()["count"] == 0
        assert client.get(reverse("doctorteam-list")).json()["count"] == 0
    finally:
        involvement.unregister_member_involvement(provider)


@pytest.mark.parametrize(
    "role, status",
    [
        ("county_staff", 200),
        ("township_doctor", 200),
        ("village_doctor", 200),
        ("supervisor", 200),
        ("hospital_staff", 403),
    ],
)
def test_contract_indicators_api_roles(world, users, api_as, role, status):
    """The contract figures follow the contract-rates page: not hospital staff's."""
    response = api_as(getattr(users, role)).get(reverse("indicators-contracts"))
    assert response.status_code == status
