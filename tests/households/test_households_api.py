"""The registry API: writes through the services, masked reads, the audited reveal, schema."""

import datetime

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number, make_id_number
from healthaid.models import AuditLog
from households.models import Household, Member
from tests.households.factories import HouseholdFactory, add_disease

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households/"
MEMBERS = "/api/v1/members/"


def test_create_household_with_contacts(users, tree, api_as):
    response = api_as(users.county_staff).post(
        HOUSEHOLDS,
        {
            "number": "5323281012010777",
            "village": tree.village2.code,
            "status": "lifted",
            "lifted_year": 2018,
            "poverty_cause": "disability",
            "contacts": [
                {"kind": "village_doctor", "name": "张医生", "phone": "13987800001"},
                {"kind": "emergency", "phone": "120"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["village_name"] == "丙间村委会" and body["township_name"] == "元马镇"
    assert body["member_count"] == 0
    assert {c["kind"] for c in body["contacts"]} == {"village_doctor", "emergency"}
    household = Household.objects.get(number="5323281012010777")
    assert AuditLog.objects.filter(
        action=AuditAction.CREATE, target_type="households.household", target_id=str(household.pk)
    ).exists()


def test_household_validation_errors_are_chinese_and_per_field(users, tree, registry, api_as):
    response = api_as(users.county_staff).post(
        HOUSEHOLDS,
        {
            "number": registry.households["village"].number,
            "village": tree.village.code,
            "status": "lifted",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["number"][0].startswith("户编号：")
    assert body["lifted_year"] == ["脱贫年度：已脱贫户须填写脱贫年度。"]


def test_a_village_outside_the_scope_is_refused(users, tree, api_as):
    response = api_as(users.county_staff).post(
        HOUSEHOLDS,
        {"number": "X-1", "village": tree.other_county_village.code, "status": "registered"},
        format="json",
    )
    assert response.status_code == 400
    assert "village" in response.json()
    assert not Household.objects.filter(number="X-1").exists()


def test_create_member_returns_the_masked_number_only(users, registry, api_as):
    number = make_id_number("532328", datetime.date(2001, 9, 10), 35)
    response = api_as(users.county_staff).post(
        MEMBERS,
        {
            "household": registry.households["village"].pk,
            "name": "李小军",
            "id_number": number.lower(),
            "relation": "son",
            "disease_codes": ["hypertension"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "id_number" not in body
    assert number not in response.content.decode()
    assert body["id_number_masked"] == f"532328********{number[-4:]}"
    # The birth date is the 8 digits the mask hides: only the age is shown, the date comes with
    # the audited reveal.
    assert "birth_date" not in body
    assert body["sex"] == "M"
    assert body["age"] == Member.objects.get(pk=body["id"]).age
    assert [d["code"] for d in body["diseases"]] == ["hypertension"]
    member = Member.objects.get(pk=body["id"])
    assert AuditLog.objects.filter(action=AuditAction.CREATE, target_id=str(member.pk)).exists()


@pytest.mark.parametrize(
    "payload, field, text",
    [
        ({}, "id_number", "证件号码：此项为必填项。"),
        ({"id_number": "532328200109100"}, "id_number", "证件号码："),
        (
            {"id_number": make_id_number("532328", datetime.date(2001, 9, 10), 35), "sex": "F"},
            "sex",
            "性别：",
        ),
        (
            {
                "id_number": make_id_number("532328", datetime.date(2001, 9, 10), 35),
                "disease_codes": ["flu"],
            },
            "disease_codes",
            "flu",
        ),
    ],
)
def test_member_validation_errors(users, registry, api_as, payload, field, text):
    data = {"household": registry.households["village"].pk, "name": "某某", **payload}
    response = api_as(users.county_staff).post(MEMBERS, data, format="json")
    assert response.status_code == 400
    assert text in str(response.json()[field])
    assert not Member.objects.filter(name="某某").exists()


def test_a_member_cannot_be_added_to_a_household_outside_the_scope(users, registry, api_as):
    response = api_as(users.county_staff).post(
        MEMBERS,
        {
            "household": registry.households["other_county_village"].pk,
            "name": "某某",
            "id_number": make_id_number("532328", datetime.date(2001, 9, 10), 35),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "household" in response.json()


def test_patch_member_with_a_new_number(users, registry, api_as):
    member = registry.spouses["village"]
    number = make_id_number("532328", datetime.date(1977, 7, 7), 44)
    response = api_as(users.county_staff).patch(
        f"{MEMBERS}{member.pk}/", {"id_number": number, "phone": "13900000001"}, format="json"
    )
    assert response.status_code == 200, response.json()
    member.refresh_from_db()
    assert member.birth_date == datetime.date(1977, 7, 7)
    assert decrypt_id_number(member.id_number_cipher) == number
    assert member.phone == "13900000001"


def test_delete_member_and_refuse_deleting_a_household_with_members(users, registry, api_as):
    api = api_as(users.county_staff)
    household = registry.households["village"]
    refused = api.delete(f"{HOUSEHOLDS}{household.pk}/")
    assert refused.status_code == 400
    assert "2 名成员" in refused.json()["non_field_errors"][0]
    for member in household.members.all():
        assert api.delete(f"{MEMBERS}{member.pk}/").status_code == 204
    assert api.delete(f"{HOUSEHOLDS}{household.pk}/").status_code == 204
    assert not Household.objects.filter(pk=household.pk).exists()


def test_api_filters_are_the_lists_filters(users, tree, registry, api_as):
    add_disease(registry.heads["village"], "hypertension")
    add_disease(registry.heads["other_township_village"], "hypertension")
    api = api_as(users.county_staff)
    body = api.get(MEMBERS, {"disease": "hypertension", "township": tree.township.code}).json()
    assert [row["name"] for row in body["results"]] == ["能禹户主"]
    body = api.get(HOUSEHOLDS, {"q": "小雷宰户主"}).json()
    assert [row["number"] for row in body["results"]] == [
        registry.households["other_township_village"].number
    ]
    bad = api.get(HOUSEHOLDS, {"township": tree.other_county_township.code})
    assert bad.status_code == 400


def test_page_size_is_capped_at_500(users, tree, registry, api_as):
    for _ in range(3):
        HouseholdFactory(village=tree.village)
    body = api_as(users.county_staff).get(HOUSEHOLDS, {"page_size": 2}).json()
    assert body["count"] == 6 and len(body["results"]) == 2 and body["next"]
    body = api_as(users.county_staff).get(HOUSEHOLDS, {"page_size": 10_000}).json()
    assert len(body["results"]) == 6


def test_reveal_is_audited_and_throttled(users, registry, api_as):
    member = registry.heads["village"]
    api = api_as(users.township_doctor)
    url = f"{MEMBERS}{member.pk}/reveal-id/"
    first = api.post(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-store"
    for _ in range(29):
        assert api.post(url).status_code == 200
    assert api.post(url).status_code == 429  # "reveal": 30/hour
    rows = AuditLog.objects.filter(action=AuditAction.REVEAL, actor=users.township_doctor)
    assert rows.count() == 30
    number = first.json()["id_number"]
    assert not AuditLog.objects.filter(message__contains=number).exists()


def test_reveal_with_get_is_not_allowed(users, registry, api_as):
    response = api_as(users.county_staff).get(f"{MEMBERS}{registry.heads['village'].pk}/reveal-id/")
    assert response.status_code == 405


def test_schema_of_the_registry_has_no_warnings_or_errors():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("households.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
    reveal = schema["paths"]["/api/v1/members/{id}/reveal-id/"]["post"]
    assert "requestBody" not in reveal
    member = schema["components"]["schemas"]["Member"]["properties"]
    assert "id_number" not in member and "id_number_masked" in member
    assert "id_number" in schema["components"]["schemas"]["MemberRequest"]["properties"]


def test_age_band_65_plus_typed_unencoded_in_a_url(users, registry, api_as):
    everyone = [m for members in (registry.heads, registry.spouses) for m in members.values()]
    for index, member in enumerate(everyone):  # alternately 85 and 25 years old
        Member.objects.filter(pk=member.pk).update(
            birth_date=datetime.date(1940 if index % 2 else 2000, 1, 1)
        )
    api = api_as(users.county_staff)
    encoded = api.get(f"{MEMBERS}?age_band=65%2B").json()["results"]
    typed = api.get(f"{MEMBERS}?age_band=65+").json()["results"]
    expected = sorted(
        Member.objects.visible_to(users.county_staff)
        .filter(birth_date__year=1940)
        .values_list("name", flat=True)
    )
    assert expected
    assert sorted(r["name"] for r in typed) == sorted(r["name"] for r in encoded) == expected
