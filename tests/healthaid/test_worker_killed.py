"""A worker killed mid-import (issue 12, "Jobs that end"), with a real worker process.

Before: the job stayed "running" forever and a second delivery of its message was refused as
"already running".  Now: nothing of the killed run is written (the import is all or nothing),
the reaper fails the job with "处理中断，请重新提交" and keeps its file, and the message
delivered again (as the broker redelivers an unacknowledged message: the task is ``acks_late``
with ``reject_on_worker_lost``) runs the job from the start, once: no doubles.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from healthaid.choices import JobStatus
from healthaid.idnumbers import make_id_number
from healthaid.jobs import reap_stale_jobs
from healthaid.models import Job
from households.models import Household, Member
from households.tasks import ROSTER_IMPORT_KIND, roster_import_task
from tests.healthaid.test_worker import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 20_000
PER_HOUSEHOLD = 4


def roster(members: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["县", "乡镇", "村", "户编号", "姓名", "证件号码"])
    start = dt.date(1950, 1, 1)
    for n in range(members):
        birth = start + dt.timedelta(days=n // 1000)
        number = f"532328101201{n // PER_HOUSEHOLD + 1:04d}"
        sheet.append(
            [
                "元谋县",
                "元马镇",
                "能禹村",
                number,
                "某某",
                make_id_number("532328", birth, n % 1000),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def start_worker() -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="healthaid.settings_test",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        HEALTHAID_TEST_RUN=settings.TEST_RUN_ID,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "healthaid",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(job: Job, ready, process: subprocess.Popen, timeout: float = 180) -> tuple:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Job.objects.filter(pk=job.pk).values_list("status", "progress").get()
        if ready(*state):
            return state
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    output = process.communicate(timeout=20)[0]
    pytest.fail(f"job {job.pk} stuck at {state}: {output[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_worker_killed_mid_import_is_reaped_and_the_redelivered_task_imports_once(
    users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    job = Job(
        kind=ROSTER_IMPORT_KIND,
        created_by=users.county_staff,
        region_code=users.county_staff.profile.region.code,
        input_name="花名册.xlsx",
        params={"dry_run": False, "skip_invalid": False, "language": "zh-hans"},
    )
    job.input_file.save("花名册.xlsx", ContentFile(roster(MEMBERS)), save=False)
    job.save()

    worker = start_worker()
    try:
        roster_import_task.delay(job.pk)
        # Mid-import: running, past the first progress report.
        wait_for(job, lambda status, progress: status == "running" and progress > 0, worker)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # nobody is left to say otherwise
    assert Member.objects.count() == 0  # all or nothing: the killed run wrote nothing

    later = timezone.now() + dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 1)
    assert reap_stale_jobs(now=later) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == "处理中断，请重新提交"
    assert job.input_file.storage.exists(job.input_file.name)  # kept for the retry

    # The broker delivers the unacknowledged message again: the job runs from the start.
    worker = start_worker()
    try:
        roster_import_task.delay(job.pk)
        wait_for(job, lambda status, _progress: status in ("succeeded", "refused"), worker)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.result
    assert job.error == ""
    assert job.result["members"]["created"] == MEMBERS
    assert Member.objects.count() == MEMBERS
    assert Household.objects.count() == MEMBERS // PER_HOUSEHOLD

    # A further delivery of the same message finds the job done and leaves it alone.
    roster_import_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert Member.objects.count() == MEMBERS
