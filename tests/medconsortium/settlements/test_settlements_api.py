"""The encounter API's writes and the figures endpoint: shape, validation, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthaid.idnumbers import decrypt_id_number
from healthaid.scoping import get_profile
from medconsortium.models import Encounter, Settlement
from medconsortium.settlement_services import encounter_settlements_upsert_bulk
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db

SETTLEMENT = {
    "total": "1000.00",
    "pooled": "700.00",
    "critical_illness": "100.00",
    "assistance": "100.00",
    "other": "0.00",
    "out_of_pocket": "100.00",
    "non_reimbursable": "10.00",
    "one_stop": True,
    "treat_first_pay_later": False,
    "settled_on": "2019-04-10",
}


def _payload(**overrides):
    payload = {
        "kind": "inpatient",
        "admitted_on": "2019-04-01",
        "discharged_on": "2019-04-10",
        "settlement": dict(SETTLEMENT),
    }
    payload.update(overrides)
    return payload


def test_hospital_staff_record_their_own_encounter_by_id_number(users, registry, api_as):
    member = registry.heads["village"]
    number = decrypt_id_number(member.id_number_cipher)
    api = api_as(users.hospital_staff)
    response = api.post("/api/v1/encounters/", _payload(id_number=number), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["institution"] == "H53232801"
    assert data["member_id_number"] == member.id_number_masked
    assert number not in response.content.decode()
    assert data["settlement"]["total"] == "1000.00"
    # the same encounter again changes nothing and answers 200
    again = api.post("/api/v1/encounters/", _payload(id_number=number), format="json")
    assert again.status_code == 200
    assert Encounter.objects.count() == 1


def test_hospital_staff_may_not_record_another_institution(users, registry, api_as):
    number = decrypt_id_number(registry.heads["village"].id_number_cipher)
    response = api_as(users.hospital_staff).post(
        "/api/v1/encounters/", _payload(id_number=number, institution="T532328101"), format="json"
    )
    assert response.status_code == 400
    assert "institution" in response.json()
    assert not Encounter.objects.exists()


def test_county_staff_record_by_member_and_institution(users, registry, api_as):
    member = registry.spouses["village2"]
    response = api_as(users.county_staff).post(
        "/api/v1/encounters/",
        _payload(
            member=member.pk,
            institution="T532328101",
            kind="outpatient",
            admitted_on="2019-05-02",
            discharged_on=None,
        )
        | {"discharged_on": "2019-05-02"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Encounter.objects.get().village_id == member.household.village_id


def test_member_outside_the_scope_is_refused(users, registry, api_as):
    outside = registry.heads["other_county_village"]
    response = api_as(users.county_staff).post(
        "/api/v1/encounters/",
        _payload(member=outside.pk, institution="H53232801"),
        format="json",
    )
    assert response.status_code == 400 and "member" in response.json()


def test_parts_that_do_not_add_up_are_a_400_naming_the_difference(users, registry, api_as):
    settlement = dict(SETTLEMENT, out_of_pocket="99.98")
    response = api_as(users.county_staff).post(
        "/api/v1/encounters/",
        _payload(
            member=registry.heads["village"].pk, institution="H53232801", settlement=settlement
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "0.02" in str(response.json()["settlement"])
    assert not Settlement.objects.exists()


def test_supervisor_may_not_write(users, registry, api_as):
    response = api_as(users.supervisor).post(
        "/api/v1/encounters/",
        _payload(member=registry.heads["village"].pk, institution="H53232801"),
        format="json",
    )
    assert response.status_code == 403


def _fill(registry, institutions, n):
    members = [registry.heads["village"], registry.spouses["village"], registry.heads["village2"]]
    rows = [
        row(
            members[i % 3],
            [institutions.county_hospital, institutions.township_centre][i % 2],
            admitted_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=i),
            discharged_on=datetime.date(2019, 1, 2) + datetime.timedelta(days=i),
        )
        for i in range(n)
    ]
    Settlement.objects.all().delete()
    Encounter.objects.all().delete()
    encounter_settlements_upsert_bulk(rows=rows, by=None)


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/encounters/", "/api/v1/indicators/settlements/?start=2019-01-01&end=2019-12-31"],
)
def test_api_query_counts_pinned(url, users, registry, institutions, api_as):
    api = api_as(users.county_staff)
    get_profile(users.county_staff)  # the request's user is this object: its profile is loaded
    _fill(registry, institutions, 3)
    few = _count(api, url)
    _fill(registry, institutions, 40)
    many = _count(api, url)
    assert few == many
    # the count and the page; or the sums, the institutions and their policies
    assert few == (2 if "encounters" in url else 3)


def test_figures_validation(users, api_as):
    api = api_as(users.county_staff)
    assert api.get("/api/v1/indicators/settlements/?start=2019-02-30").status_code == 400
    assert (
        api.get("/api/v1/indicators/settlements/?start=2019-06-01&end=2019-01-01").status_code
        == 400
    )
    empty = api.get("/api/v1/indicators/settlements/?start=2019-01-01&end=2019-06-30").json()
    assert empty["inpatient"]["person_times"] == 0
    assert empty["one_stop_rate"] is None
    assert empty["non_reimbursable"] == []
