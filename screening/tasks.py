"""Background jobs of the screening app."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from healthaid.choices import JobStatus
from healthaid.jobs import job_claim, job_fail, job_finish, job_task, progress_reporter
from healthaid.models import Job
from screening.models import Campaign
from screening.states import rebuild_campaign_states

logger = logging.getLogger(__name__)


# A county this small has its campaign's states rebuilt in the request that changed the
# campaign (a second or less); a larger one (元谋: 15,000 households, ~10 s of CPU) in a worker.
REBUILD_IN_REQUEST_UP_TO = 2000


def rebuild_states_soon(campaign: Campaign) -> None:
    """After a campaign's window or items changed: its states now if the county is small,
    else by the worker once the change commits (progress shows the old states till then)."""
    from django.db import transaction

    from households.models import Household

    households = Household.objects.filter(village__code__startswith=campaign.county.prefix)
    if households.count() <= REBUILD_IN_REQUEST_UP_TO:
        rebuild_campaign_states(campaign)
        return
    campaign_id = campaign.pk
    transaction.on_commit(lambda: rebuild_states_task.delay(campaign_id))


@shared_task(name="screening.rebuild_states", acks_late=True, reject_on_worker_lost=True)
def rebuild_states_task(campaign_id: int) -> int:
    """Recompute a campaign's five-ones item states (after its window or items changed)."""
    campaign = Campaign.objects.select_related("county").filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    return rebuild_campaign_states(campaign)


@job_task("screening.export")
def export_task(job_id: int) -> dict:
    """Build a village's prescriptions PDF or a unit's summary xlsx (``screening.exports``)
    into the job's file. A job running with a fresh heartbeat or finished is left alone."""
    from screening.exports import run_export_job

    job = Job.objects.get(pk=job_id)
    if not job_claim(job):
        logger.warning("screening export job %s is %s already; not run again", job.pk, job.status)
        return job.result
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    language = job.params.get("language") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            result = run_export_job(job, user=user, progress=progress_reporter(job, every=1))
    except Exception as exc:
        job_fail(job, exc)
        raise
    job_finish(job, status=JobStatus.SUCCEEDED, result=result)
    return result
