"""The screening app's files that grow with a village or a county, built as background jobs
(``screening.tasks.export_task``), never inside the request: a village's health
prescriptions as one PDF, and a unit's 反馈总结 summary draft as xlsx (it reads the whole
campaign's progress and the overdue households of each of the unit's teams).

The page starts the job (``new_export_job``, queued with ``healthaid.jobs.job_enqueue``) and shows its progress, then offers the file,
deleted with the other job files after ``JOB_FILES_RETENTION_DAYS``. The job's parameters
are applied again to its creator's scope when it runs: a job never reads more than its
creator may see.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.base import ContentFile
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from healthaid.models import Job
from healthaid.scoping import get_profile, scope_prefix_within
from screening import printing, selectors, summary
from screening.models import Campaign, IssuedPrescription, WorkTeam

__all__ = ["EXPORT_KINDS", "export_file_name", "new_export_job", "run_export_job"]

VILLAGE_PRESCRIPTIONS = "village_prescriptions"
UNIT_SUMMARY = "unit_summary"
EXPORT_KINDS = {
    VILLAGE_PRESCRIPTIONS: "screening.village_prescriptions",
    UNIT_SUMMARY: "screening.unit_summary",
}
CONTENT_TYPES = {
    VILLAGE_PRESCRIPTIONS: "application/pdf",
    UNIT_SUMMARY: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_kind(job: Job) -> str:
    return next(kind for kind, job_kind in EXPORT_KINDS.items() if job_kind == job.kind)


def export_file_name(job: Job) -> str:
    kind = export_kind(job)
    if kind == VILLAGE_PRESCRIPTIONS:
        return f"prescriptions-village-{job.params.get('village', '')}.pdf"
    return f"summary-{job.params.get('campaign', '')}.xlsx"


def new_export_job(kind: str, *, user, params: dict) -> Job:
    """The job row of an export (the view queues its task once the row is committed)."""
    profile = get_profile(user)
    return Job.objects.create(
        kind=EXPORT_KINDS[kind],
        created_by=user,
        region_code=profile.region.code if profile else "",
        params={**params, "language": get_language()},
    )


def _village_prescriptions(job: Job, user, progress) -> tuple[bytes, dict]:
    code = job.params.get("village", "")
    prefix = scope_prefix_within(user)
    if prefix is None or not code.startswith(prefix):
        raise Http404
    issued = IssuedPrescription.objects.visible_to(user).filter(member__household__village=code)
    progress(0, 2)
    pages = printing.pages_for(issued)
    progress(1, 2)
    content = printing.render_pdf(pages) if pages else b""
    progress(2, 2)
    return content, {"pages": len(pages)}


def _unit_summary(job: Job, user, progress) -> tuple[bytes, dict]:
    campaign = (
        Campaign.objects.visible_to(user)
        .select_related("county")
        .filter(pk=job.params.get("campaign"))
        .first()
    )
    if campaign is None:
        raise Http404
    unit = job.params.get("unit", "")
    teams = list(
        WorkTeam.objects.visible_to(user).filter(campaign=campaign, unit_name=unit).order_by("name")
    )
    if not teams:
        raise Http404
    total = len(teams) + 2
    progress(0, total)
    progress_ = selectors.campaign_progress(campaign, user)
    progress(1, total)
    content = summary.unit_summary_xlsx(
        progress_, unit, teams, on_team=lambda done: progress(1 + done, total)
    )
    progress(total, total)
    return content, {"teams": len(teams), "unit": unit}


def run_export_job(job: Job, *, user, progress: Callable[[int, int], None]) -> dict:
    """Build the job's file into its result; the summary for ``job.result``."""
    kind = export_kind(job)
    build = _village_prescriptions if kind == VILLAGE_PRESCRIPTIONS else _unit_summary
    content, result = build(job, user, progress)
    if not content:
        return {
            **result,
            "empty": True,
            "message": _("No health prescription has been issued here yet."),
        }
    job.result_file.save(export_file_name(job), ContentFile(content), save=False)
    return {**result, "bytes": len(content), "built_on": timezone.localdate().isoformat()}
