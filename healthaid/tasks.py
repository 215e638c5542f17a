"""Background jobs of the shared core."""

from celery import shared_task
from django.db import connection
from django.utils import timezone

from healthaid.jobs import purge_job_files, reap_stale_jobs


@shared_task(name="healthaid.heartbeat")
def heartbeat_task() -> dict:
    """Scheduled by beat every minute: proves worker, beat and database are alive.

    Its result row (django-celery-results) is what ``/healthz`` reads as the last beat.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"at": timezone.now().isoformat()}


@shared_task(name="healthaid.echo")
def echo_task(value):
    """Returns its argument; used to check that a worker consumes from the broker."""
    return value


@shared_task(name="healthaid.purge_job_files")
def purge_job_files_task() -> int:
    """Scheduled by beat every night: delete job files past their retention."""
    return purge_job_files()


@shared_task(name="healthaid.reap_stale_jobs")
def reap_stale_jobs_task() -> int:
    """Scheduled by beat every 5 minutes: fail the running jobs whose worker died."""
    return reap_stale_jobs()
