"""The import pages: upload → preview (a job) → confirm (a job) → result, county staff only."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from healthaid.choices import JobStatus
from healthaid.models import Job
from households.models import Household, Member
from households.tasks import ROSTER_IMPORT_KIND
from tests.households.test_households_import_fixtures import (
    EXPECTED_ERRORS,
    H1,
    all_clear_numbers,
    good_xlsx,
    messy_xlsx,
)

UPLOAD = reverse("households:import")


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(client_as, users, settings):
    client = client_as(users.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _upload(client, data: bytes, name="花名册.xlsx", capture=None, **extra):
    payload = {"file": SimpleUploadedFile(name, data), **extra}
    with capture(execute=True):
        response = client.post(UPLOAD, payload)
    return response


def _job(response) -> Job:
    assert response.status_code == 302, response.content[:500]
    uuid = response["Location"].rstrip("/").split("/")[-1]
    return Job.objects.get(uuid=uuid)


@pytest.mark.parametrize(
    "role", ["township_doctor", "village_doctor", "hospital_staff", "supervisor"]
)
def test_other_roles_get_403(client_as, users, role):
    client = client_as(getattr(users, role))
    assert client.get(UPLOAD).status_code == 403
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("a.xlsx", good_xlsx())})
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(UPLOAD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_page(staff):
    response = staff.get(UPLOAD)
    assert response.status_code == 200
    assert b'data-testid="upload-form"' in response.content
    assert b'enctype="multipart/form-data"' in response.content


def test_preview_of_a_roster_with_errors(staff, users, django_capture_on_commit_callbacks):
    job = _job(_upload(staff, messy_xlsx(), capture=django_capture_on_commit_callbacks))
    job.refresh_from_db()
    assert job.kind == ROSTER_IMPORT_KIND and job.params["dry_run"] is True
    assert job.status == JobStatus.SUCCEEDED and job.created_by == users.county_staff
    assert job.region_code == "532328000000"
    assert job.input_file.name.startswith(f"jobs/{ROSTER_IMPORT_KIND}/{job.uuid}/input/")
    assert job.total == 23 and job.progress == 23
    assert [(e["row"], e["column"], e["code"]) for e in job.result["errors"]] == EXPECTED_ERRORS
    assert Member.objects.count() == 0  # a preview writes nothing

    page = staff.get(reverse("households:import-job", kwargs={"uuid": job.uuid}))
    html = page.content.decode()
    assert page.status_code == 200
    for row, _column, _code in EXPECTED_ERRORS:
        assert f'data-row="{row}"' in html
    assert "There is no county named “元某县”." in html
    assert 'data-testid="confirm-form"' not in html  # all or nothing: no confirm
    assert 'data-testid="error-file"' in html
    assert 'data-testid="warnings"' in html and "某怪病" in html

    download = staff.get(reverse("households:import-error-file", kwargs={"uuid": job.uuid}))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("县", "乡\u3000镇", "村") and rows[0][16] == "Error description"
    assert len(rows) == 1 + 16
    assert any("元某县" in (row[16] or "") for row in rows[1:])


def test_errors_are_paginated(staff, settings, django_capture_on_commit_callbacks, monkeypatch):
    from healthaid.importing import views  # the shared job pages

    monkeypatch.setattr(views, "ERRORS_PER_PAGE", 5)
    job = _job(_upload(staff, messy_xlsx(), capture=django_capture_on_commit_callbacks))
    url = reverse("households:import-job", kwargs={"uuid": job.uuid})
    first = staff.get(url).content.decode()
    third = staff.get(url + "?page=3").content.decode()
    assert 'data-row="12"' in first and 'data-row="20"' not in first
    assert 'data-row="24"' in third and 'data-row="12"' not in third


def test_upload_preview_confirm_result(staff, users, django_capture_on_commit_callbacks):
    preview = _job(
        _upload(
            staff,
            messy_xlsx(),
            capture=django_capture_on_commit_callbacks,
            skip_invalid="on",
        )
    )
    preview.refresh_from_db()
    assert preview.params["skip_invalid"] is True
    page = staff.get(reverse("households:import-job", kwargs={"uuid": preview.uuid}))
    assert b'data-testid="confirm-form"' in page.content
    assert Member.objects.count() == 0

    confirm = reverse("households:import-confirm", kwargs={"uuid": preview.uuid})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(confirm)
    job = _job(response)
    assert job.params == {
        "dry_run": False,
        "skip_invalid": True,
        "preview": str(preview.uuid),
        "language": "en",
    }
    assert job.input_file.name == preview.input_file.name  # the very file that was checked
    assert job.status == JobStatus.SUCCEEDED and job.result["applied"] is True
    assert job.result["members"]["created"] == 7
    assert Member.objects.count() == 7 and Household.objects.filter(number=H1).exists()

    result_page = staff.get(reverse("households:import-job", kwargs={"uuid": job.uuid}))
    html = result_page.content.decode()
    assert 'data-testid="job-outcome"' in html and "The roster was imported." in html
    assert 'data-count="created">7<' in html
    assert 'data-testid="error-file"' in html  # the skipped rows stay downloadable
    assert "新建村" in html

    # A second click on confirm does not import twice.
    response = staff.post(confirm)
    assert response["Location"].rstrip("/").endswith(str(job.uuid))
    assert Job.objects.filter(params__dry_run=False).count() == 1

    history = staff.get(reverse("households:import-history")).content.decode()
    assert history.count("花名册.xlsx") == 2


def test_job_rows_never_hold_a_clear_id_number(staff, django_capture_on_commit_callbacks):
    preview = _job(
        _upload(staff, messy_xlsx(), capture=django_capture_on_commit_callbacks, skip_invalid="on")
    )
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("households:import-confirm", kwargs={"uuid": preview.uuid}))
    assert Job.objects.count() == 2
    for job in Job.objects.all():
        stored = json.dumps(
            [job.params, job.result, job.error, job.input_name, job.input_file.name,
             job.result_file.name],
            ensure_ascii=False,
        )  # fmt: skip
        for number in all_clear_numbers():
            assert number[:17] not in stored
            assert number[:14] not in stored  # not even without the last digits


def test_another_users_job_is_not_found(
    staff, client_as, users, django_capture_on_commit_callbacks
):
    job = _job(_upload(staff, good_xlsx(), capture=django_capture_on_commit_callbacks))
    other = client_as(users.other_county_staff)
    for name in ("import-job", "import-progress", "import-error-file"):
        assert (
            other.get(reverse(f"households:{name}", kwargs={"uuid": job.uuid})).status_code == 404
        )
    assert (
        other.post(reverse("households:import-confirm", kwargs={"uuid": job.uuid})).status_code
        == 404
    )
    assert not Member.objects.exists()


def test_progress_polls_until_the_job_ends(staff, users):
    job = Job.objects.create(
        kind=ROSTER_IMPORT_KIND,
        created_by=users.county_staff,
        region_code="532328000000",
        status=JobStatus.RUNNING,
        progress=500,
        total=2000,
        input_name="big.xlsx",
        params={"dry_run": True},
    )
    url = reverse("households:import-progress", kwargs={"uuid": job.uuid})
    running = staff.get(url)
    assert running.status_code == 200
    assert b'aria-valuenow="25"' in running.content and b"hx-trigger" in running.content
    page = staff.get(reverse("households:import-job", kwargs={"uuid": job.uuid}))
    assert b'data-testid="job-progress"' in page.content
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    done = staff.get(url)
    assert done["HX-Refresh"] == "true"


def test_size_cap_and_wrong_type_are_form_errors(staff, settings):
    settings.ROSTER_MAX_BYTES = 1024
    response = staff.post(UPLOAD, {"file": SimpleUploadedFile("big.xlsx", b"x" * 4096)})
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()
    response = staff.post(UPLOAD, {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4")})
    assert "is not a spreadsheet" in response.content.decode()
    assert not Job.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_gets_a_message_not_a_500(
    staff, django_capture_on_commit_callbacks
):
    job = _job(
        _upload(
            staff,
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            name="photo.xlsx",
            capture=django_capture_on_commit_callbacks,
        )
    )
    job.refresh_from_db()
    assert job.status == JobStatus.REFUSED and job.result["file_error_code"] == "unreadable"
    page = staff.get(reverse("households:import-job", kwargs={"uuid": job.uuid}))
    assert page.status_code == 200
    assert "not an Excel workbook or a CSV file" in page.content.decode()
    confirm = staff.post(reverse("households:import-confirm", kwargs={"uuid": job.uuid}))
    assert confirm.status_code == 302 and Job.objects.count() == 1
