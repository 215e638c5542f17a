"""Background jobs of the contracts app: spreadsheet imports and the daily expiry."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from contracts import services
from contracts.importing import IMPORTERS, ImportRefused
from healthaid.choices import JobStatus
from healthaid.jobs import job_fail, job_finish, job_start, progress_reporter
from healthaid.models import Job

IMPORT_KINDS = {"contracts_import": "contracts", "followups_import": "followups"}


@shared_task(name="contracts.import")
def import_task(job_id: int) -> dict:
    """Run an uploaded contracts or follow-ups import; the job keeps the result and error file."""
    job = Job.objects.get(pk=job_id)
    job_start(job)
    try:
        user = get_user_model().objects.filter(pk=job.created_by_id).first()
        importer = IMPORTERS[IMPORT_KINDS[job.kind]]
        with job.input_file.open("rb") as handle:
            data = handle.read()
        result = importer(
            data,
            job.input_name,
            by=user,
            skip_invalid=bool(job.params.get("skip_invalid")),
            dry_run=bool(job.params.get("dry_run")),
            progress=progress_reporter(job, every=500),
        )
    except ImportRefused as exc:
        job_finish(job, status=JobStatus.REFUSED, result={"message": exc.message}, error="")
        return {"refused": exc.message}
    except Exception as exc:
        job_fail(job, exc)
        raise
    if result.error_file:
        job.result_file.save("errors.xlsx", ContentFile(result.error_file), save=False)
    status = JobStatus.REFUSED if result.refused else JobStatus.SUCCEEDED
    job_finish(job, status=status, result=result.summary())
    return result.summary()


@shared_task(name="contracts.expire")
def expire_task() -> int:
    """Daily: close the contracts whose year is over."""
    return services.contracts_expire()
