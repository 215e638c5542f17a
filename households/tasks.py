"""Background jobs of the households app: the roster import and its preview."""

from __future__ import annotations

import logging
import os

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from healthaid.choices import JobStatus
from healthaid.jobs import job_fail, job_finish, job_start, progress_reporter
from healthaid.models import Job
from households.importing.service import registry_tables_sql, roster_import

logger = logging.getLogger(__name__)

ROSTER_IMPORT_KIND = "households.roster_import"


def error_file_name(input_name: str) -> str:
    """``花名册.xlsx`` → ``花名册-错误行.xlsx`` (in the active language)."""
    stem = os.path.splitext(os.path.basename(input_name))[0] or "roster"
    return _("%(name)s-rows-with-errors.xlsx") % {"name": stem}


@shared_task(name="households.roster_import")
def roster_import_task(job_id: int) -> dict:
    """Run the roster import (a preview when ``params["dry_run"]``) on the job's stored file.

    The job keeps the summary (counts, messages, masked values: never a full ID number) and, when
    rows were rejected, the error workbook for download.  A job already started is left alone,
    so a message delivered twice does not import twice.
    """
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.PENDING:
        logger.warning("roster import job %s is %s already; not run again", job.pk, job.status)
        return job.result
    job_start(job)
    dry_run = bool(job.params.get("dry_run"))
    # Messages are stored as text, so they are written in the language of the person who
    # uploaded the file (the worker's own default is the portal's, Chinese).
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        return _run(job, dry_run)


def _run(job: Job, dry_run: bool) -> dict:
    try:
        user = get_user_model().objects.filter(pk=job.created_by_id).first()
        with job.input_file.open("rb") as handle:
            data = handle.read()
        result = roster_import(
            source=data,
            filename=job.input_name,
            by=user,
            dry_run=dry_run,
            skip_invalid=bool(job.params.get("skip_invalid")),
            progress=progress_reporter(job, every=500),
        )
        error_file = result.error_workbook()
        if error_file is not None:
            job.result_file.save(
                error_file_name(job.input_name), ContentFile(error_file), save=False
            )
    except Exception as exc:
        job_fail(job, exc)
        raise
    if dry_run:
        status = JobStatus.SUCCEEDED if not result.file_error else JobStatus.REFUSED
    else:
        status = JobStatus.SUCCEEDED if result.applied else JobStatus.REFUSED
    summary = result.as_dict()
    job_finish(job, status=status, result=summary, error=result.file_error)
    return {key: summary[key] for key in ("applied", "households", "members", "error_rows")}


@shared_task(name="households.analyze_registry", ignore_result=True)
def analyze_registry() -> None:
    """Refresh PostgreSQL's planner statistics of the registry's tables after a bulk import.

    Queued by the roster import once it has committed many new records: until autovacuum gets
    round to it, the planner would plan the lists and look-ups for the tables' old, small
    sizes.  Nothing to do on other databases.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {registry_tables_sql()}")


# --- list exports -------------------------------------------------------------------------------


@shared_task(name="households.export")
def export_task(job_id: int) -> dict:
    """Write a household or member list export (``households.exports``) to the job's file.

    Audited in the exporter's name and from the address they asked from; a job already
    started is left alone, so a message delivered twice does not export twice.
    """
    from healthaid.audit import request_context
    from households.exports import run_export_job

    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.PENDING:
        logger.warning("export job %s is %s already; not run again", job.pk, job.status)
        return job.result
    job_start(job)
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    language = job.params.get("language") or settings.LANGUAGE_CODE
    try:
        with translation.override(language), request_context(ip=job.params.get("ip")):
            result = run_export_job(job, user=user, progress=progress_reporter(job, every=2000))
    except Exception as exc:
        job_fail(job, exc)
        raise
    job_finish(job, status=JobStatus.SUCCEEDED, result=result)
    return result
