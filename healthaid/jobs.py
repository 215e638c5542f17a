"""Running a ``Job``: start it after the request's transaction commits, report progress."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from healthaid.choices import JobStatus
from healthaid.models import Job

logger = logging.getLogger(__name__)


def job_enqueue(job: Job, task) -> None:
    """Queue ``task(job.id)`` once the row that describes it is committed."""
    transaction.on_commit(lambda: task.delay(job.pk))


def job_start(job: Job) -> None:
    job.status = JobStatus.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])


def progress_reporter(job: Job, every: int = 1000) -> Callable[[int, int], None]:
    """A callback ``report(done, total)`` that writes progress at most every ``every`` rows.

    It updates with a queryset (not ``save``) so it never overwrites other fields, and
    outside any surrounding transaction's view only once that commits: import tasks
    therefore report parsing/validation progress, which happens before the write.
    """
    last = {"done": -every}

    def report(done: int, total: int) -> None:
        if done - last["done"] >= every or done == total:
            last["done"] = done
            Job.objects.filter(pk=job.pk).update(progress=done, total=total)
            job.progress, job.total = done, total

    return report


def job_finish(job: Job, *, status: str, result: dict | None = None, error: str = "") -> None:
    job.status = status
    job.result = result or {}
    job.error = error
    job.finished_at = timezone.now()
    if status == JobStatus.SUCCEEDED and job.total:
        job.progress = job.total
    job.save()


def job_fail(job: Job, exc: BaseException) -> None:
    logger.exception("job %s failed", job.pk)
    job_finish(job, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
