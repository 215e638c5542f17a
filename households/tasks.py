"""Background jobs of the households app: the roster import and its preview.

The import runs through the shared framework (:mod:`healthaid.importing.jobs`), which finds
``roster_import`` by its path when the job runs: this module does not import the roster
service, so the service can queue :func:`analyze_registry` without an import cycle.
"""

from __future__ import annotations

import logging
import os

from django.db import connection
from django.utils.translation import gettext as _

from healthaid.importing.bulk import tables_sql
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_task
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
