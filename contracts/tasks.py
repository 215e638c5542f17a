"""Background jobs of the contracts app: spreadsheet imports, the daily expiry and the
counties' figures kept warm."""

from __future__ import annotations

import logging
import os

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from contracts import selectors, services
from healthaid.importing.jobs import register_import, run_import_job
from healthaid.jobs import job_task

logger = logging.getLogger(__name__)

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


@shared_task(name="contracts.warm_figures", ignore_result=True)
def warm_figures_task() -> list[str]:
    """Every minute (beat): compute the counties' contract figures that the pages will ask
    for and that are missing from the cache (``selectors.warm_area_figures``), so that a
    supervisor's prefecture is a sum of cached rows. No result row: it runs 1,440 times a day.
    """
    computed = selectors.warm_area_figures()
    if computed:
        logger.info("contract figures warmed: %s", ", ".join(computed))
    return computed
