"""The registry pages: what they show, the forms and their Chinese messages, the reveal button."""

import datetime

import pytest
from django.urls import reverse

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number, make_id_number
from healthaid.models import AuditLog
from households import services, timeline
from households.choices import ContactKind
from households.models import Household, Member
from tests.households.factories import (
    HouseholdContactFactory,
    HouseholdFactory,
    SpecialCardFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db


def test_household_list_is_a_table_that_stacks_into_cards_on_a_phone(users, registry, client_as):
    response = client_as(users.county_staff).get(reverse("households:household-list"))
    html = response.content.decode()
    assert 'class="table table-sm table-striped table-hover align-middle table-stack"' in html
    assert "households/lists.css" in html
    assert 'data-label="户主"' in html  # the column name shown before each value when stacked
    assert "能禹户主" in html  # the head's name
    assert response.context["paginator"].count == 3
    assert "新增建档立卡户" in html  # county staff may create
    assert "导出 Excel" in html


def test_read_only_roles_see_no_create_button(users, registry, client_as):
    html = client_as(users.township_doctor).get(reverse("households:household-list")).content
    assert "新增建档立卡户" not in html.decode()


def test_lists_paginate(users, tree, registry, client_as):
    for _ in range(25):
        HouseholdFactory(village=tree.village)
    response = client_as(users.county_staff).get(
        reverse("households:household-list"), {"page_size": 20, "page": 2}
    )
    assert response.context["paginator"].count == 28
    assert len(response.context["object_list"]) == 8
    assert response.context["page_obj"].number == 2


def test_invalid_filter_value_shows_nothing_not_an_error(users, registry, client_as):
    response = client_as(users.county_staff).get(
        reverse("households:member-list"), {"age_band": "200+"}
    )
    assert response.status_code == 200
    assert response.context["paginator"].count == 0


def test_household_detail_shows_members_contacts_cards_timeline_and_history(
    users, registry, client_as
):
    household = registry.households["village"]
    head = registry.heads["village"]
    add_disease(head, "hypertension")
    SpecialCardFactory(member=head, number="MB-CARD-1")
    HouseholdContactFactory(
        household=household, kind=ContactKind.VILLAGE_DOCTOR, phone="13987800001"
    )
    services.household_update(household=household, address="能禹村3组", by=users.county_staff)

    def provider(h, user):
        return [
            timeline.TimelineEvent(at=datetime.date(2024, 3, 1), kind="随访", title="高血压随访")
        ]

    timeline.register(provider)
    try:
        response = client_as(users.county_staff).get(
            reverse("households:household-detail", args=[household.pk])
        )
    finally:
        timeline._providers.remove(provider)
    html = response.content.decode()
    assert head.id_number_masked in html
    assert decrypt_id_number(head.id_number_cipher) not in html
    assert "高血压" in html
    assert "MB-CARD-1" in html
    assert 'href="tel:13987800001"' in html
    assert "高血压随访" in html and "2024-03-01" in html
    # Change history: the address change, with the field's Chinese name.
    address = str(Household._meta.get_field("address").verbose_name)
    assert f"{address}：— → 能禹村3组" in html
    assert "显示完整号码" in html  # county staff may reveal


def test_history_lists_member_changes_including_deleted_members(users, registry, client_as):
    household = registry.households["village"]
    spouse = registry.spouses["village"]
    services.member_update(member=spouse, phone="13900001111", by=users.county_staff)
    services.member_delete(member=spouse, by=users.county_staff)
    response = client_as(users.county_staff).get(
        reverse("households:household-detail", args=[household.pk])
    )
    history = response.context["history"]
    actions = [(row.action, row.target_type) for row in history]
    assert (AuditAction.UPDATE, "households.member") in actions
    assert (AuditAction.DELETE, "households.member") in actions


def test_no_reveal_button_for_roles_that_may_not_reveal(users, registry, client_as):
    member = registry.heads["village"]
    html = (
        client_as(users.supervisor)
        .get(reverse("households:member-detail", args=[member.pk]))
        .content.decode()
    )
    assert member.id_number_masked in html
    assert 'data-testid="reveal-id"' not in html


def test_reveal_button_posts_with_htmx_and_swaps_the_number_in_place(users, registry, client_as):
    member = registry.heads["village"]
    client = client_as(users.village_doctor)
    html = client.get(reverse("households:member-detail", args=[member.pk])).content.decode()
    url = reverse("households:member-reveal", args=[member.pk])
    assert f'hx-post="{url}"' in html
    assert f'hx-target="#id-number-{member.pk}"' in html
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    number = decrypt_id_number(member.id_number_cipher)
    assert f'id="id-number-{member.pk}"' in response.content.decode()
    assert number in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    [row] = AuditLog.objects.filter(action=AuditAction.REVEAL)
    assert row.actor == users.village_doctor and row.target_id == str(member.pk)
    assert number not in f"{row.message}{row.target_repr}{row.before}{row.after}"


def test_reveal_is_post_only(users, registry, client_as):
    url = reverse("households:member-reveal", args=[registry.heads["village"].pk])
    assert client_as(users.county_staff).get(url).status_code == 405
    assert not AuditLog.objects.filter(action=AuditAction.REVEAL).exists()


# --- forms -----------------------------------------------------------------------------------


def household_post(tree, **overrides):
    data = {
        "number": "5323281012019999",
        "village": tree.village.code,
        "address": "能禹村1组",
        "poverty_attribute": "general",
        "status": "lifted",
        "lifted_year": "2019",
        "poverty_cause": "illness",
        "illness_caused": "on",
        "contacts-village_doctor_name": "张医生",
        "contacts-village_doctor_phone": "13987800001",
        "contacts-emergency_phone": "120",
    }
    data.update(overrides)
    return data


def test_create_household_through_the_form(users, tree, client_as):
    client = client_as(users.county_staff)
    response = client.post(reverse("households:household-create"), household_post(tree))
    household = Household.objects.get(number="5323281012019999")
    assert response.status_code == 302
    assert response.url == reverse("households:household-detail", args=[household.pk])
    assert household.illness_caused and household.lifted_year == 2019
    assert sorted(household.contacts.values_list("kind", "phone")) == [
        ("emergency", "120"),
        ("village_doctor", "13987800001"),
    ]
    assert AuditLog.objects.filter(action=AuditAction.CREATE, target_id=str(household.pk)).exists()


def test_household_form_shows_the_service_errors_in_chinese(users, tree, registry, client_as):
    client = client_as(users.county_staff)
    taken = registry.households["village"].number
    response = client.post(
        reverse("households:household-create"),
        household_post(tree, number=taken, lifted_year="", **{"contacts-emergency_phone": "急救"}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"户编号：户编号 {taken} 已经登记。" in html
    assert Household.objects.filter(number=taken).count() == 1


def test_household_form_refuses_a_village_outside_the_scope(users, tree, client_as):
    client = client_as(users.county_staff)
    response = client.post(
        reverse("households:household-create"),
        household_post(tree, village=tree.other_county_village.code),
    )
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not Household.objects.filter(number="5323281012019999").exists()


def test_edit_household(users, tree, registry, client_as):
    household = registry.households["village"]
    client = client_as(users.county_staff)
    form = client.get(reverse("households:household-edit", args=[household.pk])).context["form"]
    assert form.initial["number"] == household.number
    response = client.post(
        reverse("households:household-edit", args=[household.pk]),
        household_post(tree, number=household.number, status="monitored", lifted_year="2018"),
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == "monitored"


def test_delete_household_with_members_is_refused_with_a_message(users, registry, client_as):
    household = registry.households["village"]
    response = client_as(users.county_staff).post(
        reverse("households:household-delete", args=[household.pk]), follow=True
    )
    assert Household.objects.filter(pk=household.pk).exists()
    assert "仍有 2 名成员" in response.content.decode()


def test_non_county_roles_cannot_post_writes(users, tree, registry, client_as):
    household = registry.households["village"]
    client = client_as(users.township_doctor)
    assert (
        client.post(reverse("households:household-create"), household_post(tree)).status_code == 403
    )
    assert (
        client.post(reverse("households:household-delete", args=[household.pk])).status_code == 403
    )
    assert Household.objects.filter(pk=household.pk).exists()


def member_post(**overrides):
    data = {
        "name": "李小红",
        "id_number": make_id_number("532328", datetime.date(1995, 6, 7), 22),
        "sex": "",
        "relation": "daughter",
        "ethnicity": "彝族",
        "phone": "13987800002",
        "insured": "on",
        "health_status": "chronic",
        "diseases": ["hypertension", "t2dm"],
        "card_number": "MB2020-0001",
        "card_disease": "hypertension",
        "card_issued_on": "2020-05-01",
    }
    data.update(overrides)
    return data


def test_add_member_through_the_form(users, registry, client_as):
    household = registry.households["village"]
    response = client_as(users.county_staff).post(
        reverse("households:member-create", args=[household.pk]), member_post()
    )
    member = Member.objects.get(name="李小红")
    assert response.status_code == 302
    assert response.url == reverse("households:member-detail", args=[member.pk])
    assert member.household == household
    assert member.sex == "F" and member.birth_date == datetime.date(1995, 6, 7)
    assert sorted(member.diseases.values_list("code", flat=True)) == ["hypertension", "t2dm"]
    assert member.special_cards.get().number == "MB2020-0001"


def test_member_form_shows_id_and_sex_errors_in_chinese(users, registry, client_as):
    household = registry.households["village"]
    client = client_as(users.county_staff)
    bad = make_id_number("532328", datetime.date(1995, 6, 7), 22)[:17] + "X"
    response = client.post(
        reverse("households:member-create", args=[household.pk]), member_post(id_number=bad)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "证件号码：证件号码校验位错误" in html
    response = client.post(
        reverse("households:member-create", args=[household.pk]), member_post(sex="M")
    )
    assert "性别：证件号码对应的性别为“女”，与填写的“男”不符。" in response.content.decode()
    assert not Member.objects.filter(name="李小红").exists()


def test_a_card_error_rolls_back_the_member(users, registry, client_as):
    SpecialCardFactory(member=registry.heads["village2"], number="MB-TAKEN")
    household = registry.households["village"]
    response = client_as(users.county_staff).post(
        reverse("households:member-create", args=[household.pk]),
        member_post(card_number="MB-TAKEN"),
    )
    assert response.status_code == 200
    assert "慢病卡号：慢病卡 MB-TAKEN 已经登记。" in response.content.decode()
    assert not Member.objects.filter(name="李小红").exists()


def test_edit_member_keeps_the_number_when_left_blank(users, registry, client_as):
    member = registry.heads["village"]
    cipher = member.id_number_cipher
    client = client_as(users.county_staff)
    page = client.get(reverse("households:member-edit", args=[member.pk]))
    assert member.id_number_masked in page.content.decode()
    response = client.post(
        reverse("households:member-edit", args=[member.pk]),
        member_post(
            name="能禹户主", id_number="", relation="head", card_number="", diseases=["copd"]
        ),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.id_number_cipher == cipher
    assert list(member.diseases.values_list("code", flat=True)) == ["copd"]


def test_delete_member(users, registry, client_as):
    member = registry.spouses["village"]
    response = client_as(users.county_staff).post(
        reverse("households:member-delete", args=[member.pk])
    )
    assert response.status_code == 302
    assert not Member.objects.filter(pk=member.pk).exists()


def test_dashboard_shows_the_registry_cards(users, registry, client_as):
    add_disease(registry.heads["village"], "tb")
    response = client_as(users.county_staff).get(reverse("home"))
    cards = {card.title: card.value for card in response.context["cards"]}
    assert cards["建档立卡户"] == 3
    assert cards["建档立卡人员"] == 6
    assert cards["因病致贫户"] == 2
    assert cards["重点慢病患者（每年随访4次）"] == 1


def test_contacts_are_listed_in_the_order_to_call_them(users, registry, client_as):
    household = registry.households["village"]
    for kind in (ContactKind.EMERGENCY, ContactKind.HEALTH_CENTRE, ContactKind.VILLAGE_DOCTOR):
        HouseholdContactFactory(household=household, kind=kind)
    response = client_as(users.county_staff).get(
        reverse("households:household-detail", args=[household.pk])
    )
    assert [c.kind for c in response.context["contacts"]] == [
        ContactKind.VILLAGE_DOCTOR,
        ContactKind.HEALTH_CENTRE,
        ContactKind.EMERGENCY,
    ]
