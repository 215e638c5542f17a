"""Uploaded rosters and error workbooks (full ID numbers) are deleted after their retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from healthaid.choices import JobStatus
from healthaid.jobs import FILES_PURGED, purge_job_files
from healthaid.models import Job
from healthaid.tasks import purge_job_files_task
from households.models import Member
from tests.households.test_households_import_fixtures import good_xlsx, messy_xlsx

UPLOAD = reverse("households:import")


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOB_FILES_RETENTION_DAYS = 7


@pytest.fixture
def staff(client_as, users, settings):
    client = client_as(users.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _preview(staff, capture, data) -> Job:
    with capture(execute=True):
        response = staff.post(UPLOAD, {"file": SimpleUploadedFile("花名册.xlsx", data)})
    assert response.status_code == 302
    return Job.objects.get(uuid=response["Location"].rstrip("/").split("/")[-1])


def _age(job: Job, days: int) -> None:
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=days))
    job.refresh_from_db()


def test_files_of_old_jobs_are_deleted_and_the_job_says_so(
    staff, django_capture_on_commit_callbacks
):
    old = _preview(staff, django_capture_on_commit_callbacks, messy_xlsx())
    recent = _preview(staff, django_capture_on_commit_callbacks, messy_xlsx())
    old_files = [old.input_file.name, old.result_file.name]
    assert all(default_storage.exists(name) for name in old_files)
    _age(old, 8)
    _age(recent, 6)

    assert purge_job_files() == 2

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.input_file and not old.result_file
    assert not any(default_storage.exists(name) for name in old_files)
    assert old.params[FILES_PURGED]
    assert old.result["errors"]  # the masked summary stays
    assert recent.input_file and default_storage.exists(recent.result_file.name)
    assert FILES_PURGED not in recent.params
    assert purge_job_files() == 0  # nothing left to do

    page = staff.get(reverse("households:import-job", kwargs={"uuid": old.uuid}))
    assert b'data-testid="files-purged"' in page.content
    assert b"deleted 7 days after the job finished" in page.content
    assert b'data-testid="error-file"' not in page.content
    error_file = reverse("households:import-error-file", kwargs={"uuid": old.uuid})
    assert staff.get(error_file).status_code == 404


def test_a_checked_file_past_its_retention_cannot_be_confirmed(
    staff, django_capture_on_commit_callbacks
):
    preview = _preview(staff, django_capture_on_commit_callbacks, good_xlsx())
    _age(preview, 30)
    purge_job_files_task()  # what beat runs every night
    preview.refresh_from_db()

    page = staff.get(reverse("households:import-job", kwargs={"uuid": preview.uuid}))
    assert b'data-testid="confirm-form"' not in page.content
    confirm = reverse("households:import-confirm", kwargs={"uuid": preview.uuid})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(confirm, follow=True)
    assert b"upload it again" in response.content
    assert Job.objects.count() == 1 and Member.objects.count() == 0


def test_a_file_a_pending_import_still_needs_is_kept(staff, django_capture_on_commit_callbacks):
    preview = _preview(staff, django_capture_on_commit_callbacks, good_xlsx())
    # Confirmed, but the import has not run yet (the worker was down): it reads the same file.
    confirm = reverse("households:import-confirm", kwargs={"uuid": preview.uuid})
    staff.post(confirm)  # on-commit callbacks not run: the job stays pending
    pending = Job.objects.exclude(pk=preview.pk).get()
    assert pending.status == JobStatus.PENDING
    assert pending.input_file.name == preview.input_file.name
    _age(preview, 30)

    assert purge_job_files() == 0
    preview.refresh_from_db()
    assert preview.input_file and default_storage.exists(preview.input_file.name)
    assert FILES_PURGED not in preview.params


def test_the_purge_is_scheduled_every_night(db):
    task = PeriodicTask.objects.get(task="healthaid.purge_job_files")
    assert task.enabled and task.crontab.hour == "2" and task.crontab.minute == "40"
    assert str(task.crontab.timezone) == "Asia/Shanghai"
