"""Running a ``Job``: start it after the request's transaction commits, report progress."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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


FILES_PURGED = "files_purged_at"
"""Key in ``Job.params``: when the job's files were deleted by :func:`purge_job_files`."""


def purge_job_files(*, now=None) -> int:
    """Delete the files of jobs that finished more than ``JOB_FILES_RETENTION_DAYS`` ago.

    Uploaded rosters and the error workbooks made from them hold people's full ID numbers (they
    are the user's own rows), so they are kept only as long as someone may still download or
    confirm them. The job rows stay, with their masked summaries, and say when the files went.
    A stored file that a job still pending or running uses (a confirmed import runs on its
    preview's upload) is kept. Returns the number of files deleted.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.JOB_FILES_RETENTION_DAYS)
    finished = (JobStatus.SUCCEEDED, JobStatus.FAILED)
    jobs = list(
        Job.objects.filter(status__in=finished, finished_at__lt=cutoff)
        .filter(~Q(input_file="") | ~Q(result_file=""))
        .order_by("pk")
    )
    if not jobs:
        return 0
    names = {f.name for job in jobs for f in (job.input_file, job.result_file) if f}
    in_use = set()
    for field in ("input_file", "result_file"):
        in_use.update(
            Job.objects.exclude(pk__in=[job.pk for job in jobs])
            .exclude(status__in=finished, finished_at__lt=cutoff)
            .filter(**{f"{field}__in": names})
            .values_list(field, flat=True)
        )
    deleted = 0
    storage = jobs[0].input_file.storage
    for name in sorted(names - in_use):
        if storage.exists(name):
            storage.delete(name)
            deleted += 1
    stamp = now.isoformat()
    purged = []
    for job in jobs:
        if any(f and f.name in in_use for f in (job.input_file, job.result_file)):
            continue
        job.input_file = job.result_file = ""
        job.params = {**job.params, FILES_PURGED: stamp}
        purged.append(job)
    Job.objects.bulk_update(purged, ["input_file", "result_file", "params"])
    if deleted:
        logger.info("deleted %d job files older than %s", deleted, cutoff)
    return deleted
