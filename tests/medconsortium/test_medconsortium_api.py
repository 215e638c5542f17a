"""The consortium API beyond scope: commands end to end, quota refusals as 400 with the
field, filters, and lists that run a fixed number of queries at two data sizes."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from medconsortium.models import ConsortiumMember, Referral
from medconsortium.services import week_of
from tests.households.factories import HouseholdFactory, MemberFactory
from tests.medconsortium.conftest import MONDAY
from tests.medconsortium.factories import (
    ConsortiumFactory,
    ExpertSessionFactory,
    ReferralFactory,
    RemoteConsultationFactory,
    ReservedCapacityFactory,
    TraineeExchangeFactory,
)

pytestmark = pytest.mark.django_db


def test_an_up_referral_through_the_api_and_back_down(users, registry, institutions, api_as):
    # The API requests on today's date: next week's capacity.
    monday = week_of(timezone.localdate()) + datetime.timedelta(days=7)
    ReservedCapacityFactory(
        institution=institutions.county_hospital, week_start=monday, reserved_slots=1
    )
    doctor = api_as(users.township_doctor)
    body = {
        "member": registry.heads["village"].pk,
        "to_institution": institutions.county_hospital.pk,
        "reason": "高血压控制不佳",
        "reserved": "slot",
        "appointment_date": monday.isoformat(),
    }
    created = doctor.post("/api/v1/referrals/", body, format="json")
    assert created.status_code == 201, created.json()
    referral = created.json()
    assert referral["from_institution"] == institutions.township_centre.pk
    assert referral["member_id_number"].count("*") >= 8
    # The last reserved slot is gone: the next request is refused, naming the field.
    body["member"] = registry.heads["village2"].pk
    refused = doctor.post("/api/v1/referrals/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 400 and "reserved" in refused.json()
    assert refused.json()["reserved"][0].startswith("预留号源/床位：")

    hospital = api_as(users.hospital_staff)
    url = f"/api/v1/referrals/{referral['id']}/"
    assert hospital.post(url + "accept/", {}, format="json").json()["status"] == "accepted"
    assert (
        hospital.post(url + "admit/", {"inpatient": True}, format="json").json()["status"]
        == "admitted"
    )
    down = hospital.post(url + "return-down/", {"outcome": "病情稳定，回乡随访"}, format="json")
    assert down.status_code == 200
    assert (down.json()["direction"], down.json()["parent"]) == ("down", referral["id"])
    # The township sees it to receive.
    received = api_as(users.township_doctor).post(
        f"/api/v1/referrals/{down.json()['id']}/accept/", {}, format="json"
    )
    assert received.json()["status"] == "accepted"


def test_refused_transitions_are_400_naming_the_status(users, world, api_as):
    hospital = api_as(users.hospital_staff)
    url = f"/api/v1/referrals/{world.referrals['village'].pk}/discharge/"
    response = hospital.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["status"][0].startswith("状态：")


def test_sessions_capacity_exchanges_consultations_through_the_api(
    users, institutions, registry, api_as
):
    api = api_as(users.hospital_staff)
    session = api.post(
        "/api/v1/expert-sessions/",
        {
            "host": institutions.county_hospital.pk,
            "visiting": institutions.prefecture_hospital.pk,
            "date": "2024-05-10",
            "half_day": "am",
            "experts": [{"name": "胡竹林", "title": "教授", "specialty": "神经内科"}],
        },
        format="json",
    ).json()
    recorded = api.post(
        f"/api/v1/expert-sessions/{session['id']}/record/",
        {"outpatients": 20, "teaching_rounds": 4, "case_discussions": 5},
        format="json",
    )
    assert recorded.status_code == 200
    assert (recorded.json()["status"], recorded.json()["outpatients"]) == ("held", 20)
    capacity = api.post(
        "/api/v1/reserved-capacity/",
        {
            "institution": institutions.county_hospital.pk,
            "week_start": MONDAY.isoformat(),
            "expert_slots": 50,
            "beds": 40,
        },
        format="json",
    )
    assert capacity.status_code == 201, capacity.json()
    assert (capacity.json()["reserved_slots"], capacity.json()["reserved_beds"]) == (10, 4)
    # Setting the same week again updates it.
    again = api.post(
        "/api/v1/reserved-capacity/",
        {
            "institution": institutions.county_hospital.pk,
            "week_start": MONDAY.isoformat(),
            "expert_slots": 60,
            "beds": 40,
            "slot_share": "25",
        },
        format="json",
    )
    assert again.json()["id"] == capacity.json()["id"] and again.json()["reserved_slots"] == 15
    exchange = api.post(
        "/api/v1/trainee-exchanges/",
        {
            "person": "杨医生",
            "from_institution": institutions.township_centre.pk,
            "to_institution": institutions.county_hospital.pk,
            "department": "心内科",
            "start": "2024-03-01",
            "end": "2024-08-31",
        },
        format="json",
    )
    assert exchange.status_code == 201
    moved = api.post(
        f"/api/v1/trainee-exchanges/{exchange.json()['id']}/set-status/",
        {"status": "in_progress"},
        format="json",
    )
    assert moved.json()["status"] == "in_progress"
    consultation = api.post(
        "/api/v1/remote-consultations/",
        {
            "requesting": institutions.township_centre.pk,
            "reading": institutions.county_hospital.pk,
            "kind": "ecg",
            "date": "2024-05-10",
        },
        format="json",
    )
    assert consultation.status_code == 201
    # Another hospital's capacity is not theirs to set.
    other = api.post(
        "/api/v1/reserved-capacity/",
        {
            "institution": institutions.other_county_hospital.pk,
            "week_start": MONDAY.isoformat(),
            "expert_slots": 5,
            "beds": 5,
        },
        format="json",
    )
    assert other.status_code == 403


def test_consortium_created_by_county_staff(users, institutions, api_as):
    response = api_as(users.county_staff).post(
        "/api/v1/consortia/",
        {
            "name": "元谋县人民医院医共体",
            "kind": "community",
            "lead": institutions.county_hospital.pk,
            "signed_on": "2019-01-01",
            "members": [
                {"institution": institutions.township_centre.pk, "items": ["remote_ecg"]},
                {"institution": institutions.other_township_centre.pk, "items": ["training"]},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [m["institution_name"] for m in response.json()["members"]] == [
        "元马镇卫生院",
        "黄瓜园镇卫生院",
    ] or len(response.json()["members"]) == 2


def test_filters_by_region_institution_and_date(users, world, institutions, tree, api_as):
    api = api_as(users.county_staff)
    by_region = api.get("/api/v1/referrals/", {"region": tree.township.code}).json()
    assert {r["id"] for r in by_region["results"]} == {
        world.referrals["village"].pk,
        world.referrals["village2"].pk,
    }
    by_institution = api.get(
        "/api/v1/referrals/", {"institution": institutions.prefecture_hospital.pk}
    ).json()
    assert {r["id"] for r in by_institution["results"]} == {world.referrals["prefecture"].pk}
    assert api.get("/api/v1/referrals/", {"start": "2024-06-01"}).json()["count"] == 0
    sessions = api.get(
        "/api/v1/expert-sessions/", {"institution": institutions.township_centre.pk}
    ).json()
    assert {s["id"] for s in sessions["results"]} == {world.sessions["township_centre"].pk}
    consortia = api.get("/api/v1/consortia/", {"region": tree.township.code}).json()
    assert {c["id"] for c in consortia["results"]} == {world.consortia["county"].pk}
    assert api.get("/api/v1/remote-consultations/", {"kind": "imaging"}).json()["count"] == 0


# --- query counts ----------------------------------------------------------------------------


_weeks = itertools.count(1)


def _grow(n, tree, institutions):
    """``n`` more records of every kind in 元谋县."""
    for index in range(n):
        member = MemberFactory(household=HouseholdFactory(village=tree.village))
        ReferralFactory(
            member=member,
            from_institution=institutions.township_centre,
            to_institution=institutions.county_hospital,
        )
        ExpertSessionFactory(
            host=institutions.county_hospital,
            visiting=institutions.prefecture_hospital,
            date=datetime.date(2024, 6, 1) + datetime.timedelta(days=index),
        )
        consortium = ConsortiumFactory(lead=institutions.county_hospital)
        ConsortiumMember.objects.create(
            consortium=consortium, institution=institutions.township_centre
        )
        TraineeExchangeFactory(
            from_institution=institutions.township_centre,
            to_institution=institutions.county_hospital,
        )
        RemoteConsultationFactory(
            requesting=institutions.township_centre, reading=institutions.county_hospital
        )
        ReservedCapacityFactory(
            institution=institutions.county_hospital,
            week_start=MONDAY + datetime.timedelta(days=7 * next(_weeks)),
        )


LISTS = {
    "/api/v1/referrals/": 2,
    "/api/v1/expert-sessions/": 2,
    "/api/v1/consortia/": 3,  # count, rows, members (prefetched)
    "/api/v1/trainee-exchanges/": 2,
    "/api/v1/remote-consultations/": 2,
    "/api/v1/reserved-capacity/": 2,
}


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("role", ["county_staff", "hospital_staff"])
def test_api_lists_run_a_fixed_number_of_queries(
    url, role, users, world, tree, institutions, api_as, django_assert_num_queries
):
    client = api_as(getattr(users, role))
    client.get(url)
    _grow(2, tree, institutions)
    with django_assert_num_queries(LISTS[url]):
        small = client.get(url, {"page_size": 200})
    _grow(20, tree, institutions)
    with django_assert_num_queries(LISTS[url]):
        large = client.get(url, {"page_size": 200})
    assert large.json()["count"] >= small.json()["count"] + 20
    assert Referral.objects.count() >= 25
