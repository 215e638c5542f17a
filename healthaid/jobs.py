"""Running a ``Job``: start it after the request's transaction commits, report progress.

Jobs that end: every job task is declared with :func:`job_task` (``acks_late`` and
``reject_on_worker_lost``, so a worker killed mid-job leaves its message to be delivered again
instead of recording success).  A running job has a heartbeat (``Job.heartbeat_at``), beaten by
the progress reporter and by :func:`job_heartbeat`'s timer during long steps; :func:`reap_stale_jobs`
(beat, every few minutes) fails a job whose heartbeat is stale with "处理中断，请重新提交", its files
kept for the retry; :func:`job_claim` lets a redelivered task run such a job again from the start.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
from collections.abc import Callable, Iterator

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthaid.choices import JobStatus
from healthaid.models import Job

logger = logging.getLogger(__name__)


def job_enqueue(job: Job, task) -> None:
    """Queue ``task(job.id)`` once the row that describes it is committed."""
    transaction.on_commit(lambda: task.delay(job.pk))


def job_task(name: str, **options):
    """``shared_task`` for a job's task: acknowledged only once it has run (``acks_late``), and
    given back to the broker if the worker process dies under it (``reject_on_worker_lost``),
    so that an OOM-killed import is delivered again rather than recorded as done."""
    return shared_task(name=name, acks_late=True, reject_on_worker_lost=True, **options)


def job_start(job: Job) -> None:
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])


INTERRUPTED = "interrupted_at"
"""Key in ``Job.params``: when :func:`reap_stale_jobs` failed the job for a stale heartbeat."""


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


def job_claim(job: Job) -> bool:
    """Start ``job`` if this delivery of its task should run it, atomically; False if not.

    It runs when it is waiting, when it is "running" with a stale heartbeat (its worker died
    and the broker delivered the message again), or when the reaper has since failed it as
    interrupted: then it runs again from the start (imports are all or nothing, so nothing of
    the first run was written).  A job running with a fresh heartbeat or finished otherwise is
    left alone, so a message delivered twice does not run twice.
    """
    now = timezone.now()
    runnable = (
        Q(status=JobStatus.PENDING)
        | Q(status=JobStatus.RUNNING, heartbeat_at__lt=_stale_before(now))
        | Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True)
        | Q(status=JobStatus.FAILED, params__has_key=INTERRUPTED)
    )
    claimed = (
        Job.objects.filter(runnable, pk=job.pk).update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error="",
            progress=0,
        )
        == 1
    )
    if claimed:
        if job.status != JobStatus.PENDING:
            logger.warning("job %s (%s) runs again after an interruption", job.pk, job.status)
        job.refresh_from_db()
    return claimed


def job_beat(job: Job) -> None:
    """Record that ``job`` is alive (a queryset update: other fields are left alone)."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(heartbeat_at=now)
    job.heartbeat_at = now


@contextlib.contextmanager
def job_heartbeat(job: Job, every: float | None = None) -> Iterator[None]:
    """Beat ``job``'s heartbeat from a timer thread while the block runs (a long write, a
    slow read), every ``JOB_HEARTBEAT_SECONDS``.

    The thread has its own database connection, closed when it stops.  A beat that cannot be
    written (SQLite while the import holds its one write lock) is skipped: the next one comes
    soon, and the reaper waits many beats before it calls a job stale.
    """
    interval = settings.JOB_HEARTBEAT_SECONDS if every is None else every
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # a locked database: skip this beat
                    logger.debug("heartbeat of job %s skipped", job.pk, exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def reap_stale_jobs(*, now: datetime.datetime | None = None) -> int:
    """Fail every running job whose heartbeat is older than ``JOB_STALE_AFTER_SECONDS``.

    Its worker died (killed, out of memory, the machine restarted): the job would otherwise show
    "running" forever.  The message is in the portal's language; the files stay, so the same
    job can run again (a redelivered task does, :func:`job_claim`) or the user can resubmit.
    Returns the number of jobs reaped.
    """
    now = now or timezone.now()
    stale = Job.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=_stale_before(now))
        | Q(heartbeat_at__isnull=True, started_at__lt=_stale_before(now))
        | Q(heartbeat_at__isnull=True, started_at__isnull=True)
    )
    reaped = 0
    for job in stale.order_by("pk"):
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            message = _("Processing was interrupted; please submit again.")
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            error=message,
            finished_at=now,
            params={**job.params, INTERRUPTED: now.isoformat()},
        )
        if updated:
            logger.warning(
                "job %s (%s) had no heartbeat since %s: failed", job.pk, job.kind, job.heartbeat_at
            )
            reaped += updated
    return reaped


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
            now = timezone.now()
            Job.objects.filter(pk=job.pk).update(progress=done, total=total, heartbeat_at=now)
            job.progress, job.total, job.heartbeat_at = done, total, now

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
    """Delete the files of every job older than ``JOB_FILES_RETENTION_DAYS``, whatever its state.

    Uploaded rosters and the error workbooks made from them hold people's full ID numbers (they
    are the user's own rows), so they are kept only as long as someone may still download or
    confirm them: finished, refused, failed, never started or stuck "running", a job's files
    go once its retention has passed (counted from when it finished, or was created if it never
    did).  The one exception is a job still genuinely running (a heartbeat fresher than
    ``JOB_STALE_AFTER_SECONDS``), and a stored file such a job, or a younger one, uses (a
    confirmed import runs on its preview's upload).  The job rows stay, with their masked
    summaries, and say when the files went.  Returns the number of files deleted.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.JOB_FILES_RETENTION_DAYS)
    alive = Q(status=JobStatus.RUNNING, heartbeat_at__gte=_stale_before(now))
    expired = Job.objects.alias(age=Coalesce(F("finished_at"), F("created_at"))).filter(
        age__lt=cutoff
    )
    jobs = list(
        expired.exclude(alive).filter(~Q(input_file="") | ~Q(result_file="")).order_by("pk")
    )
    if not jobs:
        return 0
    names = {f.name for job in jobs for f in (job.input_file, job.result_file) if f}
    in_use = set()
    for field in ("input_file", "result_file"):
        in_use.update(
            Job.objects.exclude(pk__in=[job.pk for job in jobs])
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
