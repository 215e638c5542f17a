"""Background work of the rectification tracker: the daily overdue flag and the list import."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from healthaid.choices import Role
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_task

RECTIFICATION_IMPORT_KIND = "rectification.import"


def _error_file_name(input_name: str) -> str:
    from rectification.importing import error_file_name

    return error_file_name(input_name)


register_import(
    RECTIFICATION_IMPORT_KIND,
    importer="rectification.importing.rectification_import",
    error_file_name=_error_file_name,
    slug="rectification",
    title=_("Rectification list import"),
    upload_url="rectification:import",
    roles=frozenset({Role.COUNTY_STAFF}),
    result_class="rectification.importing.RectificationImportResult",
    counts=(
        ("created", _("new items")),
        ("unchanged", _("already held")),
        ("skipped", _("skipped")),
    ),
)


@shared_task(name="rectification.flag_overdue")
def flag_overdue_task() -> int:
    """Scheduled by beat every morning: items past their deadline and not closed are overdue."""
    from rectification.services import items_flag_overdue

    return items_flag_overdue()


@job_task("rectification.import")
def rectification_import_task(job_id: int) -> dict:
    """Run an uploaded 问题清单 (a check when ``params["dry_run"]``) on the job's file."""
    return run_import_job(job_id)
