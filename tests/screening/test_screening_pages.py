"""The screening pages: quick entry, a screening day, the suspected list and its confirm,
check-ups on the worklist, the catalogue, printing, marks; and the PDF's content."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from healthaid.models import Job
from households.models import MemberDisease
from screening import services
from screening.models import CheckUp, Prescription, Screening, Suspicion
from screening.tasks import export_task
from tests.screening.factories import (
    ContactFactory,
    HouseholdFactory,
    MemberFactory,
    make_campaign,
)
from tests.screening.pdftext import page_texts

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def member(tree, catalogue):
    return MemberFactory(
        name="李桂兰", household=HouseholdFactory(village=tree.village, illness_caused=True)
    )


def test_quick_entry_records_and_suspects(member, users, client_as):
    client = client_as(users.village_doctor)
    url = reverse("screening:screening-quick", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'inputmode="numeric"' in page.content
    response = client.post(
        url,
        {
            "screened_on": TODAY.isoformat(),
            "systolic": "152",
            "diastolic": "96",
            "next": reverse("screening:suspected"),
        },
    )
    assert response.status_code == 302 and response.url == reverse("screening:suspected")
    screening = Screening.objects.get(member=member)
    assert screening.abnormal_items == ["systolic", "diastolic"]
    assert screening.doctor == users.village_doctor
    suspected = client.get(reverse("screening:suspected"))
    assert "李桂兰" in suspected.content.decode()


def test_quick_entry_shows_the_field_error(member, users, client_as):
    response = client_as(users.village_doctor).post(
        reverse("screening:screening-quick", args=[member.pk]),
        {"screened_on": TODAY.isoformat(), "systolic": "152"},
    )
    assert response.status_code == 200
    assert "舒张压" in response.content.decode()
    assert not Screening.objects.exists()


def test_screening_day_saves_all_rows(tree, users, client_as, catalogue):
    members = [MemberFactory(household=HouseholdFactory(village=tree.village)) for _ in range(3)]
    client = client_as(users.village_doctor)
    page = client.get(reverse("screening:screening-batch"), {"village": tree.village.code})
    assert len(page.context["formset"].forms) == 3
    data = {
        "village": tree.village.code,
        "screened_on": TODAY.isoformat(),
        "place": "能禹村卫生室",
        "row-TOTAL_FORMS": "3",
        "row-INITIAL_FORMS": "3",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        data[f"row-{i}-member"] = str(m.pk)
    data.update({"row-0-systolic": "120", "row-0-diastolic": "80", "row-2-fasting_glucose": "7.4"})
    response = client.post(reverse("screening:screening-batch"), data)
    assert response.status_code == 302
    assert Screening.objects.count() == 2
    assert Suspicion.objects.get().disease.code == "t2dm"
    # A member of another village slipped into the form is refused.
    data["row-1-member"] = str(MemberFactory(household=HouseholdFactory(village=tree.village2)).pk)
    data["row-1-systolic"], data["row-1-diastolic"] = "130", "85"
    assert client.post(reverse("screening:screening-batch"), data).status_code == 404


def test_confirm_from_the_list(member, users, client_as):
    services.screening_record(
        member=member, screened_on=TODAY, systolic=150, diastolic=95, by=users.village_doctor
    )
    suspicion = Suspicion.objects.get()
    client = client_as(users.township_doctor)
    response = client.post(reverse("screening:suspicion-action", args=[suspicion.pk, "confirm"]))
    assert response.status_code == 302
    assert MemberDisease.objects.filter(member=member, disease__code="hypertension").exists()
    assert client.get(reverse("screening:suspected")).context["page_obj"].paginator.count == 0


def test_worklist_shows_members_not_checked(member, users, client_as, team):
    checked = MemberFactory(household=member.household)
    services.check_up_record(member=checked, checked_on=TODAY, by=users.village_doctor)
    response = client_as(users.village_doctor).get(reverse("contracts:worklist"))
    body = response.content.decode()
    assert 'data-testid="screening-worklist"' in body
    assert response.context["not_checked_count"] == 1
    assert "李桂兰" in body
    response = client_as(users.village_doctor).get(reverse("screening:not-checked"))
    assert [m.pk for m in response.context["page_obj"]] == [member.pk]


def test_worklist_counts_follow_check_ups_and_suspicions(member, users, client_as, team):
    """The badges' counts are cached; recording a check-up or a screening that raises a
    suspicion, and confirming it, moves them on the next page."""
    client = client_as(users.village_doctor)
    counts = lambda: (  # noqa: E731
        (response := client.get(reverse("contracts:worklist"))).context["not_checked_count"],
        response.context["suspected_count"],
    )
    assert counts() == (1, 0)
    assert counts() == (1, 0)  # from the cache
    services.screening_record(
        member=member, screened_on=TODAY, systolic=150, diastolic=95, by=users.village_doctor
    )
    assert counts() == (1, 1)
    services.check_up_record(member=member, checked_on=TODAY, by=users.village_doctor)
    assert counts() == (0, 1)
    services.suspicion_rule_out(suspicion=Suspicion.objects.get(), by=users.township_doctor)
    assert counts() == (0, 0)


def test_check_up_page_once_per_half_year(member, users, client_as):
    client = client_as(users.village_doctor)
    url = reverse("screening:checkup-quick", args=[member.pk])
    assert (
        client.post(
            url, {"checked_on": TODAY.isoformat(), "systolic": "128", "diastolic": "82"}
        ).status_code
        == 302
    )
    again = client.post(url, {"checked_on": TODAY.isoformat()})
    assert again.status_code == 200 and "体检" in again.content.decode()
    assert CheckUp.objects.count() == 1


def test_catalogue_edit(users, client_as, catalogue):
    rx = Prescription.objects.get(disease__code="copd")
    client = client_as(users.county_staff)
    data = {field: getattr(rx, field) for field in services.PRESCRIPTION_TEXT_FIELDS}
    data["lifestyle"] = "戒烟，室内通风。"
    data["active"] = "on"
    response = client.post(reverse("screening:prescription-edit", args=[rx.pk]), data)
    assert response.status_code == 302
    rx.refresh_from_db()
    assert rx.lifestyle == "戒烟，室内通风。"


def test_prescription_pdf_masks_the_id(member, users, client_as, team):
    ContactFactory(household=member.household, name="张秀英", phone="13987811111")
    spouse = MemberFactory(name="王建华", household=member.household)
    for person, code in ((member, "hypertension"), (spouse, "t2dm")):
        services.prescription_issue(
            member=person,
            prescription=Prescription.objects.get(disease__code=code),
            by=users.village_doctor,
        )
    client = client_as(users.village_doctor)
    response = client.get(reverse("screening:prescription-pdf", args=["member", member.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    (text,) = page_texts(response.content)
    assert "高血压健康处方" in text and "李桂兰" in text
    assert member.id_number_masked in text
    assert member.id_number not in text
    assert "13987811111" in text and team.name in text
    household = client.get(
        reverse("screening:prescription-pdf", args=["household", member.household_id])
    )
    texts = page_texts(household.content)
    assert len(texts) == 2 and "2型糖尿病健康处方" in texts[1]
    assert all(m.id_number not in "".join(texts) for m in (member, spouse))
    # A whole village is a job with progress, then a download.
    code = member.household.village_id
    assert (
        client.get(reverse("screening:prescription-pdf", args=["village", code])).status_code == 404
    )
    started = client.post(reverse("screening:village-prescriptions", args=[code]))
    assert started.status_code == 302
    job = Job.objects.get(uuid=started.url.rstrip("/").rsplit("/", 1)[-1])
    waiting = client.get(started.url).content.decode()
    assert 'data-testid="job-progress"' in waiting
    assert client.get(reverse("screening:export-progress", args=[job.uuid])).status_code == 200
    export_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.result["pages"], job.progress, job.total) == ("succeeded", 2, 2, 2)
    assert client.get(reverse("screening:export-progress", args=[job.uuid])).status_code == 204
    village = client.get(reverse("screening:export-file", args=[job.uuid]))
    assert village["Content-Type"] == "application/pdf"
    village_texts = page_texts(b"".join(village.streaming_content))
    assert len(village_texts) == 2
    assert all(m.id_number not in "".join(village_texts) for m in (member, spouse))


def test_village_without_prescriptions_says_so(member, users, client_as):
    client = client_as(users.village_doctor)
    started = client.post(
        reverse("screening:village-prescriptions", args=[member.household.village_id])
    )
    job = Job.objects.get(uuid=started.url.rstrip("/").rsplit("/", 1)[-1])
    export_task(job.pk)
    page = client.get(started.url).content.decode()
    assert "此处尚未出具健康处方" in page
    assert client.get(reverse("screening:export-file", args=[job.uuid])).status_code == 404


def test_campaign_pages_and_marks(member, users, client_as, tree):
    campaign = make_campaign(tree.county, start=TODAY - dt.timedelta(days=5))
    services.work_team_save(
        campaign=campaign,
        name="县医院工作队",
        unit_name="元谋县人民医院",
        villages=[tree.village],
        by=users.county_staff,
    )
    client = client_as(users.village_doctor)
    detail = client.get(reverse("screening:campaign-detail", args=[campaign.pk]))
    assert detail.status_code == 200 and detail.context["progress"].total.targeted == 1
    assert b"application/json" in detail.content and b"<script>" not in detail.content
    url = reverse("screening:campaign-households", args=[campaign.pk])
    page = client.get(url, {"village": tree.village.code})
    assert len(page.context["rows"]) == 1
    handbook = campaign.items.get(order=1)
    response = client.post(
        f"{url}?village={tree.village.code}",
        {"village": tree.village.code, "household": member.household_id, "item": handbook.pk},
    )
    assert response.status_code == 302
    detail = client.get(reverse("screening:campaign-detail", args=[campaign.pk]))
    assert detail.context["progress"].total.done[0] == 1


def test_coverage_page(member, users, client_as):
    services.check_up_record(member=member, checked_on=TODAY, by=users.village_doctor)
    MemberFactory(household=member.household)
    response = client_as(users.county_staff).get(reverse("screening:checkup-coverage"))
    coverage = response.context["coverage"]
    assert (coverage.members, coverage.checked, str(coverage.rate)) == (2, 1, "50.00")
    assert [r.region.name for r in coverage.rows] == ["元马镇"]


def test_member_pick(member, users, client_as):
    response = client_as(users.village_doctor).get(reverse("screening:member-pick"), {"q": "李桂"})
    assert [m.pk for m in response.context["members"]] == [member.pk]
    response = client_as(users.hospital_staff).get(reverse("screening:member-pick"), {"q": "李桂"})
    assert response.context["members"] == []


def test_screening_indicator(member, users, api_as):
    services.screening_record(
        member=member, screened_on=TODAY, fasting_glucose=Decimal("7.2"), by=users.village_doctor
    )
    services.check_up_record(member=member, checked_on=TODAY, by=users.village_doctor)
    MemberFactory(household=member.household)
    body = api_as(users.county_staff).get(reverse("indicators-screening")).json()
    assert body == {
        "screened": 1,
        "abnormal": 1,
        "abnormal_rate": "100.00",
        "suspected_to_confirm": 1,
        "checkup_target": 2,
        "checked_up": 1,
        "checkup_coverage": "50.00",
    }


def test_county_staff_set_up_a_campaign_team_target_and_threshold(
    tree, users, client_as, catalogue
):
    from screening.models import Campaign, FreeClinicTarget, ScreeningItem

    client = client_as(users.county_staff)
    day = TODAY.isoformat()
    response = client.post(
        reverse("screening:campaign-new"),
        {
            "name": "健康扶贫“八个一”活动",
            "county": tree.county.code,
            "target": "illness",
            "eight_ones": "on",
            "mobilise_start": day,
            "mobilise_end": day,
            "implement_start": day,
            "implement_end": (TODAY + dt.timedelta(days=6)).isoformat(),
            "summarise_start": (TODAY + dt.timedelta(days=7)).isoformat(),
            "summarise_end": (TODAY + dt.timedelta(days=8)).isoformat(),
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.items.count() == 8
    response = client.post(
        reverse("screening:workteam-new", args=[campaign.pk]),
        {
            "name": "县医院工作队",
            "unit_name": "元谋县人民医院",
            "villages": [tree.village.code],
            "members": [users.township_doctor.pk],
        },
    )
    assert response.status_code == 302
    assert list(campaign.teams.get().members.all()) == [users.township_doctor]
    assert list(campaign.teams.get().villages.values_list("code", flat=True)) == [tree.village.code]
    response = client.post(
        reverse("screening:freeclinic-target-new"),
        {
            "name": "15个贫困村义诊",
            "county": tree.county.code,
            "starts_on": "2018-11-06",
            "ends_on": "2018-11-30",
            "rounds": "2",
            "villages": [tree.village.code, tree.village2.code],
        },
    )
    assert response.status_code == 302 and FreeClinicTarget.objects.get().villages.count() == 2
    item = ScreeningItem.objects.get(code="fasting_glucose")
    response = client.post(
        reverse("screening:thresholds"), {"item": item.pk, "threshold": "6.1", "active": "on"}
    )
    item.refresh_from_db()
    assert response.status_code == 302 and item.threshold == Decimal("6.1")
    doctor = client_as(users.township_doctor)
    assert doctor.get(reverse("screening:campaign-new")).status_code == 403
    assert doctor.post(reverse("screening:thresholds"), {"item": item.pk}).status_code == 403
    assert doctor.get(reverse("screening:thresholds")).status_code == 200


def test_campaign_page_lists_villages_for_a_township(member, users, client_as, tree):
    campaign = make_campaign(tree.county, start=TODAY - dt.timedelta(days=5))
    client = client_as(users.county_staff)
    county = client.get(reverse("screening:campaign-detail", args=[campaign.pk])).content.decode()
    assert (
        'data-testid="villages-hint"' in county and 'data-testid="progress-village"' not in county
    )
    township = client.get(
        reverse("screening:campaign-detail", args=[campaign.pk]), {"region": tree.township.code}
    ).content.decode()
    assert 'data-testid="progress-village"' in township and "能禹村委会" in township


def _batch_data(tree, members):
    data = {
        "village": tree.village.code,
        "screened_on": TODAY.isoformat(),
        "place": "",
        "row-TOTAL_FORMS": str(len(members)),
        "row-INITIAL_FORMS": str(len(members)),
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        data[f"row-{i}-member"] = str(m.pk)
    return data


def test_screening_day_has_the_catalogue_items_as_columns(tree, users, client_as, catalogue):
    members = [MemberFactory(household=HouseholdFactory(village=tree.village)) for _ in range(2)]
    client = client_as(users.village_doctor)
    page = client.get(reverse("screening:screening-batch"), {"village": tree.village.code})
    html = page.content.decode()
    assert html.count('data-testid="free-item-column"') == 2
    assert "总胆固醇" in html and "血红蛋白" in html
    assert 'name="row-1-extra_haemoglobin"' in html
    data = _batch_data(tree, members)
    data.update({"row-0-extra_total_cholesterol": "6.5", "row-1-extra_haemoglobin": "125"})
    assert client.post(reverse("screening:screening-batch"), data).status_code == 302
    first, second = (Screening.objects.get(member=m) for m in members)
    assert first.extra == {"total_cholesterol": "6.5"} and first.abnormal_items == [
        "total_cholesterol"
    ]
    assert second.extra == {"haemoglobin": "125"} and not second.abnormal


def test_screening_day_names_row_field_and_reason(tree, users, client_as, catalogue):
    members = [MemberFactory(household=HouseholdFactory(village=tree.village)) for _ in range(3)]
    client = client_as(users.village_doctor)
    data = _batch_data(tree, members)
    data.update(
        {
            "row-0-systolic": "120",
            "row-0-diastolic": "80",
            "row-1-extra_haemoglobin": "-3",
            "row-2-systolic": "80",
            "row-2-diastolic": "90",
        }
    )
    response = client.post(reverse("screening:screening-batch"), data)
    assert response.status_code == 200
    lines = response.context["row_errors"]
    assert any(
        line.startswith(f"第2行（{members[1].name}）") and "血红蛋白" in line for line in lines
    )
    # Form errors first; the service's (row 3's pressures) once the form is valid.
    data["row-1-extra_haemoglobin"] = "118"
    response = client.post(reverse("screening:screening-batch"), data)
    lines = response.context["row_errors"]
    assert lines and all(line.startswith(f"第3行（{members[2].name}）") for line in lines)
    assert "舒张压" in lines[0]
    assert not Screening.objects.exists()
    assert 'data-testid="row-errors"' in response.content.decode()


def test_screening_list_rows_are_the_screenings_values(member, users, client_as):
    """The list prints prepared values; each row says what the screening itself says."""
    services.screening_record(
        member=member,
        screened_on=TODAY,
        systolic=150,
        diastolic=95,
        fasting_glucose=Decimal("7.2"),
        by=users.village_doctor,
    )
    services.screening_record(
        member=member,
        screened_on=TODAY - dt.timedelta(days=1),
        random_glucose=Decimal("6.1"),
        by=users.village_doctor,
    )
    response = client_as(users.county_staff).get(reverse("screening:screening-list"))
    rows = response.context["rows"]
    screenings = list(Screening.objects.order_by("-screened_on", "-id"))
    assert [row["screened_on"] for row in rows] == [s.screened_on.isoformat() for s in screenings]
    for row, screening in zip(rows, screenings, strict=True):
        assert row["name"] == member.name
        assert row["id_number_masked"] == member.id_number_masked
        assert row["village"] == member.household.village.name
        assert row["blood_pressure"] == screening.blood_pressure
        assert row["fasting_glucose"] == screening.fasting_glucose
        assert row["abnormal"] == screening.abnormal
    html = response.content.decode()
    assert "150/95" in html and "7.2" in html
    assert html.count('data-testid="screening-row"') == 2


def test_screening_list_count_is_cached_per_filter_and_follows_writes(
    member, users, client_as, settings, django_assert_num_queries
):
    """The list's total is read from the cache while nothing it counts has changed; each
    filter has its own; a new screening shows on the next page."""
    from django.core.cache import cache

    from tests.households.factories import MemberFactory

    settings.SCREENING_PROGRESS_CACHE_SECONDS = 600
    cache.clear()
    client = client_as(users.county_staff)
    url = reverse("screening:screening-list")
    other = MemberFactory(household=member.household)
    services.screening_record(
        member=member, screened_on=TODAY, systolic=150, diastolic=95, by=users.village_doctor
    )
    services.screening_record(
        member=other, screened_on=TODAY, systolic=120, diastolic=80, by=users.village_doctor
    )

    def total(params=None):
        return client.get(url, params or {}).context["paginator"].count

    assert total() == 2
    assert total({"abnormal": "true"}) == 1
    # both counted once: the page's own queries only now (no COUNT; the filter form's team
    # choices are cached too): user, profile, the page
    with django_assert_num_queries(3):
        assert total() == 2
    assert total({"abnormal": "true", "page": "1"}) == 1  # the page is not part of the key
    services.screening_record(
        member=member,
        screened_on=TODAY - dt.timedelta(days=2),
        systolic=160,
        diastolic=100,
        by=users.village_doctor,
    )
    assert (total(), total({"abnormal": "true"})) == (3, 2)
