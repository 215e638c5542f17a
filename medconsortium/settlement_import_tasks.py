"""The settlement import as a background job (the upload page's), on the shared framework."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from healthaid.choices import Role
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_task

SETTLEMENT_IMPORT_KIND = "medconsortium.settlement_import"


def _error_file_name(input_name: str) -> str:
    from medconsortium.settlement_importing import error_file_name

    return error_file_name(input_name)


register_import(
    SETTLEMENT_IMPORT_KIND,
    importer="medconsortium.settlement_importing.settlement_import",
    error_file_name=_error_file_name,
    slug="settlements",
    title=_("Settlement import"),
    upload_url="settlement-import:upload",
    # medconsortium.settlement_importing.IMPORT_ROLES (not imported here: see _error_file_name).
    roles=frozenset({Role.COUNTY_STAFF, Role.HOSPITAL_STAFF}),
    result_class="medconsortium.settlement_importing.SettlementImportResult",
    counts=(
        ("created", _("new")),
        ("updated", _("corrected")),
        ("unchanged", _("unchanged")),
        ("skipped", _("skipped")),
    ),
)


@job_task("medconsortium.settlement_import")
def settlement_import_task(job_id: int) -> dict:
    """Run an uploaded settlement file (a check when ``params["dry_run"]``) on the job's file."""
    return run_import_job(job_id)
