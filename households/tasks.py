"""Background jobs of the households app: the roster import and its preview.

The import runs through the shared framework (:mod:`healthaid.importing.jobs`), which finds
``roster_import`` by its path when the job runs: this module does not import the roster
service, so the service can queue :func:`analyze_registry` without an import cycle.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from healthaid.choices import JobStatus
from healthaid.importing.bulk import tables_sql
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_claim, job_fail, job_finish, job_task, progress_reporter
from healthaid.models import Job
from healthaid.scoping import REGISTRY_WRITE_ROLES
from households.models import REGISTRY_MODELS

logger = logging.getLogger(__name__)

ROSTER_IMPORT_KIND = "households.roster_import"


def error_file_name(input_name: str) -> str:
    """``花名册.xlsx`` → ``花名册-错误行.xlsx`` (in the active language)."""
    stem = os.path.splitext(os.path.basename(input_name))[0] or "roster"
    return _("%(name)s-rows-with-errors.xlsx") % {"name": stem}


register_import(
    ROSTER_IMPORT_KIND,
    importer="households.importing.service.roster_import",
    error_file_name=error_file_name,
    slug="roster",
    title=gettext_lazy("Roster import"),
    upload_url="households:import",
    roles=REGISTRY_WRITE_ROLES,
    result_class="households.importing.service.ImportResult",
    applied_message=gettext_lazy("The roster was imported."),
    counts=(),  # the households and members counts: its summary_template
    template="households/importing/job.html",
    job_context="households.importing.views.roster_job_context",
)


@job_task("households.roster_import")
def roster_import_task(job_id: int) -> dict:
    """Run the roster import (a preview when ``params["dry_run"]``) on the job's stored file.

    The job keeps the summary (counts, messages, masked values: never a full ID number) and,
    when rows were rejected, the error workbook for download.  A job already running (with a
    fresh heartbeat) or finished is left alone, so a message delivered twice does not import
    twice; one whose worker died runs again from the start.
    """
    return run_import_job(job_id)


@job_task("households.analyze_registry", ignore_result=True)
def analyze_registry() -> None:
    """Refresh PostgreSQL's planner statistics of the registry's tables after a bulk import.

    Queued by the roster import once it has committed many new records: until autovacuum gets
    round to it, the planner would plan the lists and look-ups for the tables' old, small
    sizes.  Nothing to do on other databases.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables_sql(REGISTRY_MODELS)}")


# --- list exports -------------------------------------------------------------------------------


@job_task("households.export")
def export_task(job_id: int) -> dict:
    """Write a household or member list export (``households.exports``) to the job's file.

    Audited in the exporter's name and from the address they asked from. A job running with
    a fresh heartbeat or finished is left alone, so a message delivered twice does not export
    twice; one whose worker died is written again from the start (``job_claim``).
    """
    from healthaid.audit import request_context
    from households.exports import run_export_job

    job = Job.objects.get(pk=job_id)
    if not job_claim(job):
        logger.warning("export job %s is %s already; not run again", job.pk, job.status)
        return job.result
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
