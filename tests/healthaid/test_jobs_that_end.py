"""Jobs that end (issue 12): heartbeat, the reaper, redelivery, every job's files purged.

Each test here failed on the main branch before: jobs had no heartbeat and nothing reaped
them, a redelivered task on a dead job was refused as "already running", and the purge kept the
files of refused, failed-but-unfinished and stuck jobs forever.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from healthaid.choices import JobStatus
from healthaid.jobs import (
    INTERRUPTED,
    job_claim,
    job_heartbeat,
    progress_reporter,
    purge_job_files,
    reap_stale_jobs,
)
from healthaid.models import Job

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOB_STALE_AFTER_SECONDS = 600
    settings.JOB_FILES_RETENTION_DAYS = 7


def _job(status=JobStatus.RUNNING, *, heartbeat_ago=None, finished_ago=None, created_ago=None):
    now = timezone.now()
    job = Job(kind="households.roster_import", status=status, input_name="花名册.xlsx")
    job.input_file.save("花名册.xlsx", ContentFile(b"PK roster with ID numbers"), save=False)
    job.result_file.save("errors.xlsx", ContentFile(b"PK error rows"), save=False)
    if heartbeat_ago is not None:
        job.started_at = now - heartbeat_ago
        job.heartbeat_at = now - heartbeat_ago
    if finished_ago is not None:
        job.finished_at = now - finished_ago
    job.save()
    if created_ago is not None:
        Job.objects.filter(pk=job.pk).update(created_at=now - created_ago)
    job.refresh_from_db()
    return job


def _files(job):
    storage = job.input_file.storage
    return [storage.exists(f.name) for f in (job.input_file, job.result_file)]


# --- the reaper --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_whose_heartbeat_is_stale_is_failed_with_a_clear_message_and_keeps_its_files():
    dead = _job(heartbeat_ago=dt.timedelta(minutes=11))
    alive = _job(heartbeat_ago=dt.timedelta(minutes=2))
    never_beat = _job()
    Job.objects.filter(pk=never_beat.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=1), heartbeat_at=None
    )
    with translation.override("en"):  # the message is in the portal's language, not the caller's
        assert reap_stale_jobs() == 2

    dead.refresh_from_db()
    assert dead.status == JobStatus.FAILED
    assert dead.error == "处理中断，请重新提交"
    assert dead.finished_at is not None and INTERRUPTED in dead.params
    assert _files(dead) == [True, True]  # kept for the retry
    assert Job.objects.get(pk=never_beat.pk).status == JobStatus.FAILED
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING and alive.error == ""


@pytest.mark.django_db
def test_the_reaper_speaks_the_uploaders_language():
    job = _job(heartbeat_ago=dt.timedelta(hours=1))
    Job.objects.filter(pk=job.pk).update(params={"language": "en"})
    reap_stale_jobs()
    assert Job.objects.get(pk=job.pk).error == "Processing was interrupted; please submit again."


@pytest.mark.django_db
def test_progress_and_the_timer_beat_the_heartbeat():
    job = _job(heartbeat_ago=dt.timedelta(minutes=30))
    report = progress_reporter(job, every=10)
    report(10, 100)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < dt.timedelta(seconds=5)

    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=30))
    # The timer thread has its own connection: on SQLite's in-memory test database it sees this
    # transaction's rows only through the shared cache, so only check it ran and stopped.
    with job_heartbeat(job, every=0.01):
        pass


@pytest.mark.django_db
def test_the_beat_schedule_reaps_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="healthaid.reap_stale_jobs")
    assert (task.interval.every, task.interval.period) == (5, "minutes")


# --- redelivery --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_redelivered_task_runs_a_dead_job_again_and_leaves_a_live_one_alone():
    pending = _job(JobStatus.PENDING)
    assert job_claim(pending) and pending.status == JobStatus.RUNNING

    alive = _job(heartbeat_ago=dt.timedelta(seconds=30))
    assert not job_claim(alive)

    dead = _job(heartbeat_ago=dt.timedelta(minutes=20))
    assert job_claim(dead)
    dead.refresh_from_db()
    assert dead.status == JobStatus.RUNNING
    assert timezone.now() - dead.heartbeat_at < dt.timedelta(seconds=5)

    reaped = _job(heartbeat_ago=dt.timedelta(minutes=20))
    reap_stale_jobs()
    reaped.refresh_from_db()
    assert reaped.status == JobStatus.FAILED
    assert job_claim(reaped)
    reaped.refresh_from_db()
    assert (reaped.status, reaped.error, reaped.finished_at) == (JobStatus.RUNNING, "", None)

    done = _job(JobStatus.SUCCEEDED, finished_ago=dt.timedelta(minutes=1))
    failed = _job(JobStatus.FAILED, finished_ago=dt.timedelta(minutes=1))  # a bug, not a death
    assert not job_claim(done) and not job_claim(failed)


def test_every_job_task_is_acked_late_and_given_back_when_its_worker_dies():
    from contracts.tasks import import_task
    from households.tasks import roster_import_task

    for task in (roster_import_task, import_task):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True


# --- the purge ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_jobs_files_go_after_the_retention_whatever_its_state():
    old = dt.timedelta(days=8)
    refused = _job(JobStatus.REFUSED, finished_ago=old)
    stuck = _job(heartbeat_ago=dt.timedelta(days=9), created_ago=dt.timedelta(days=9))
    never_ran = _job(JobStatus.PENDING, created_ago=old)
    failed = _job(JobStatus.FAILED, finished_ago=old)
    running = _job(heartbeat_ago=dt.timedelta(seconds=20), created_ago=old)  # genuinely alive
    recent = _job(JobStatus.REFUSED, finished_ago=dt.timedelta(days=2))

    assert purge_job_files() == 8
    for job in (refused, stuck, never_ran, failed):
        assert _files(job) == [False, False]
        job.refresh_from_db()
        assert not job.input_file and not job.result_file
    assert _files(running) == [True, True]
    assert _files(recent) == [True, True]


# --- the import cycle --------------------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_roster_service_and_the_tasks_do_not_import_each_other():
    service = _imported_modules(ROOT / "households/importing/service.py")
    tasks = _imported_modules(ROOT / "households/tasks.py")
    assert not any(name.startswith("households.importing") for name in tasks)
    assert "households.tasks" in service  # one way only: the service queues ANALYZE
