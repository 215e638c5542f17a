"""Hospital staff's exact look-up by full ID number: exact, scoped, audited, throttled."""

import pytest
from django.urls import reverse

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number
from healthaid.models import AuditLog

pytestmark = pytest.mark.django_db

PAGE = "households:member-lookup"
API = "/api/v1/members/lookup/"


@pytest.fixture
def number(registry):
    return decrypt_id_number(registry.heads["village2"].id_number_cipher)


def test_page_finds_the_exact_number_and_audits_it(users, registry, number, client_as):
    member = registry.heads["village2"]  # not involved with the hospital
    client = client_as(users.hospital_staff)
    assert client.get(reverse(PAGE)).status_code == 200
    # Spaces and a lower-case x are how numbers are typed; still the whole number.
    typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    response = client.post(reverse(PAGE), {"id_number": typed})
    assert response.status_code == 200
    assert response.context["member"] == member
    body = response.content.decode()
    assert member.name in body and member.id_number_masked in body
    assert number not in body  # neither the number typed nor the birth date comes back
    assert number[6:14] not in body
    [row] = AuditLog.objects.filter(action=AuditAction.LOOKUP)
    assert (row.actor, row.target_id) == (users.hospital_staff, str(member.pk))
    # Shown once: the member is not in their lists or pages afterwards.
    detail = client.get(reverse("households:member-detail", args=[member.pk]))
    assert detail.status_code == 404


def test_no_partial_match_and_misses_are_audited(users, registry, number, client_as):
    client = client_as(users.hospital_staff)
    partial = client.post(reverse(PAGE), {"id_number": number[:17]})
    assert partial.context.get("member") is None
    assert "证件号码" in partial.content.decode()  # why the number is not a number, in Chinese
    name = client.post(reverse(PAGE), {"id_number": registry.heads["village2"].name})
    assert name.context.get("member") is None
    # A valid number nobody has: "not found", audited with its masked form only.
    import datetime

    from healthaid.idnumbers import make_id_number

    stranger = make_id_number("532328", datetime.date(1970, 1, 1), 999)
    miss = client.post(reverse(PAGE), {"id_number": stranger})
    assert miss.context["searched"] and miss.context["member"] is None
    assert "未找到" in miss.content.decode() or "没有" in miss.content.decode()
    [row] = AuditLog.objects.filter(action=AuditAction.LOOKUP)
    assert row.target_id == "" and row.target_repr == f"{stranger[:6]}********{stranger[14:]}"
    assert stranger not in str(row.message) + row.target_repr


def test_outside_the_scope_is_not_found(users, registry, client_as):
    other = registry.heads["other_county_village"]
    response = client_as(users.hospital_staff).post(
        reverse(PAGE), {"id_number": decrypt_id_number(other.id_number_cipher)}
    )
    assert response.context["member"] is None


@pytest.mark.parametrize(
    "role", ["county_staff", "township_doctor", "village_doctor", "supervisor"]
)
def test_other_roles_do_not_look_up(role, users, registry, number, client_as, api_as):
    assert client_as(getattr(users, role)).get(reverse(PAGE)).status_code == 403
    assert api_as(getattr(users, role)).post(API, {"id_number": number}).status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.LOOKUP).exists()


def test_api(users, registry, number, api_as):
    api = api_as(users.hospital_staff)
    found = api.post(API, {"id_number": number}, format="json")
    assert found.status_code == 200
    assert found.json()["id"] == registry.heads["village2"].pk
    assert "birth_date" not in found.json()
    assert found["Cache-Control"] == "no-store"
    assert api.post(API, {"id_number": number[:-1]}, format="json").status_code == 400
    import datetime

    from healthaid.idnumbers import make_id_number

    stranger = make_id_number("532328", datetime.date(1949, 12, 31), 2)
    missing = api.post(API, {"id_number": stranger}, format="json")
    assert missing.status_code == 404
    assert AuditLog.objects.filter(action=AuditAction.LOOKUP).count() == 2


def test_throttled_page_and_api_together(users, registry, number, client_as, settings):
    settings.ID_LOOKUP_RATE = "3/hour"
    client = client_as(users.hospital_staff)
    for _ in range(2):
        assert client.post(reverse(PAGE), {"id_number": number}).status_code == 200
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(users.hospital_staff)
    assert api.post(API, {"id_number": number}, format="json").status_code == 200
    assert api.post(API, {"id_number": number}, format="json").status_code == 429
    blocked = client.post(reverse(PAGE), {"id_number": number})
    assert blocked.status_code == 429
    assert "频繁" in blocked.content.decode()
    assert AuditLog.objects.filter(action=AuditAction.LOOKUP).count() == 3


def test_hospital_dashboard_and_navigation_lead_somewhere_true(users, registry, client_as):
    client = client_as(users.hospital_staff)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    cards = {card.title: card for card in home.context["cards"]}
    involved = cards["与本机构业务相关的建档立卡人员"]
    assert involved.value == 2
    for card in home.context["cards"]:
        if card.url:
            assert client.get(card.url).status_code == 200, card.url
    for item in home.context["nav_items"]:
        assert client.get(item["url"]).status_code == 200, item["url"]
