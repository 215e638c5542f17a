"""The REST API: writes through the services, shared filters, fixed query counts, worklist."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import Contract
from tests.contracts.factories import (
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def test_sign_through_the_api(tree, team, users, api_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    client = api_as(users.village_doctor)
    response = client.post(
        reverse("contract-list"),
        {
            "member": member.pk,
            "team": team.pk,
            "doctor": users.village_doctor.pk,
            "signed_on": "2024-03-01",
            "valid_to": (TODAY + dt.timedelta(days=10)).isoformat(),
            "agreement": SimpleUploadedFile("a.pdf", b"%PDF-1.7 test"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["valid_from"] == "2024-03-01"
    assert body["has_agreement"] is True
    assert body["member_id_number"].count("*") == 8
    again = client.post(
        reverse("contract-list"),
        {"member": member.pk, "team": team.pk, "doctor": users.village_doctor.pk},
        format="json",
    )
    assert again.status_code == 400
    assert "non_field_errors" in again.json()


def test_sign_member_outside_scope_is_invalid(tree, team, users, api_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.other_township_village))
    response = api_as(users.village_doctor).post(
        reverse("contract-list"),
        {"member": member.pk, "team": team.pk, "doctor": users.village_doctor.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "member" in response.json()
    assert not Contract.objects.exists()


def test_renew_terminate_and_household_actions(tree, team, users, api_as):
    household = HouseholdFactory(village=tree.village)
    a, b = MemberFactory(household=household), MemberFactory(household=household)
    client = api_as(users.township_doctor)
    response = client.post(
        reverse("contract-sign-household"),
        {"household": household.pk, "team": team.pk, "doctor": users.village_doctor.pk},
        format="json",
    )
    assert response.status_code == 201
    assert len(response.json()["created"]) == 2
    contract = Contract.objects.get(member=a)
    renewed = client.post(reverse("contract-renew", args=[contract.pk]), {}, format="json")
    assert renewed.status_code == 201
    assert renewed.json()["valid_from"] == (contract.valid_to + dt.timedelta(days=1)).isoformat()
    ended = client.post(
        reverse("contract-terminate", args=[renewed.json()["id"]]), {}, format="json"
    )
    assert ended.status_code == 400 and "reason" in ended.json()
    other = Contract.objects.get(member=b)
    ended = client.post(
        reverse("contract-terminate", args=[other.pk]), {"reason": "死亡"}, format="json"
    )
    assert ended.json()["status"] == "terminated"


def test_supervisor_cannot_write(tree, team, users, api_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    response = api_as(users.supervisor).post(
        reverse("followup-list"),
        {"member": member.pk, "systolic": 120, "diastolic": 80},
        format="json",
    )
    assert response.status_code == 403


def test_record_follow_up_through_the_api(tree, team, users, api_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    add_disease(member, "t2dm")
    response = api_as(users.village_doctor).post(
        reverse("followup-list"),
        {
            "member": member.pk,
            "visited_on": TODAY.isoformat(),
            "fasting_glucose": "7.4",
            "disease": "t2dm",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["control_status"] == "not_controlled"
    bad = api_as(users.village_doctor).post(
        reverse("followup-list"), {"member": member.pk, "systolic": 150}, format="json"
    )
    assert bad.status_code == 400 and "diastolic" in bad.json()


def _patients(n, tree, team, users):
    for _ in range(n):
        member = MemberFactory(household=HouseholdFactory(village=tree.village))
        add_disease(member, "hypertension")
        ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=TODAY)
        FollowUpFactory(member=member, visited_on=TODAY)


@pytest.mark.parametrize("name", ["contract-list", "followup-list"])
def test_api_lists_run_a_fixed_number_of_queries(
    tree, team, users, api_as, django_assert_num_queries, name
):
    client = api_as(users.county_staff)
    _patients(3, tree, team, users)
    client.get(reverse(name))
    with django_assert_num_queries(2):
        client.get(reverse(name))
    _patients(25, tree, team, users)
    with django_assert_num_queries(2):
        response = client.get(reverse(name), {"page_size": 100})
    assert response.json()["count"] == 28


def test_api_filters_are_the_pages_filters(tree, team, other_team, users, api_as):
    _patients(2, tree, team, users)
    member = MemberFactory(household=HouseholdFactory(village=tree.other_township_village))
    ContractFactory(member=member, team=other_team, doctor=other_team.leader, signed_on=TODAY)
    client = api_as(users.county_staff)
    assert client.get(reverse("contract-list"), {"team": other_team.pk}).json()["count"] == 1
    assert client.get(reverse("contract-list"), {"region": tree.village.code}).json()["count"] == 2
    assert (
        client.get(reverse("followup-list"), {"control_status": "controlled"}).json()["count"] == 0
    )


def test_worklist_endpoint(tree, team, users, api_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village), name="赵六")
    add_disease(member, "hypertension")
    ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=TODAY)
    body = api_as(users.village_doctor).get(reverse("api-worklist")).json()
    assert body["due"] == 1
    entry = body["villages"][0]["members"][0]
    assert entry["name"] == "赵六"
    assert entry["windows"][0]["status"] == "due"


def test_doctor_teams_endpoint(team, other_team, users, api_as):
    names = [
        t["name"]
        for t in api_as(users.village_doctor).get(reverse("doctorteam-list")).json()["results"]
    ]
    assert names == [team.name]


# --- the indicators endpoint ------------------------------------------------------------------

FIELDS = {
    "target",
    "contracted",
    "contract_rate",
    "key_group_target",
    "key_group_contracted",
    "key_group_contract_rate",
    "windows_due",
    "windows_done",
    "completion_rate",
}


def test_indicators_endpoint_fields_and_strings(tree, team, users, api_as):
    for i in range(3):
        member = MemberFactory(household=HouseholdFactory(village=tree.village))
        if i < 2:
            ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=TODAY)
    response = api_as(users.county_staff).get(
        reverse("indicators-contracts"), {"region": tree.township.code, "end": TODAY.isoformat()}
    )
    body = response.json()
    assert response.status_code == 200
    assert set(body) == FIELDS
    assert (body["target"], body["contracted"], body["contract_rate"]) == (3, 2, "66.67")
    assert body["completion_rate"] is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "2024-13-01"}, "start"),
        ({"end": "01/02/2024"}, "end"),
        ({"start": "2024-06-01", "end": "2024-01-01"}, "non_field_errors"),
        ({"region": "abc"}, "region"),
    ],
)
def test_indicators_endpoint_bad_input_is_a_clear_400(users, api_as, rules, params, field):
    response = api_as(users.county_staff).get(reverse("indicators-contracts"), params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "role, region, status",
    [
        ("county_staff", "532328101000", 200),
        ("county_staff", "532322000000", 404),
        ("county_staff", "532300000000", 404),
        ("village_doctor", "532328101202", 404),
        ("village_doctor", "532328101201", 200),
        ("supervisor", "532322000000", 200),
        ("other_county_staff", "532328000000", 404),
        ("hospital_staff", "532328000000", 403),  # contract figures are not theirs
    ],
)
def test_indicators_endpoint_scope(tree, users, api_as, rules, role, region, status):
    response = api_as(getattr(users, role)).get(reverse("indicators-contracts"), {"region": region})
    assert response.status_code == status


def test_indicators_endpoint_needs_login(client, rules):
    # Session authentication comes first and sends no challenge: DRF answers 403, not 401.
    assert client.get(reverse("indicators-contracts")).status_code == 403


def test_sign_with_another_countys_user_answers_as_an_unknown_id(tree, team, users, api_as):
    """A user id outside the caller's teams must not answer with that user's name."""
    users.other_county_staff.first_name = "赵外县"
    users.other_county_staff.save()
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    client = api_as(users.village_doctor)

    def sign(doctor_id):
        response = client.post(
            reverse("contract-list"),
            {"member": member.pk, "team": team.pk, "doctor": doctor_id},
            format="json",
        )
        return response.status_code, response.content.decode().replace(str(doctor_id), "ID")

    outsider = sign(users.other_county_staff.pk)
    unknown = sign(987654)
    assert outsider == unknown
    assert outsider[0] == 400
    assert "赵外县" not in outsider[1]
    assert "county2" not in outsider[1]
