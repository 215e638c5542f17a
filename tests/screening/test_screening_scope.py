"""The scope matrix of the screening app: every role, every page and endpoint, records inside
and outside scope.

Generated: a record outside the caller's scope is 404 on every page and endpoint before any
role check; inside, reading is 200 and the recording pages are 200 for the roles that record
family-doctor work and 403 for the others. Hospital staff keep no screening work: every
detail is 404 and every list empty for them.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from screening import services
from screening.models import Prescription, Suspicion
from tests.healthaid.factories import InstitutionFactory, UserFactory
from tests.screening.factories import (
    DoctorTeamFactory,
    FreeClinicFactory,
    HouseholdFactory,
    MemberFactory,
    make_campaign,
)

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
SEES = {
    "village": {"county_staff", "township_doctor", "village_doctor", "supervisor"},
    "other_township": {"county_staff", "supervisor"},
    "other_county": {"supervisor", "other_county_staff"},
}
# Campaigns belong to a county: everyone in it (and above) sees them, except hospital staff.
SEES_CAMPAIGN = {
    "village": {"county_staff", "township_doctor", "village_doctor", "supervisor"},
    "other_township": {"county_staff", "township_doctor", "village_doctor", "supervisor"},
    "other_county": {"supervisor", "other_county_staff"},
}
TODAY = dt.date.today()


@pytest.fixture
def world(tree, team, users, catalogue):
    doctor = UserFactory(username="sb-doctor")
    DoctorTeamFactory(
        institution=InstitutionFactory(code="T532322101", region=tree.other_county_township),
        villages=[tree.other_county_village],
        members=[doctor],
        leader=doctor,
    )
    campaigns = {
        "532328": make_campaign(tree.county, start=TODAY - dt.timedelta(days=5)),
        "532322": make_campaign(tree.other_county, start=TODAY - dt.timedelta(days=5)),
    }
    places = {
        "village": tree.village,
        "other_township": tree.other_township_village,
        "other_county": tree.other_county_village,
    }
    rx = Prescription.objects.get(disease__code="hypertension")
    records = {}
    for place, village in places.items():
        member = MemberFactory(household=HouseholdFactory(village=village, illness_caused=True))
        screening = services.screening_record(
            member=member, systolic=150, diastolic=95, screened_on=TODAY, by=users.county_staff
        )
        check_up = services.check_up_record(member=member, checked_on=TODAY, by=users.county_staff)
        issued = services.prescription_issue(member=member, prescription=rx, by=users.county_staff)
        clinic = FreeClinicFactory(village=village, held_on=TODAY, drug_value=Decimal("1.00"))
        campaign = campaigns[village.code[:6]]
        team = services.work_team_save(
            campaign=campaign,
            name=f"{place}工作队",
            unit_name="县人民医院",
            villages=[village],
            by=users.county_staff,
        )
        records[place] = {
            "member": member.pk,
            "household": member.household_id,
            "village": village.code,
            "screening": screening.pk,
            "suspicion": Suspicion.objects.get(screening=screening).pk,
            "check_up": check_up.pk,
            "issued": issued.pk,
            "clinic": clinic.pk,
            "campaign": campaign.pk,
            "team": team.pk,
        }
    return records


READ_PAGES = [
    ("screening:prescription-pdf", lambda r: ["member", r["member"]], SEES),
    ("screening:prescription-pdf", lambda r: ["household", r["household"]], SEES),
    ("screening:campaign-detail", lambda r: [r["campaign"]], SEES_CAMPAIGN),
    ("screening:campaign-households", lambda r: [r["campaign"]], SEES_CAMPAIGN),
    ("screening:campaign-overdue", lambda r: [r["campaign"], r["team"]], SEES_CAMPAIGN),
]
WRITE_PAGES = [
    ("screening:screening-quick", "member"),
    ("screening:checkup-quick", "member"),
    ("screening:prescription-issue", "member"),
]
API_DETAILS = [
    ("screening-detail", "screening", SEES),
    ("checkup-detail", "check_up", SEES),
    ("issuedprescription-detail", "issued", SEES),
    ("freeclinic-detail", "clinic", SEES),
    ("campaign-detail", "campaign", SEES_CAMPAIGN),
    ("campaign-households", "campaign", SEES_CAMPAIGN),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", list(SEES))
def test_pages_scope_matrix(world, users, client_as, role, place):
    client = client_as(getattr(users, role))
    ids = world[place]
    for name, args, sees in READ_PAGES:
        response = client.get(reverse(name, args=args(ids)))
        expected = 200 if role in sees[place] else 404
        assert response.status_code == expected, (name, role, place, response.status_code)
    for name, key in WRITE_PAGES:
        response = client.get(reverse(name, args=[ids[key]]))
        expected = 404 if role not in SEES[place] else 200 if role in WRITERS else 403
        assert response.status_code == expected, (name, role, place, response.status_code)
    # The campaign's set-up pages: county staff of its county; 404 outside the scope.
    for name, args in (
        ("screening:campaign-edit", [ids["campaign"]]),
        ("screening:workteam-edit", [ids["campaign"], ids["team"]]),
        ("screening:campaignitem-new", [ids["campaign"]]),
    ):
        response = client.get(reverse(name, args=args))
        if role not in SEES_CAMPAIGN[place]:
            expected = 404
        else:
            expected = 200 if role in ("county_staff", "other_county_staff") else 403
        assert response.status_code == expected, (name, role, place, response.status_code)
    # The village's prescriptions and a unit's summary are jobs, started by a POST.
    response = client.post(reverse("screening:village-prescriptions", args=[ids["village"]]))
    assert response.status_code == (302 if role in SEES[place] else 404), (role, place)
    response = client.post(
        reverse("screening:campaign-summary", args=[ids["campaign"]]), {"unit": "县人民医院"}
    )
    assert response.status_code == (302 if role in SEES_CAMPAIGN[place] else 404), (role, place)
    response = client.post(
        reverse("screening:suspicion-action", args=[ids["suspicion"], "confirm"])
    )
    if role not in SEES[place]:
        assert response.status_code == 404
    else:
        assert response.status_code == (302 if role in WRITERS else 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", list(SEES))
def test_api_scope_matrix(world, users, api_as, role, place):
    client = api_as(getattr(users, role))
    ids = world[place]
    for name, key, sees in API_DETAILS:
        response = client.get(reverse(name, args=[ids[key]]))
        expected = 200 if role in sees[place] else 404
        assert response.status_code == expected, (name, role, place)
    response = client.post(
        reverse("campaign-mark-item", args=[ids["campaign"]]),
        {"household": ids["household"], "item": 0},
        format="json",
    )
    if role not in SEES_CAMPAIGN[place]:
        assert response.status_code == 404
    elif role not in WRITERS:
        assert response.status_code == 403
    else:
        # Seen campaign; the household is outside the scope of a doctor of 元马镇 in 黄瓜园镇.
        assert response.status_code == 400


LISTS = [
    ("screening-list", "screening"),
    ("checkup-list", "check_up"),
    ("issuedprescription-list", "issued"),
    ("freeclinic-list", "clinic"),
]


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_hold_the_scope(world, users, api_as, role):
    client = api_as(getattr(users, role))
    for name, key in LISTS:
        body = client.get(reverse(name)).json()
        ids = {row["id"] for row in body["results"]}
        expected = {world[place][key] for place in SEES if role in SEES[place]}
        assert ids == expected, (name, role)


@pytest.mark.parametrize("role", ROLES)
def test_pages_lists_hold_the_scope(world, users, client_as, role):
    client = client_as(getattr(users, role))
    for name in (
        "screening:screening-list",
        "screening:suspected",
        "screening:not-checked",
        "screening:checkup-coverage",
        "screening:prescription-list",
        "screening:campaign-list",
        "screening:freeclinic-list",
        "screening:freeclinic-totals",
        "screening:member-pick",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, (name, role)
    response = client.get(reverse("screening:screening-list"))
    shown = {s.pk for s in response.context["object_list"]}
    assert shown == {world[p]["screening"] for p in SEES if role in SEES[p]}
    response = client.get(reverse("screening:suspected"))
    shown = {s.pk for s in response.context["page_obj"]}
    assert shown == {world[p]["suspicion"] for p in SEES if role in SEES[p]}


@pytest.mark.parametrize("role", ROLES)
def test_indicators_hold_the_scope(world, users, api_as, role):
    client = api_as(getattr(users, role))
    body = client.get(reverse("indicators-screening")).json()
    assert body["screened"] == sum(1 for p in SEES if role in SEES[p])
    assert body["checkup_target"] == sum(1 for p in SEES if role in SEES[p])
    body = client.get(reverse("indicators-free-clinics")).json()
    assert body["sessions"] == sum(1 for p in SEES if role in SEES[p])
    response = client.get(
        reverse("indicators-five-ones"), {"campaign": world["village"]["campaign"]}
    )
    assert response.status_code == (200 if role in SEES_CAMPAIGN["village"] else 404)


def test_batch_page_refuses_a_village_outside_scope(world, users, client_as, tree):
    client = client_as(users.village_doctor)
    assert (
        client.get(reverse("screening:screening-batch"), {"village": tree.village.code}).status_code
        == 200
    )
    response = client.get(reverse("screening:screening-batch"), {"village": tree.village2.code})
    assert response.status_code == 404
    client = client_as(users.supervisor)
    assert client.get(reverse("screening:screening-batch")).status_code == 403


def test_catalogue_edit_is_for_county_staff(world, users, client_as):
    rx = Prescription.objects.first()
    for role, expected in (
        ("county_staff", 200),
        ("township_doctor", 403),
        ("supervisor", 403),
        ("hospital_staff", 403),
    ):
        client = client_as(getattr(users, role))
        assert (
            client.get(reverse("screening:prescription-edit", args=[rx.pk])).status_code == expected
        )
