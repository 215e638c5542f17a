"""The pages: worklist, quick entry, signing, renewing, ending, teams, county view, rules.

Dates are relative to the real today, since the pages use it; query counts are pinned.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.choices import ContractStatus, ControlStatus
from contracts.models import Contract, FollowUp, FollowUpRule
from contracts.selectors import quarter_bounds
from tests.contracts.factories import (
    ContactFactory,
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
    disease,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
YEAR_AGO = TODAY - dt.timedelta(days=300)


def patient(village, team, doctor, codes=("hypertension",), **kw):
    member = MemberFactory(household=HouseholdFactory(village=village), **kw)
    for code in codes:
        add_disease(member, code)
    ContractFactory(member=member, team=team, doctor=doctor, signed_on=YEAR_AGO)
    ContactFactory(household=member.household, phone="13900000000")
    return member


# --- worklist ---------------------------------------------------------------------------------


def test_worklist_page_shows_due_members_with_contacts(tree, team, users, client_as):
    member = patient(tree.village, team, users.village_doctor, name="王大妈", phone="13811112222")
    response = client_as(users.village_doctor).get(reverse("contracts:worklist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王大妈" in html
    assert "tel:13811112222" in html and "tel:13900000000" in html
    assert reverse("contracts:followup-quick", args=[member.pk]) in html
    assert "能禹村委会" in html


def test_worklist_page_query_count_is_fixed(
    tree, team, users, client_as, django_assert_num_queries
):
    client = client_as(users.township_doctor)
    for _ in range(3):
        patient(tree.village, team, users.village_doctor)
    client.get(reverse("contracts:worklist"))
    # User and profile; the worklist (8) and the screening block beside it (its first
    # members not checked this half year, and its two counts: not checked, suspected to
    # confirm) are cached until a write moves the versions they read.
    with django_assert_num_queries(2) as small:
        client.get(reverse("contracts:worklist"))
    for _ in range(25):
        patient(tree.village2, team, users.village_doctor)
    # New members: the worklist and the counts are computed again, and show them.
    with django_assert_num_queries(13):
        response = client.get(reverse("contracts:worklist") + "?sort=name")
    html = response.content.decode()
    assert html.count('data-testid="worklist-entry"') == 28
    assert response.context["not_checked_count"] == 28
    assert html.count('data-testid="not-checked-member"') == 5
    with django_assert_num_queries(2):
        client.get(reverse("contracts:worklist") + "?sort=name")
    del small

    # A village renamed shows in the cached block at once (the regions' version).
    tree.village.name = "改名村委会"
    tree.village.save()
    html = client.get(reverse("contracts:worklist") + "?sort=name").content.decode()
    block = html[html.index('data-testid="screening-worklist"') :]
    assert "改名村委会" in block[: block.index("</section>")]


# --- quick entry ------------------------------------------------------------------------------


def test_quick_entry_defaults_and_fields_follow_the_diseases(tree, team, users, client_as):
    hypertensive = patient(tree.village, team, users.village_doctor)
    diabetic = patient(tree.village, team, users.village_doctor, codes=("t2dm",))
    client = client_as(users.village_doctor)
    form = client.get(reverse("contracts:followup-quick", args=[hypertensive.pk])).context["form"]
    assert form["visited_on"].value() == TODAY
    assert form["place"].value() == "home"
    assert form.show_bp and not form.show_glucose
    html = client.get(reverse("contracts:followup-quick", args=[diabetic.pk])).content.decode()
    assert 'name="fasting_glucose"' in html


def test_quick_entry_saves_and_shows_not_controlled_and_window_done(tree, team, users, client_as):
    member = patient(tree.village, team, users.village_doctor)
    client = client_as(users.village_doctor)
    response = client.post(
        reverse("contracts:followup-quick", args=[member.pk]),
        {"visited_on": TODAY.isoformat(), "place": "home", "systolic": 160, "diastolic": 100},
        follow=True,
    )
    follow_up = FollowUp.objects.get(member=member)
    assert follow_up.control_status == ControlStatus.NOT_CONTROLLED
    assert follow_up.doctor == users.village_doctor
    windows = response.context["windows"]
    current = next(w for w in windows if w.start <= TODAY <= w.end)
    assert current.status == "done"
    html = response.content.decode()
    assert "未控制" in html
    assert f'data-id="{follow_up.pk}"' in html


def test_quick_entry_reports_errors_on_the_form(tree, team, users, client_as):
    member = patient(tree.village, team, users.village_doctor)
    response = client_as(users.village_doctor).post(
        reverse("contracts:followup-quick", args=[member.pk]),
        {"visited_on": TODAY.isoformat(), "place": "home", "systolic": 90, "diastolic": 120},
    )
    assert response.status_code == 200
    assert "diastolic" in response.context["form"].errors
    assert not FollowUp.objects.exists()


# --- contracts --------------------------------------------------------------------------------


def test_contract_list_query_count_is_fixed(
    tree, team, users, client_as, django_assert_num_queries
):
    client = client_as(users.county_staff)
    for _ in range(5):
        patient(tree.village, team, users.village_doctor)
    client.get(reverse("contracts:contract-list"))
    with django_assert_num_queries(5):
        client.get(reverse("contracts:contract-list"))
    for _ in range(30):
        patient(tree.village, team, users.village_doctor)
    with django_assert_num_queries(5):
        response = client.get(reverse("contracts:contract-list"))
    assert len(response.context["object_list"]) == 35


def test_follow_up_list_query_count_is_fixed(
    tree, team, users, client_as, django_assert_num_queries
):
    client = client_as(users.county_staff)
    for _ in range(5):
        FollowUpFactory(member=patient(tree.village, team, users.village_doctor))
    client.get(reverse("contracts:followup-list"))
    with django_assert_num_queries(6):
        client.get(reverse("contracts:followup-list"))
    for _ in range(30):
        FollowUpFactory(member=patient(tree.village, team, users.village_doctor))
    with django_assert_num_queries(6):
        client.get(reverse("contracts:followup-list"))


def test_contract_list_filters(tree, team, other_team, users, client_as):
    a = patient(tree.village, team, users.village_doctor, name="甲")
    b = patient(tree.other_township_village, other_team, other_team.leader, name="乙")
    client = client_as(users.county_staff)
    rows = client.get(reverse("contracts:contract-list"), {"team": other_team.pk}).context[
        "object_list"
    ]
    assert [c.member_id for c in rows] == [b.pk]
    rows = client.get(reverse("contracts:contract-list"), {"q": a.id_number}).context["object_list"]
    assert [c.member_id for c in rows] == [a.pk]
    rows = client.get(reverse("contracts:contract-list"), {"region": tree.township.code}).context[
        "object_list"
    ]
    assert [c.member_id for c in rows] == [a.pk]


def test_expiring_list(tree, team, users, client_as):
    soon = MemberFactory(household=HouseholdFactory(village=tree.village))
    ContractFactory(
        member=soon,
        team=team,
        doctor=users.village_doctor,
        signed_on=TODAY - dt.timedelta(days=350),
    )
    later = MemberFactory(household=HouseholdFactory(village=tree.village))
    ContractFactory(member=later, team=team, doctor=users.village_doctor, signed_on=TODAY)
    rows = (
        client_as(users.village_doctor)
        .get(reverse("contracts:contract-expiring"))
        .context["object_list"]
    )
    assert [c.member_id for c in rows] == [soon.pk]


def test_sign_page_signs_with_an_agreement(tree, team, users, client_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    client = client_as(users.village_doctor)
    url = reverse("contracts:contract-sign") + f"?member={member.pk}"
    page = client.get(url)
    assert page.context["form"]["team"].value() == team.pk
    response = client.post(
        url,
        {
            "team": team.pk,
            "doctor": users.village_doctor.pk,
            "signed_on": TODAY.isoformat(),
            "package": "basic",
            "agreement": SimpleUploadedFile("协议.jpg", b"\xff\xd8\xff\xe0" + b"0" * 50),
        },
    )
    contract = Contract.objects.get(member=member)
    assert response.status_code == 302
    assert contract.agreement.name.endswith(".jpg")
    agreement = client.get(reverse("contracts:contract-agreement", args=[contract.pk]))
    assert agreement.status_code == 200
    assert agreement["Content-Type"] == "image/jpeg"


def test_sign_page_refuses_a_fake_pdf_with_a_clear_message(tree, team, users, client_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    response = client_as(users.village_doctor).post(
        reverse("contracts:contract-sign") + f"?member={member.pk}",
        {
            "team": team.pk,
            "doctor": users.village_doctor.pk,
            "signed_on": TODAY.isoformat(),
            "package": "basic",
            "agreement": SimpleUploadedFile("scan.pdf", b"GIF89a..."),
        },
    )
    assert response.status_code == 200
    assert "agreement" in response.context["form"].errors
    assert not Contract.objects.exists()


def test_household_sign_page_signs_every_member(tree, team, users, client_as):
    household = HouseholdFactory(village=tree.village)
    members = [MemberFactory(household=household) for _ in range(3)]
    response = client_as(users.township_doctor).post(
        reverse("contracts:household-sign", args=[household.pk]),
        {
            "team": team.pk,
            "doctor": users.village_doctor.pk,
            "signed_on": TODAY.isoformat(),
            "package": "basic",
        },
    )
    assert response.status_code == 302
    assert Contract.objects.filter(member__in=members, status="active").count() == 3


def test_renew_and_terminate_pages(tree, team, users, client_as):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    contract = ContractFactory(
        member=member,
        team=team,
        doctor=users.village_doctor,
        signed_on=TODAY - dt.timedelta(days=360),
    )
    client = client_as(users.village_doctor)
    detail = client.get(reverse("contracts:contract-detail", args=[contract.pk]))
    assert detail.context["renew_form"] is not None and detail.context["terminate_form"]
    response = client.post(
        reverse("contracts:contract-renew", args=[contract.pk]),
        {
            "signed_on": TODAY.isoformat(),
            "team": team.pk,
            "doctor": users.village_doctor.pk,
            "package": "personalised",
        },
    )
    renewal = Contract.objects.get(member=member, status=ContractStatus.ACTIVE)
    assert response.url == reverse("contracts:contract-detail", args=[renewal.pk])
    assert renewal.valid_from == contract.valid_to + dt.timedelta(days=1)
    response = client.post(
        reverse("contracts:contract-terminate", args=[renewal.pk]),
        {"terminated_on": renewal.valid_from.isoformat(), "reason": ""},
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    client.post(
        reverse("contracts:contract-terminate", args=[renewal.pk]),
        {"terminated_on": renewal.valid_from.isoformat(), "reason": "户籍迁出"},
    )
    renewal.refresh_from_db()
    assert renewal.status == ContractStatus.TERMINATED
    assert renewal.termination_reason == "户籍迁出"


# --- teams, county view, rules ----------------------------------------------------------------


def test_team_page_shows_members_villages_and_this_quarter(tree, team, users, client_as):
    member = patient(tree.village, team, users.village_doctor)
    FollowUpFactory(member=member, visited_on=TODAY)
    patient(tree.village2, team, users.village_doctor)
    response = client_as(users.township_doctor).get(
        reverse("contracts:team-detail", args=[team.pk])
    )
    summary = response.context["summary"]
    assert summary.contracted == 2
    assert (summary.windows_due, summary.windows_done) == (2, 1)
    assert summary.quarter == quarter_bounds(TODAY)
    html = response.content.decode()
    assert "能禹村委会" in html and "丙间村委会" in html
    assert "50.00%" in html


def test_county_view_query_count_is_fixed(
    tree, team, other_team, users, client_as, django_assert_num_queries
):
    client = client_as(users.county_staff)
    patient(tree.village, team, users.village_doctor)
    client.get(reverse("reports:county-view"))
    with django_assert_num_queries(7):
        client.get(reverse("reports:county-view"))
    for _ in range(10):
        FollowUpFactory(member=patient(tree.village2, team, users.village_doctor))
        patient(tree.other_township_village, other_team, other_team.leader)
    with django_assert_num_queries(7):
        response = client.get(reverse("reports:county-view"))
    assert [row["code"] for row in response.context["area_rows"]] == [
        tree.township.code,
        tree.other_township.code,
    ]
    assert response.context["total"].target == 21
    drill = client.get(reverse("reports:county-view"), {"region": tree.township.code})
    assert [row["code"] for row in drill.context["area_rows"]] == [
        tree.village.code,
        tree.village2.code,
    ]


def test_county_view_bad_period_falls_back_with_a_message(users, client_as, rules):
    response = client_as(users.county_staff).get(
        reverse("reports:county-view"), {"start": "2024-06-01", "end": "2024-01-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_rules_page_edits_for_county_staff_only(users, client_as, rules):
    chd = disease("chd")
    url = reverse("contracts:rule-list")
    assert client_as(users.village_doctor).post(url, {"disease": chd.pk}).status_code == 403
    client = client_as(users.county_staff)
    page = client.get(url)
    assert page.status_code == 200 and page.context["can_edit"]
    client.post(url, {"disease": chd.pk, f"d{chd.pk}-visits_per_year": "2"})
    assert FollowUpRule.objects.get(disease=chd).visits_per_year == 2
    client.post(url, {"disease": chd.pk, f"d{chd.pk}-visits_per_year": ""})
    assert not FollowUpRule.objects.filter(disease=chd).exists()
    cancer = disease("cancer_outpatient")
    client.post(url, {"disease": cancer.pk, "add-visits_per_year": "4"})
    assert FollowUpRule.objects.get(disease=cancer).visits_per_year == 4


def test_dashboard_cards_for_doctor_and_county(tree, team, users, client_as):
    patient(tree.village, team, users.village_doctor)
    doctor_home = client_as(users.village_doctor).get(reverse("home"))
    titles = [str(card.title) for card in doctor_home.context["cards"]]
    assert "应随访" in titles and "逾期未随访" in titles and "签约率" in titles
    county_home = client_as(users.county_staff).get(reverse("home"))
    rate_card = next(c for c in county_home.context["cards"] if str(c.title) == "签约率")
    assert rate_card.value == "100.00%"


def test_household_timeline_has_contracts_and_visits(tree, team, users, django_assert_num_queries):
    from households.timeline import events_for

    member = patient(tree.village, team, users.village_doctor, name="周六")
    FollowUpFactory(member=member, visited_on=TODAY, systolic=150, diastolic=95)
    from contracts.timeline import household_events
    from healthaid.scoping import get_profile

    get_profile(users.village_doctor)
    with django_assert_num_queries(2):
        events = household_events(member.household, users.village_doctor)
    assert [e.kind for e in events] == ["签约", "随访"]
    assert "血压150/95" in events[1].detail
    assert any(e.member_name == "周六" for e in events_for(member.household, users.village_doctor))
    assert household_events(member.household, users.other_county_staff) == []


def test_rule_admin_goes_through_the_audited_service(users, client, rules):
    from healthaid.models import AuditLog
    from tests.healthaid.factories import UserFactory

    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    rule = FollowUpRule.objects.get(disease__code="chd")
    response = client.post(
        reverse("admin:contracts_followuprule_change", args=[rule.pk]),
        {"disease": rule.disease_id, "visits_per_year": 2},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.visits_per_year == 2
    assert AuditLog.objects.filter(target_type="contracts.followuprule", action="update").exists()
