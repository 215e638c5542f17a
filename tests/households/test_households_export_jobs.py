"""List exports run as background jobs: the request starts one, its page shows progress and
then the file, which is deleted with the other job files after the retention period."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from healthaid.choices import AuditAction, JobStatus
from healthaid.jobs import purge_job_files
from healthaid.models import AuditLog, Job
from households.tasks import export_task
from tests.households.exporting import run_export, start_export

pytestmark = pytest.mark.django_db


def _job(response) -> Job:
    assert response.status_code == 302
    return Job.objects.get(uuid=response.url.rstrip("/").rsplit("/", 1)[-1])


def test_the_request_only_starts_the_job(
    users, registry, client_as, django_capture_on_commit_callbacks
):
    client = client_as(users.county_staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = start_export(client, "member", {"status": "lifted", "full_ids": "1"})
    job = _job(response)
    assert response.url == reverse("households:export-job", args=[job.uuid])
    assert len(callbacks) == 1  # the task is queued once the job row is committed
    assert job.kind == "households.member_export" and job.status == JobStatus.PENDING
    assert job.params["query"] == "status=lifted" and job.params["full_ids"] is True
    assert not job.result_file
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'data-testid="job-progress"' in page.content.decode()
    assert client.get(reverse("households:export-progress", args=[job.uuid])).status_code == 200


def test_the_finished_job_offers_the_file_and_reports_progress(users, registry, client_as):
    client = client_as(users.county_staff)
    job = _job(start_export(client, "household"))
    export_task(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.total == job.progress == job.result["rows"] == 3  # 元谋县's three households
    progress = client.get(reverse("households:export-progress", args=[job.uuid]))
    assert progress.status_code == 204 and progress["HX-Refresh"] == "true"
    page = client.get(reverse("households:export-job", args=[job.uuid])).content.decode()
    assert "下载 Excel 文件" in page and "已导出 3 行" in page
    download = client.get(reverse("households:export-file", args=[job.uuid]))
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert "attachment" in download["Content-Disposition"]


def test_a_delivered_twice_task_exports_once(users, registry, client_as):
    job = _job(start_export(client_as(users.county_staff), "member"))
    export_task(job.pk)
    export_task(job.pk)
    assert AuditLog.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_the_audit_row_names_the_address_the_export_was_asked_from(users, registry, client):
    client.force_login(users.county_staff)
    response = client.post(reverse("households:member-export"), REMOTE_ADDR="192.0.2.44")
    export_task(_job(response).pk)
    assert AuditLog.objects.get(action=AuditAction.EXPORT).ip == "192.0.2.44"


def test_only_the_exporter_reaches_the_job_and_its_file(users, registry, client_as):
    job = _job(start_export(client_as(users.county_staff), "member"))
    export_task(job.pk)
    other = client_as(users.township_doctor)
    for name in ("export-job", "export-progress", "export-file"):
        assert other.get(reverse(f"households:{name}", args=[job.uuid])).status_code == 404


def test_exports_are_started_by_post_only(users, client_as):
    assert client_as(users.county_staff).get(reverse("households:member-export")).status_code == 405


def test_the_file_goes_after_the_retention_period(users, registry, client_as, settings):
    client = client_as(users.county_staff)
    response = run_export(client, "member")
    assert response.status_code == 200
    job = Job.objects.get(kind="households.member_export")
    storage, name = job.result_file.storage, job.result_file.name
    assert storage.exists(name)
    later = timezone.now() + datetime.timedelta(days=settings.JOB_FILES_RETENTION_DAYS + 1)
    assert purge_job_files(now=later) == 1
    assert not storage.exists(name)
    assert client.get(reverse("households:export-file", args=[job.uuid])).status_code == 404
    page = client.get(reverse("households:export-job", args=[job.uuid])).content.decode()
    assert "文件已在导出" in page
