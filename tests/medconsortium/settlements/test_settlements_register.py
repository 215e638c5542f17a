"""The major-disease register, large expenses and the township 通报 (workbook, job, pages)."""

import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from healthaid.choices import JobStatus
from healthaid.idnumbers import decrypt_id_number
from healthaid.models import Job
from households.models import MemberDisease
from medconsortium.choices import EncounterKind, MajorDiseaseStatus
from medconsortium.major_disease import (
    bulletin_build,
    case_costs,
    large_expenses,
    major_disease_register_sync,
)
from medconsortium.models import MajorDiseaseCase, Settlement, SettlementPolicy, TownshipBulletin
from medconsortium.settlement_services import encounter_settlements_upsert_bulk
from medconsortium.settlement_tasks import monthly_bulletins_task, previous_month
from tests.households.factories import disease
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"


def _stay(member, institution, day, oop, diagnosis=None, total=None):
    total = total or oop + Decimal("1000.00")
    return row(
        member,
        institution,
        admitted_on=day,
        discharged_on=day + datetime.timedelta(days=2),
        total=total,
        pooled=total - oop,
        critical_illness=Decimal("0"),
        assistance=Decimal("0"),
        other=Decimal("0"),
        out_of_pocket=oop,
        non_reimbursable=Decimal("0"),
        diagnosis_id=diagnosis.pk if diagnosis else None,
    )


@pytest.fixture
def cases(registry, institutions):
    """能禹村's head: lung cancer in the roster (March 2019); 丙间村's head: an encounter
    diagnosed with breast cancer at the county hospital in May 2019; stays and costs."""
    lung, breast = disease("lung_cancer"), disease("breast_cancer")
    head = registry.heads["village"]
    MemberDisease.objects.create(member=head, disease=lung, diagnosed_on=datetime.date(2019, 3, 1))
    other = registry.heads["village2"]
    encounter_settlements_upsert_bulk(
        rows=[
            _stay(head, institutions.county_hospital, datetime.date(2019, 2, 1), Decimal("900.00")),
            _stay(head, institutions.county_hospital, datetime.date(2019, 3, 5), Decimal("3000.00")),
            _stay(head, institutions.prefecture_hospital, datetime.date(2019, 5, 6),
                  Decimal("2500.50"), diagnosis=lung),
            _stay(other, institutions.county_hospital, datetime.date(2019, 5, 10),
                  Decimal("400.00"), diagnosis=breast),
        ],
        by=None,
    )  # fmt: skip
    return {"lung": lung, "breast": breast, "head": head, "other": other}


def test_register_built_from_diagnoses_and_encounters(cases, tree, users, institutions):
    created = major_disease_register_sync(county=tree.county, by=users.county_staff)
    assert len(created) == 2
    lung = MajorDiseaseCase.objects.get(disease=cases["lung"])
    assert lung.member == cases["head"] and lung.diagnosed_on == datetime.date(2019, 3, 1)
    assert lung.institution == institutions.prefecture_hospital  # where it was treated
    breast = MajorDiseaseCase.objects.get(disease=cases["breast"])
    assert breast.diagnosed_on == datetime.date(2019, 5, 10)
    assert breast.institution == institutions.county_hospital
    # again: nothing new, staff's edits kept
    breast.status = MajorDiseaseStatus.TREATED
    breast.save()
    assert major_disease_register_sync(county=tree.county, by=None) == []
    assert MajorDiseaseCase.objects.get(pk=breast.pk).status == MajorDiseaseStatus.TREATED


def test_costs_to_date_since_diagnosis(cases, tree):
    major_disease_register_sync(county=tree.county, by=None)
    lung = MajorDiseaseCase.objects.get(disease=cases["lung"])
    costs = case_costs([lung])[lung.pk]
    # the February stay was before the diagnosis; March (no diagnosis) and May (lung) count
    assert costs.settlements == 2
    assert costs.out_of_pocket == Decimal("5500.50")
    assert costs.total == Decimal("7500.50")


def test_large_expense_threshold_and_window(cases, tree):
    settlements = Settlement.objects.all()
    on = datetime.date(2019, 5, 31)
    over = large_expenses(settlements, county=tree.county, on=on)
    assert set(over) == {cases["head"].pk}  # 6,400.50 > 5,000 in the 12 months
    assert over[cases["head"].pk] == (Decimal("6400.50"), 3)
    SettlementPolicy.objects.create(county=tree.county, large_expense_threshold=Decimal("6400.50"))
    assert large_expenses(settlements, county=tree.county, on=on) == {}  # not more than it
    # a year later the February and March stays have left the window
    later = large_expenses(settlements, county=tree.county, on=datetime.date(2020, 3, 9))
    assert later == {}


