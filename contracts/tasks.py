"""Background jobs of the contracts app: spreadsheet imports and the daily expiry."""

from __future__ import annotations

import os

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from contracts import services
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_task

IMPORT_KINDS = {"contracts_import": "contracts", "followups_import": "followups"}


def error_file_name(input_name: str) -> str:
    return (
        f"{os.path.splitext(os.path.basename(input_name or 'import'))[0] or 'import'}-errors.xlsx"
    )


IMPORT_TITLES = {"contracts": _("Contracts import"), "followups": _("Follow-ups import")}

for _kind, _importer in IMPORT_KINDS.items():
    register_import(
        _kind,
        importer=f"contracts.importing.import_{_importer}",
        error_file_name=error_file_name,
        slug=_importer,
        title=IMPORT_TITLES[_importer],
        upload_url="contracts:import",
        result_class="contracts.importing.ImportResult",
    )


@job_task("contracts.import")
def import_task(job_id: int) -> dict:
    """Run an uploaded contracts or follow-ups import; the job keeps the result and error file."""
    return run_import_job(job_id)


@shared_task(name="contracts.expire")
def expire_task() -> int:
    """Daily: close the contracts whose year is over."""
    return services.contracts_expire()
