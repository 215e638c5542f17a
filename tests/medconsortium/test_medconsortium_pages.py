"""The consortium pages: the scope matrix (generated), role gates, the public and printable
timetable, referral commands from the pages, and fixed query counts at two data sizes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from medconsortium.choices import ReferralStatus
from medconsortium.models import ExpertSession, Referral
from medconsortium.services import week_of
from tests.households.factories import HouseholdFactory, MemberFactory
from tests.medconsortium.conftest import ROLES, VISIBLE
from tests.medconsortium.factories import (
    ExpertSessionFactory,
    ReferralFactory,
    RemoteConsultationFactory,
    TraineeExchangeFactory,
)

pytestmark = pytest.mark.django_db

REFERRAL_CASES = [(key, role) for key in VISIBLE["referrals"] for role in ROLES]
CONSORTIUM_CASES = [(key, role) for key in VISIBLE["consortia"] for role in ROLES]
PAGE_ROLES = {
    "medconsortium:worklist-hospital": {"hospital_staff"},
    "medconsortium:worklist-doctor": {"township_doctor", "village_doctor"},
    "medconsortium:summary": {"county_staff", "supervisor", "hospital_staff", "other_county_staff"},
    "medconsortium:timetable": set(ROLES),
    "medconsortium:timetable-print": set(ROLES),
    "medconsortium:referral-list": set(ROLES),
    "medconsortium:consortium-list": set(ROLES),
    "medconsortium:session-list": set(ROLES),
    "medconsortium:session-plan": {"county_staff", "hospital_staff", "other_county_staff"},
    "medconsortium:capacity": {"county_staff", "hospital_staff", "other_county_staff"},
    "medconsortium:consultation-list": set(ROLES),
    "medconsortium:exchange-list": set(ROLES),
}
SESSION_CASES = [(key, role) for key in VISIBLE["sessions"] for role in ROLES]
RECORDERS = {"county_staff", "hospital_staff", "other_county_staff"}


def upcoming(day_offset=0):
    return week_of(timezone.localdate()) + datetime.timedelta(days=7 + day_offset)


@pytest.mark.parametrize("key, role", REFERRAL_CASES, ids=[f"{k}-{r}" for k, r in REFERRAL_CASES])
def test_referral_page_is_404_outside_the_scope(key, role, users, world, client_as):
    url = reverse("medconsortium:referral-detail", args=[world.referrals[key].pk])
    response = client_as(getattr(users, role)).get(url)
    assert response.status_code == (200 if role in VISIBLE["referrals"][key] else 404)


@pytest.mark.parametrize("key, role", REFERRAL_CASES, ids=[f"{k}-{r}" for k, r in REFERRAL_CASES])
def test_referral_command_page_is_404_outside_the_scope(key, role, users, world, client_as):
    url = reverse("medconsortium:referral-command", args=[world.referrals[key].pk, "accept"])
    response = client_as(getattr(users, role)).post(url)
    if role == "supervisor":
        assert response.status_code == 403
    elif role not in VISIBLE["referrals"][key]:
        assert response.status_code == 404
    else:
        assert response.status_code in (302, 403)


@pytest.mark.parametrize(
    "key, role", CONSORTIUM_CASES, ids=[f"{k}-{r}" for k, r in CONSORTIUM_CASES]
)
def test_consortium_page_is_404_outside_the_scope(key, role, users, world, client_as):
    url = reverse("medconsortium:consortium-detail", args=[world.consortia[key].pk])
    response = client_as(getattr(users, role)).get(url)
    assert response.status_code == (200 if role in VISIBLE["consortia"][key] else 404)


@pytest.mark.parametrize("key, role", SESSION_CASES, ids=[f"{k}-{r}" for k, r in SESSION_CASES])
def test_session_record_page_is_404_outside_the_scope(key, role, users, world, client_as):
    url = reverse("medconsortium:session-record", args=[world.sessions[key].pk])
    response = client_as(getattr(users, role)).get(url)
    if role not in VISIBLE["sessions"][key]:
        assert response.status_code == 404
    else:
        assert response.status_code == (200 if role in RECORDERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_session_list_page_shows_exactly_the_scope(role, users, world, client_as):
    response = client_as(getattr(users, role)).get(reverse("medconsortium:session-list"))
    shown = {s.pk for s in response.context["object_list"]}
    assert shown == {
        world.sessions[k].pk for k, roles in VISIBLE["sessions"].items() if role in roles
    }


@pytest.mark.parametrize("role", ROLES)
def test_capacity_page_shows_exactly_the_scope(role, users, world, client_as):
    from medconsortium.models import ReservedCapacity

    ReservedCapacity.objects.update(week_start=upcoming())
    response = client_as(getattr(users, role)).get(reverse("medconsortium:capacity"))
    if role not in RECORDERS:
        assert response.status_code == 403
        return
    shown = {c.pk for c in response.context["weeks"]}
    assert shown == {
        world.capacity[k].pk for k, roles in VISIBLE["capacity"].items() if role in roles
    }


def test_hospital_plans_and_records_a_session_from_the_pages(users, institutions, client_as):
    client = client_as(users.hospital_staff)
    day = timezone.localdate()
    response = client.post(
        reverse("medconsortium:session-plan"),
        {
            "host": institutions.county_hospital.pk,
            "visiting": institutions.prefecture_hospital.pk,
            "date": day.isoformat(),
            "half_day": "am",
            "specialty": "心内科",
            "experts": "胡竹林 教授 心内科\n李炯明，主任医师",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    session = ExpertSession.objects.get(specialty="心内科", date=day)
    assert session.experts == [
        {"name": "胡竹林", "title": "教授", "specialty": "心内科"},
        {"name": "李炯明", "title": "主任医师", "specialty": ""},
    ]
    response = client.post(
        reverse("medconsortium:session-record", args=[session.pk]),
        {
            "clinic": "on",
            "expert_count": 2,
            "outpatients": 18,
            "teaching_rounds": 2,
            "case_discussions": 4,
            "surgeries_taught": 0,
            "trainings": 1,
            "people_trained": 25,
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.outpatients, session.people_trained) == ("held", 18, 25)
    # Another hospital is not theirs to host.
    response = client.post(
        reverse("medconsortium:session-plan"),
        {
            "host": institutions.other_county_hospital.pk,
            "visiting": institutions.prefecture_hospital.pk,
            "date": day.isoformat(),
            "half_day": "pm",
            "experts": "胡竹林",
        },
    )
    assert response.status_code == 200 and "host" in response.context["form"].errors


def test_hospital_offers_a_week_from_the_capacity_page(users, institutions, client_as):
    from medconsortium.models import ReservedCapacity

    client = client_as(users.hospital_staff)
    response = client.post(
        reverse("medconsortium:capacity"),
        {
            "institution": institutions.county_hospital.pk,
            "week_start": upcoming().isoformat(),
            "expert_slots": 50,
            "beds": 40,
        },
    )
    assert response.status_code == 302
    week = ReservedCapacity.objects.get(institution=institutions.county_hospital)
    assert (week.reserved_slots, week.reserved_beds) == (10, 4)
    response = client.post(
        reverse("medconsortium:capacity"),
        {
            "institution": institutions.county_hospital.pk,
            "week_start": (upcoming() + datetime.timedelta(days=2)).isoformat(),
            "expert_slots": 50,
            "beds": 40,
        },
    )
    assert "week_start" in response.context["form"].errors


@pytest.mark.parametrize("role", ROLES)
def test_referral_list_page_shows_exactly_the_scope(role, users, world, client_as):
    response = client_as(getattr(users, role)).get(reverse("medconsortium:referral-list"))
    assert response.status_code == 200
    shown = {r.pk for r in response.context["object_list"]}
    assert shown == {
        world.referrals[k].pk for k, roles in VISIBLE["referrals"].items() if role in roles
    }


@pytest.mark.parametrize("role", ROLES)
def test_consortium_list_page_shows_exactly_the_scope(role, users, world, client_as):
    response = client_as(getattr(users, role)).get(reverse("medconsortium:consortium-list"))
    shown = {c.pk for c in response.context["consortia"]}
    assert shown == {
        world.consortia[k].pk for k, roles in VISIBLE["consortia"].items() if role in roles
    }


@pytest.mark.parametrize("name", PAGE_ROLES)
@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(name, role, users, world, client_as):
    response = client_as(getattr(users, role)).get(reverse(name))
    assert response.status_code == (200 if role in PAGE_ROLES[name] else 403)


@pytest.mark.parametrize("role", ["county_staff", "township_doctor", "village_doctor"])
def test_referral_request_page_for_members_in_scope(role, users, registry, client_as):
    client = client_as(getattr(users, role))
    inside = reverse("medconsortium:referral-request", args=[registry.heads["village"].pk])
    outside = reverse(
        "medconsortium:referral-request", args=[registry.heads["other_county_village"].pk]
    )
    assert client.get(inside).status_code == 200
    assert client.get(outside).status_code == 404


@pytest.mark.parametrize("role", ["hospital_staff", "supervisor"])
def test_referral_request_page_is_not_for_hospitals_or_supervisors(
    role, users, registry, client_as
):
    url = reverse("medconsortium:referral-request", args=[registry.heads["village"].pk])
    assert client_as(getattr(users, role)).get(url).status_code in (403, 404)


# --- the timetable ---------------------------------------------------------------------------


def _timetable_sessions(institutions):
    ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=upcoming(1),
        specialty="神经内科",
        experts=[{"name": "胡竹林", "title": "主任医师", "specialty": "神经内科"}],
    )
    ExpertSessionFactory(
        host=institutions.township_centre,
        visiting=institutions.county_hospital,
        date=upcoming(9),
        half_day="pm",
        specialty="骨科",
    )
    # Beyond four weeks, cancelled, another county: not on 元谋县's timetable.
    ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=upcoming(40),
    )
    ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=upcoming(2),
        status="cancelled",
    )
    ExpertSessionFactory(
        host=institutions.other_county_hospital,
        visiting=institutions.prefecture_hospital,
        date=upcoming(2),
    )


def test_public_timetable_needs_no_login_and_shows_no_patient(client, tree, institutions, world):
    _timetable_sessions(institutions)
    response = client.get(reverse("public-timetable", args=[tree.county.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "胡竹林（主任医师）" in html and "神经内科" in html and "骨科" in html
    assert html.count('data-testid="timetable-session"') == 2
    assert "双柏县人民医院" not in html
    # Nothing about patients: no names, ID numbers or referral reasons.
    for referral in world.referrals.values():
        assert referral.member.name not in html
        assert referral.member.id_number_masked not in html
    assert "血压控制不佳" not in html
    assert "public" in response["Cache-Control"]
    assert "<script" not in html


def test_public_timetable_of_an_unknown_county_is_404(client, tree):
    assert client.get(reverse("public-timetable", args=["532399000000"])).status_code == 404
    assert client.get(reverse("public-timetable", args=[tree.township.code])).status_code == 404


def test_printable_timetable_is_an_a4_sheet(users, institutions, client_as):
    _timetable_sessions(institutions)
    response = client_as(users.township_doctor).get(reverse("medconsortium:timetable-print"))
    html = response.content.decode()
    assert "medconsortium/consortium.css" in html and "<nav" not in html
    assert html.count('data-testid="timetable-session"') == 2


def test_timetable_of_another_county_is_404_for_county_staff(users, tree, client_as):
    response = client_as(users.county_staff).get(
        reverse("medconsortium:timetable"), {"county": tree.other_county.code}
    )
    assert response.status_code == 404


# --- commands from the pages -----------------------------------------------------------------


def test_hospital_accepts_admits_and_returns_down_from_the_pages(users, world, client_as):
    referral = world.referrals["village"]
    client = client_as(users.hospital_staff)
    worklist = client.get(reverse("medconsortium:worklist-hospital"))
    assert referral in worklist.context["queues"]["incoming"]
    assert world.referrals["prefecture"] not in worklist.context["queues"]["incoming"]
    detail = client.get(reverse("medconsortium:referral-detail", args=[referral.pk]))
    assert detail.context["commands"] == {"accept", "reject"}
    for command, data in (("accept", {}), ("admit", {"inpatient": "0"})):
        client.post(reverse("medconsortium:referral-command", args=[referral.pk, command]), data)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SEEN
    client.post(
        reverse("medconsortium:referral-command", args=[referral.pk, "return_down"]),
        {"outcome": "回乡随访，每月测血压"},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RETURNED
    down = referral.returns.get()
    doctor = client_as(users.township_doctor).get(reverse("medconsortium:worklist-doctor"))
    assert down in doctor.context["queues"]["returned"]


def test_a_refused_command_shows_the_message(users, world, client_as):
    referral = world.referrals["village"]
    client = client_as(users.hospital_staff)
    response = client.post(
        reverse("medconsortium:referral-command", args=[referral.pk, "reject"]),
        {"reason": ""},
        follow=True,
    )
    assert "拒绝或取消原因：此项为必填项。" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED


def test_township_doctor_requests_a_referral_from_the_page(
    users, registry, institutions, client_as
):
    client = client_as(users.township_doctor)
    found = client.get(reverse("medconsortium:worklist-doctor"), {"q": "能禹"})
    assert registry.heads["village"] in found.context["found"]
    response = client.post(
        reverse("medconsortium:referral-request", args=[registry.heads["village"].pk]),
        {
            "to_institution": institutions.county_hospital.pk,
            "reason": "血糖控制不佳",
            "reserved": "slot",
            "appointment_date": upcoming().isoformat(),
        },
    )
    # No reserved capacity that week: the form says so on the field, nothing is written.
    assert response.status_code == 200
    assert response.context["form"].errors["reserved"]
    assert not Referral.objects.filter(reason="血糖控制不佳").exists()
    response = client.post(
        reverse("medconsortium:referral-request", args=[registry.heads["village"].pk]),
        {"to_institution": institutions.county_hospital.pk, "reason": "血糖控制不佳"},
    )
    referral = Referral.objects.get(reason="血糖控制不佳")
    assert response.status_code == 302 and referral.from_institution == institutions.township_centre


# --- query counts ----------------------------------------------------------------------------


def _grow(n, tree, institutions):
    for index in range(n):
        member = MemberFactory(household=HouseholdFactory(village=tree.village))
        ReferralFactory(
            member=member,
            from_institution=institutions.township_centre,
            to_institution=institutions.county_hospital,
            requested_on=timezone.localdate(),
        )
        ExpertSessionFactory(
            host=institutions.county_hospital,
            visiting=institutions.prefecture_hospital,
            date=upcoming(index % 20),
            specialty=f"专科{index}",
            status="planned",
        )
        RemoteConsultationFactory(
            requesting=institutions.county_hospital, reading=institutions.prefecture_hospital
        )
        TraineeExchangeFactory(
            from_institution=institutions.county_hospital,
            to_institution=institutions.prefecture_hospital,
        )


# Page → (role, queries): user and profile, then the page's own reads (the session comes
# from the cache and is not written on every request: healthaid.sessions).
PAGES = {
    "medconsortium:referral-list": ("county_staff", 4),
    "medconsortium:worklist-hospital": ("hospital_staff", 3),
    "medconsortium:worklist-doctor": ("township_doctor", 3),
    "medconsortium:timetable": ("county_staff", 5),
    "medconsortium:consortium-list": ("county_staff", 4),
    "medconsortium:summary": ("county_staff", 7),
    "medconsortium:session-list": ("county_staff", 4),
    "medconsortium:consultation-list": ("hospital_staff", 6),
    "medconsortium:exchange-list": ("hospital_staff", 6),
}


@pytest.mark.parametrize("name", PAGES)
def test_pages_run_a_fixed_number_of_queries(
    name, users, world, tree, institutions, client_as, django_assert_num_queries
):
    role, queries = PAGES[name]
    client = client_as(getattr(users, role))
    _grow(2, tree, institutions)
    client.get(reverse(name))
    with django_assert_num_queries(queries):
        assert client.get(reverse(name)).status_code == 200
    _grow(20, tree, institutions)
    with django_assert_num_queries(queries):
        response = client.get(reverse(name))
    assert response.status_code == 200


def test_summary_chart_comes_from_a_static_script_with_its_data_in_the_page(
    users, world, institutions, client_as
):
    import json
    import re

    ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=timezone.localdate(),
        status="held",
        outpatients=12,
        teaching_rounds=3,
    )
    response = client_as(users.county_staff).get(reverse("medconsortium:summary"))
    html = response.content.decode()
    # No inline script (the coming Content-Security-Policy allows our own files only).
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "vendor/echarts/echarts.min.js" in html and "medconsortium/summary.js" in html
    chart = json.loads(response.context["chart"])
    assert chart["institutions"] == ["元谋县人民医院"]
    assert chart["series"][0]["values"] == [12] and chart["series"][1]["values"] == [3]


@pytest.mark.parametrize(
    "name, kind", [("consultation-list", "consultations"), ("exchange-list", "exchanges")]
)
@pytest.mark.parametrize("role", ROLES)
def test_consultation_and_exchange_lists_show_exactly_the_scope(
    name, kind, role, users, world, client_as
):
    response = client_as(getattr(users, role)).get(reverse(f"medconsortium:{name}"))
    shown = {row.pk for row in response.context["object_list"]}
    assert shown == {
        getattr(world, kind)[k].pk for k, roles in VISIBLE[kind].items() if role in roles
    }
    assert ("form" in response.context) == (role in RECORDERS)


def test_hospital_records_a_consultation_and_an_exchange_from_the_pages(
    users, institutions, client_as
):
    from medconsortium.models import RemoteConsultation, TraineeExchange

    client = client_as(users.hospital_staff)
    response = client.post(
        reverse("medconsortium:consultation-list"),
        {
            "requesting": institutions.county_hospital.pk,
            "reading": institutions.prefecture_hospital.pk,
            "kind": "imaging",
            "date": timezone.localdate().isoformat(),
            "summary": "胸部CT未见明显异常",
        },
    )
    assert response.status_code == 302
    assert RemoteConsultation.objects.get().summary == "胸部CT未见明显异常"
    response = client.post(
        reverse("medconsortium:exchange-list"),
        {
            "person": "杨丽",
            "from_institution": institutions.county_hospital.pk,
            "to_institution": institutions.prefecture_hospital.pk,
            "department": "心内科",
            "start": "2024-03-01",
            "end": "2024-02-01",
        },
    )
    assert response.status_code == 200 and "end" in response.context["form"].errors
    client.post(
        reverse("medconsortium:exchange-list"),
        {
            "person": "杨丽",
            "from_institution": institutions.county_hospital.pk,
            "to_institution": institutions.prefecture_hospital.pk,
            "department": "心内科",
            "start": "2024-03-01",
            "end": "2024-08-31",
        },
    )
    exchange = TraineeExchange.objects.get(person="杨丽")
    client.post(
        reverse("medconsortium:exchange-status", args=[exchange.pk]), {"status": "in_progress"}
    )
    exchange.refresh_from_db()
    assert exchange.status == "in_progress"
    # Going back is refused with a message; nothing changes.
    response = client.post(
        reverse("medconsortium:exchange-status", args=[exchange.pk]),
        {"status": "planned"},
        follow=True,
    )
    exchange.refresh_from_db()
    assert exchange.status == "in_progress" and "状态：" in response.content.decode()


@pytest.mark.parametrize("role", ["township_doctor", "supervisor"])
def test_readers_cannot_record_consultations(role, users, institutions, client_as):
    response = client_as(getattr(users, role)).post(
        reverse("medconsortium:consultation-list"),
        {"requesting": institutions.township_centre.pk, "kind": "ecg"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "key, role",
    [("other_county_hospital", "county_staff"), ("township_centre", "other_county_staff")],
)
def test_exchange_status_is_404_outside_the_scope(key, role, users, world, client_as):
    url = reverse("medconsortium:exchange-status", args=[world.exchanges[key].pk])
    assert client_as(getattr(users, role)).post(url, {"status": "cancelled"}).status_code == 404


def test_referral_rows_from_values_and_from_instances_print_the_same(users, world, client_as):
    from medconsortium import selectors
    from medconsortium.models import Referral

    referrals = Referral.objects.visible_to(users.county_staff).order_by("pk")
    from_values = selectors.referral_rows(referrals)
    loaded = list(referrals.select_related("member", "from_institution", "to_institution"))
    assert from_values == selectors.referral_queue_rows({"all": loaded})["all"]
    assert len(from_values) == len(loaded) > 0

    response = client_as(users.county_staff).get(
        reverse("medconsortium:referral-list"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = response.content.decode()
    for referral, row in zip(loaded, from_values, strict=True):
        assert row["url"] == reverse("medconsortium:referral-detail", args=[referral.pk])
        assert f'href="{row["url"]}"' in html
        assert row["status"] == referral.get_status_display()
        assert row["direction"] == referral.get_direction_display()
        assert referral.member.name in html