def test_bulletin_workbook(cases, tree, users):
    major_disease_register_sync(county=tree.county, by=None)
    MajorDiseaseCase.objects.filter(disease=cases["breast"]).update(note="=HYPERLINK(1)")
    member = cases["other"]
    member.name = "=cmd|' /C calc'!A0"
    member.save()
    bulletin = bulletin_build(township=tree.township, month=datetime.date(2019, 5, 1))
    assert (bulletin.new_cases, bulletin.large_expenses) == (1, 1)  # breast (May); the head
    assert bulletin.job.status == JobStatus.SUCCEEDED
    book = openpyxl.load_workbook(bulletin.job.result_file.open("rb"))
    cases_sheet, expenses_sheet = book["新发大病"], book["重大医疗费用"]
    values = [c for r in cases_sheet.iter_rows(values_only=True) for c in r if c is not None]
    assert "乳腺癌" in values
    assert "'=cmd|' /C calc'!A0" in values  # formula-safe
    text = " ".join(str(v) for sheet in book for r in sheet.iter_rows(values_only=True) for v in r)
    for m in (cases["head"], cases["other"]):
        assert decrypt_id_number(m.id_number_cipher) not in text
        assert m.id_number_masked in text
    expense_rows = list(expenses_sheet.iter_rows(min_row=4, values_only=True))
    assert expense_rows[0][2] == cases["head"].name and expense_rows[0][5] == 6400.5
    # rebuilding replaces, never doubles
    again = bulletin_build(township=tree.township, month=datetime.date(2019, 5, 20))
    assert again.pk == bulletin.pk and TownshipBulletin.objects.count() == 1
    # a case diagnosed in March that reached the register in May is May's news
    MajorDiseaseCase.objects.filter(disease=cases["lung"]).update(
        created_at=datetime.datetime(2019, 5, 15, 12, tzinfo=datetime.UTC)
    )
    assert bulletin_build(township=tree.township, month=datetime.date(2019, 5, 1)).new_cases == 2


def test_monthly_task_and_schedule(cases, tree, django_capture_on_commit_callbacks):
    task = PeriodicTask.objects.get(task="medconsortium.monthly_bulletins")
    assert task.crontab.day_of_month == "1" and str(task.crontab.timezone) == "Asia/Shanghai"
    assert previous_month(datetime.date(2019, 6, 1)) == datetime.date(2019, 5, 1)
    with django_capture_on_commit_callbacks(execute=True):
        count = monthly_bulletins_task("2019-05-01")
    assert count == 3  # the tree's townships
    assert MajorDiseaseCase.objects.count() == 2  # the register was brought up to date first
    assert TownshipBulletin.objects.count() == 3
    assert (
        Job.objects.filter(kind="major_disease_bulletin", status=JobStatus.SUCCEEDED).count() == 3
    )


