"""Background jobs of the settlements: the monthly township 通报 (重大疾病诊疗情况通报).

Tasks take ids and are queued on commit (``bulletin_request``); rebuilding a month's bulletin
replaces its file, so a rerun after a worker died doubles nothing.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from healthaid.choices import JobStatus, RegionLevel
from healthaid.jobs import job_enqueue, job_fail, job_start
from healthaid.models import Job, Region
from medconsortium.major_disease import (
    BULLETIN_JOB_KIND,
    bulletin_build,
    major_disease_register_sync,
)


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@shared_task(name="medconsortium.bulletin")
def bulletin_task(job_id: int) -> dict:
    """Build the bulletin a job describes (``params``: township code, month)."""
    job = Job.objects.get(pk=job_id)
    if job.status == JobStatus.SUCCEEDED:
        return job.result
    job_start(job)
    try:
        township = Region.objects.get(code=job.params["township"])
        month = datetime.date.fromisoformat(job.params["month"])
        bulletin_build(township=township, month=month, job=job)
    except Exception as exc:
        job_fail(job, exc)
        raise
    return job.result


def bulletin_request(*, township: Region, month: datetime.date, by=None) -> Job:
    """Queue one township's bulletin for ``month`` (on demand, or from the monthly run)."""
    job = Job.objects.create(
        kind=BULLETIN_JOB_KIND,
        region_code=township.code,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        params={"township": township.code, "month": month.replace(day=1).isoformat()},
    )
    job_enqueue(job, bulletin_task)
    return job


@shared_task(name="medconsortium.monthly_bulletins")
def monthly_bulletins_task(month: str | None = None) -> int:
    """Scheduled by beat on the 1st: last month's bulletin for every township."""
    day = datetime.date.fromisoformat(month) if month else previous_month(timezone.localdate())
    # The register first: cases the month's roster and settlement imports imply are added,
    # so the bulletins report them.
    for county in Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"):
        major_disease_register_sync(county=county, by=None)
    count = 0
    with transaction.atomic():
        for township in Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"):
            bulletin_request(township=township, month=day)
            count += 1
    return count
