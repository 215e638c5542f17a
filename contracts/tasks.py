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

# A warm run queued by a change waits for a run in progress this often, this many times.
WARM_QUEUED_RETRY_SECONDS = 5
WARM_QUEUED_RETRIES = 12

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


@shared_task(
    name=selectors.WARM_TASK,
    bind=True,
    ignore_result=True,
    max_retries=WARM_QUEUED_RETRIES,
    default_retry_delay=WARM_QUEUED_RETRY_SECONDS,
)
def warm_figures_task(self, queued: bool = False) -> list[str]:
    """Every minute (beat): compute the counties' contract figures that the pages will ask
    for and that are missing from the cache (``selectors.warm_area_figures``), so that a
    supervisor's prefecture is a sum of cached rows. No result row: it runs 1,440 times a day.

    ``queued``: sent on the commit of a change to every county (``selectors.queue_warm``).
    If another run holds the lock it may have read the versions before that change, so this
    one tries again a few seconds later instead of leaving the counties to beat's next run.
    """
    computed = selectors.warm_area_figures()
    if computed:
        logger.info("contract figures warmed: %s", ", ".join(computed))
    elif queued and selectors.warm_running():
        raise self.retry()
    return computed