def test_bulletin_pages_download_and_status(cases, tree, users, client_as):
    bulletin = bulletin_build(township=tree.township, month=datetime.date(2019, 5, 1))
    county = client_as(users.county_staff)
    page = county.get(reverse("settlements:bulletins"))
    assert page.status_code == 200 and "not-downloaded" in page.content.decode()
    township = client_as(users.township_doctor)
    response = township.get(reverse("settlements:bulletin-download", args=[bulletin.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    bulletin.refresh_from_db()
    assert bulletin.first_downloaded_by == users.township_doctor and bulletin.downloads == 1
    page = client_as(users.county_staff).get(reverse("settlements:bulletins"))
    assert 'data-testid="downloaded"' in page.content.decode()
    # another township's doctor, or another county, cannot reach it
    other = bulletin_build(township=tree.other_township, month=datetime.date(2019, 5, 1))
    township = client_as(users.township_doctor)  # the test client is shared: log in again
    assert (
        township.get(reverse("settlements:bulletin-download", args=[other.pk])).status_code == 404
    )
    assert (
        client_as(users.other_county_staff)
        .get(reverse("settlements:bulletin-download", args=[bulletin.pk]))
        .status_code
        == 404
    )


def test_bulletins_on_demand(cases, tree, users, client_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(users.county_staff).post(
            reverse("settlements:bulletins"), {"month": "2019-05"}
        )
    assert response.status_code == 302
    assert set(TownshipBulletin.objects.values_list("township_id", flat=True)) == {
        tree.township.code,
        tree.other_township.code,
    }
    assert (
        client_as(users.township_doctor)
        .post(reverse("settlements:bulletins"), {"month": "2019-05"})
        .status_code
        == 404
    )


def test_register_page_and_edit(cases, tree, users, client_as, institutions):
    from django.utils import timezone

    # the flag is as of today: a recent stay puts the head over 5,000 yuan in 12 months
    recent = timezone.localdate() - datetime.timedelta(days=30)
    encounter_settlements_upsert_bulk(
        rows=[_stay(cases["head"], institutions.county_hospital, recent, Decimal("5000.01"))],
        by=None,
    )
    client = client_as(users.county_staff)
    response = client.post(reverse("settlements:register-sync"))
    assert response.status_code == 302 and MajorDiseaseCase.objects.count() == 2
    page = client.get(reverse("settlements:register"))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="large-expense"' in body
    case = MajorDiseaseCase.objects.get(disease=cases["lung"])
    response = client.post(
        reverse("settlements:register-edit", args=[case.pk]),
        {
            "institution": institutions.county_hospital.pk,
            "status": MajorDiseaseStatus.TREATING,
            "diagnosed_on": "2019-03-01",
            "note": "化疗中",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == MajorDiseaseStatus.TREATING and case.note == "化疗中"
    # the township doctor reads but does not edit; another county does not see it
    assert client_as(users.township_doctor).get(reverse("settlements:register")).status_code == 200
    assert (
        client_as(users.township_doctor)
        .get(reverse("settlements:register-edit", args=[case.pk]))
        .status_code
        == 403
    )
    assert (
        client_as(users.other_county_staff)
        .get(reverse("settlements:register-edit", args=[case.pk]))
        .status_code
        == 404
    )


def test_three_batches(cases, tree, users):
    from contracts.models import Contract  # noqa: F401  (the contracts app counts the second)
    from reports.indicators import three_batches

    major_disease_register_sync(county=tree.county, by=None)
    MajorDiseaseCase.objects.filter(disease=cases["lung"]).update(
        status=MajorDiseaseStatus.TREATING
    )
    Settlement.objects.filter(encounter__member=cases["other"]).update(
        assistance=Decimal("100.00"), pooled=Decimal("900.00")
    )
    batches = three_batches(
        users.county_staff,
        region=None,
        start=datetime.date(2019, 1, 1),
        end=datetime.date(2019, 6, 30),
    )
    assert batches.major_disease_treated == 1
    assert batches.assisted == 1
    assert batches.chronic_under_contract == 0  # no contracts in this fixture
    assert EncounterKind.INPATIENT  # the stays are inpatient


def test_large_expense_page(registry, institutions, tree, users, client_as):
    from django.utils import timezone

    today = timezone.localdate()
    rows = [
        _stay(registry.heads["village"], institutions.county_hospital, today - datetime.timedelta(days=20), Decimal("5200.00")),
        _stay(registry.heads["village2"], institutions.county_hospital, today - datetime.timedelta(days=40), Decimal("4999.99")),
        _stay(registry.heads["other_township_village"], institutions.county_hospital, today - datetime.timedelta(days=400), Decimal("9000.00")),
        _stay(registry.heads["other_county_village"], institutions.other_county_hospital, today - datetime.timedelta(days=10), Decimal("7000.00")),
    ]  # fmt: skip
    encounter_settlements_upsert_bulk(rows=rows, by=None)
    url = reverse("settlements:large-expenses")
    page = client_as(users.county_staff).get(url)
    assert [r[0] for r in page.context["rows"]] == [registry.heads["village"]]
    assert page.context["rows"][0][1] == Decimal("5200.00")
    supervisor = client_as(users.supervisor).get(url)
    assert [r[0] for r in supervisor.context["rows"]] == [
        registry.heads["other_county_village"],
        registry.heads["village"],
    ]
    SettlementPolicy.objects.create(county=tree.other_county, large_expense_threshold=8000)
    supervisor = client_as(users.supervisor).get(url)
    assert [r[0] for r in supervisor.context["rows"]] == [registry.heads["village"]]
    other = client_as(users.township_doctor).get(url)
    assert [r[0] for r in other.context["rows"]] == [registry.heads["village"]]
    assert client_as(users.hospital_staff).get(url).status_code == 403
