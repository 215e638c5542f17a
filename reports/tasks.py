"""Background jobs of reports: writing and publishing briefings, and scheduled briefings."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from healthaid.choices import JobStatus
from healthaid.jobs import (
    job_claim,
    job_fail,
    job_finish,
    job_heartbeat,
    job_task,
    progress_reporter,
)
from healthaid.models import Job

logger = logging.getLogger(__name__)


@job_task("reports.briefing")
def briefing_task(job_id: int) -> dict:
    """Write (or publish) the job's briefing. A job already running with a fresh heartbeat or
    finished is left alone; one whose worker died runs again from the start, and a publish
    keeps the number it took the first time (``briefing_take_number``)."""
    from reports.briefings.services import briefing_run
    from reports.models import Briefing

    job = Job.objects.get(pk=job_id)
    if not job_claim(job):
        logger.warning("briefing job %s is %s already; not run again", job.pk, job.status)
        return job.result
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    language = job.params.get("language") or settings.LANGUAGE_CODE
    try:
        briefing = Briefing.objects.select_related("publisher").get(pk=job.params["briefing"])
        with translation.override(language), job_heartbeat(job):
            briefing_run(
                briefing,
                action=job.params.get("action", "generate"),
                user=user,
                progress=progress_reporter(job, every=1),
            )
    except Exception as exc:
        job_fail(job, exc)
        raise
    result = {"briefing": str(briefing.uuid), "number": briefing.number}
    job_finish(job, status=JobStatus.SUCCEEDED, result=result)
    return result


@shared_task(name="reports.briefing_scheduled", acks_late=True, reject_on_worker_lost=True)
def scheduled_briefing_task(schedule_id: int) -> str | None:
    """A schedule's beat entry: write the briefing of the period that just ended."""
    from reports.briefings.services import run_schedule

    briefing = run_schedule(schedule_id)
    return None if briefing is None else str(briefing.uuid)
