"""Writing, numbering and scheduling briefings.

* :func:`briefing_create` records what to write; :func:`briefing_start` queues the job that
  writes it (``reports.tasks.briefing_task``), or publishes it.
* :func:`briefing_take_number` gives a briefing its 第N期: in one transaction, the briefing's
  row and its publisher's counter for the year are locked (``select_for_update``), a briefing
  that has a number keeps it, otherwise the counter goes up by one and the number is saved
  with it. A unique constraint (publisher, year, number) backs it. So a publish job that was
  killed after taking its number and runs again writes the same number, and the next
  briefing gets the next one: never twice, never skipped.
* :func:`schedule_save` keeps each :class:`BriefingSchedule` as a django-celery-beat
  ``PeriodicTask`` (and its ``CrontabSchedule``): the DatabaseScheduler re-reads changed
  entries, so an edit on the page reaches beat without a restart.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from healthaid.choices import JobStatus, RegionLevel, Role
from healthaid.jobs import job_enqueue
from healthaid.models import Job, Region
from healthaid.scoping import get_profile
from reports.briefings import formats as fmt
from reports.briefings.narrative import validate_template
from reports.briefings.sections import (
    Approval,
    Document,
    allowed_placeholders,
    available_sections,
    build_sections,
)
from reports.models import (
    Briefing,
    BriefingAction,
    BriefingCounter,
    BriefingEvent,
    BriefingKind,
    BriefingSchedule,
    BriefingStatus,
    Frequency,
    NarrativeTemplate,
)

JOB_KIND = "reports.briefing"
SCHEDULED_TASK = "reports.briefing_scheduled"
# Who may write briefings: county staff and supervisors for their area, a township centre's
# doctors for their township (seed 003 is a township health centre's 健康扶贫简报).
GENERATE_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR, Role.TOWNSHIP_DOCTOR})
# Who edits schedules and narrative templates: county staff (and supervisors).
EDIT_ROLES = frozenset({Role.COUNTY_STAFF, Role.SUPERVISOR})


def can_generate(user) -> bool:
    profile = get_profile(user)
    if profile is None:
        return bool(user and user.is_authenticated and user.is_superuser)
    return profile.role in GENERATE_ROLES


def can_edit_schedules(user) -> bool:
    profile = get_profile(user)
    if profile is None:
        return bool(user and user.is_authenticated and user.is_superuser)
    return profile.role in EDIT_ROLES


def publishers_for(user):
    """The regions a user may publish for: those of their scope from prefecture down to
    township (county staff publish for the county or one of its townships)."""
    return Region.objects.visible_to(user).filter(
        level__in=[RegionLevel.PREFECTURE, RegionLevel.COUNTY, RegionLevel.TOWNSHIP]
    )


def briefing_reader(region: Region):
    """The reader a scheduled briefing is written as: the whole of its publisher's area (the
    indicator functions narrow an unrestricted reader to ``region``). Never saved."""
    reader = get_user_model()(username=f"briefing-{region.code}", is_superuser=True)
    reader._healthaid_profile = None
    return reader


# --- templates ------------------------------------------------------------------------------


def narrative_texts(publisher: Region) -> dict[str, str]:
    """The publisher's own templates, else its county's (a township writes in the county's
    words unless it has its own); sections with neither use the defaults."""
    codes = [publisher.code]
    if publisher.level > RegionLevel.COUNTY:
        codes.insert(0, publisher.code[:6].ljust(12, "0"))
    rows = NarrativeTemplate.objects.filter(publisher_id__in=codes).values_list(
        "publisher_id", "section", "text"
    )
    texts: dict[str, str] = {}
    for _code, section, text in sorted(rows, key=lambda row: codes.index(row[0])):
        texts[section] = text
    return texts


def template_save(*, publisher: Region, section: str, text: str, by) -> NarrativeTemplate:
    """Save a publisher's template for ``section``, refused (``ValidationError``) if it names
    a placeholder the section does not have or is not a plain ``{name}``."""
    if section not in available_sections():
        raise ValidationError(_("Unknown section."))
    validate_template(text, allowed_placeholders(section))
    template, _created = NarrativeTemplate.objects.update_or_create(
        publisher=publisher, section=section, defaults={"text": text, "updated_by": by}
    )
    return template


def template_reset(*, publisher: Region, section: str) -> None:
    NarrativeTemplate.objects.filter(publisher=publisher, section=section).delete()


# --- documents ------------------------------------------------------------------------------


def approvals_for(region: Region, start: datetime.date, end: datetime.date) -> list[Approval]:
    """Which units' figures were approved for the period (``approvals.selectors``), when the
    approvals app is installed; none otherwise."""
    from django.apps import apps

    if not apps.is_installed("approvals") or region.level > RegionLevel.TOWNSHIP:
        return []
    from approvals.selectors import period_status

    return [
        Approval(s.unit_name, s.status, str(s.status_label), s.status == "approved")
        for s in period_status(region, start, end)
    ]


def build_document(briefing: Briefing, user=None, *, progress=None, today=None) -> Document:
    publisher = briefing.publisher
    reader = user if user is not None and user.pk else briefing_reader(publisher)
    sections = build_sections(
        reader,
        publisher,
        briefing.start,
        briefing.end,
        texts=narrative_texts(publisher),
        today=today or timezone.localdate(),
        progress=progress,
    )
    issued = briefing.published_at or timezone.now()
    return Document(
        publisher=publisher,
        kind_label=briefing.get_kind_display(),
        issue=fmt.issue_label(briefing.number),
        start=briefing.start,
        end=briefing.end,
        issued_on=timezone.localtime(issued).date(),
        sections=sections,
        approvals=approvals_for(publisher, briefing.start, briefing.end),
    )


def file_stem(briefing: Briefing) -> str:
    return (
        f"{briefing.publisher.name}{briefing.get_kind_display()}{fmt.issue_label(briefing.number)}"
    )


def briefing_write(briefing: Briefing, user=None, *, progress=None) -> Briefing:
    """Write the briefing's xlsx and docx from the figures, replacing any earlier files."""
    from reports.briefings.docx import write_docx
    from reports.briefings.xlsx import write_xlsx

    document = build_document(briefing, user, progress=progress)
    with tempfile.TemporaryDirectory() as tmp:
        xlsx_path = Path(tmp) / "briefing.xlsx"
        docx_path = Path(tmp) / "briefing.docx"
        write_xlsx(document, str(xlsx_path))
        write_docx(document, str(docx_path))
        for field, path, name in (
            (briefing.xlsx_file, xlsx_path, f"{file_stem(briefing)}.xlsx"),
            (briefing.docx_file, docx_path, f"{file_stem(briefing)}.docx"),
        ):
            if field:
                field.delete(save=False)
            with path.open("rb") as handle:
                field.save(name, File(handle), save=False)
    briefing.status = BriefingStatus.PUBLISHED if briefing.number else BriefingStatus.READY
    briefing.error = ""
    briefing.save(update_fields=["xlsx_file", "docx_file", "status", "error"])
    return briefing


def briefing_create(
    *,
    user,
    publisher: Region,
    kind: str,
    start: datetime.date,
    end: datetime.date,
    schedule: BriefingSchedule | None = None,
) -> Briefing:
    if start > end:
        raise ValidationError(_("The start date must not be after the end date."))
    if kind not in BriefingKind.values:
        raise ValidationError(_("Unknown briefing title."))
    return Briefing.objects.create(
        publisher=publisher,
        kind=kind,
        start=start,
        end=end,
        schedule=schedule,
        created_by=user if user is not None and user.pk else None,
    )


def record_event(briefing: Briefing, action: str, user=None, file_format: str = "") -> None:
    BriefingEvent.objects.create(
        briefing=briefing,
        action=action,
        user=user if user is not None and user.pk else None,
        file_format=file_format,
    )


def effective_status(briefing: Briefing) -> str:
    """The briefing's status, except that one left "generating" by a job that failed (its
    worker died and the reaper failed the job, which cannot update the briefing) is failed."""
    if briefing.status != BriefingStatus.GENERATING:
        return briefing.status
    job = Job.objects.filter(kind=JOB_KIND, params__briefing=briefing.pk).order_by("-pk").first()
    if job is not None and job.status in (JobStatus.FAILED, JobStatus.REFUSED):
        return BriefingStatus.FAILED
    return briefing.status


def can_regenerate(briefing: Briefing) -> bool:
    return briefing.number is None and effective_status(briefing) in (
        BriefingStatus.DRAFT,
        BriefingStatus.READY,
        BriefingStatus.FAILED,
    )


def can_publish(briefing: Briefing) -> bool:
    status = effective_status(briefing)
    return status == BriefingStatus.READY or (
        status == BriefingStatus.FAILED and briefing.number is not None
    )


def briefing_start(briefing: Briefing, *, user, task, action: str = "generate") -> Job:
    """Queue the job that writes (``generate``) or publishes (``publish``) ``briefing``:
    ``task`` is ``reports.tasks.briefing_task`` (passed in: the task module reads this one)."""
    if action == "publish":
        if not can_publish(briefing):
            raise PermissionDenied(_("Only a briefing that is ready can be published."))
    elif not can_regenerate(briefing):
        raise PermissionDenied(_("A published briefing is not written again."))
    job = Job(
        kind=JOB_KIND,
        created_by=user if user is not None and user.pk else None,
        region_code=briefing.publisher_id,
        params={"briefing": briefing.pk, "action": action, "language": get_language()},
    )
    with transaction.atomic():
        job.save()
        Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.GENERATING)
        briefing.status = BriefingStatus.GENERATING
        job_enqueue(job, task)
    return job


def briefing_take_number(briefing: Briefing, *, by=None, today=None) -> Briefing:
    """Give ``briefing`` its 第N期 (see the module's docstring); idempotent."""
    with transaction.atomic():
        locked = Briefing.objects.select_for_update().get(pk=briefing.pk)
        if locked.number is None:
            year = (today or timezone.localdate()).year
            BriefingCounter.objects.get_or_create(publisher_id=locked.publisher_id, year=year)
            counter = BriefingCounter.objects.select_for_update().get(
                publisher_id=locked.publisher_id, year=year
            )
            counter.last_number += 1
            counter.save(update_fields=["last_number"])
            locked.year, locked.number = year, counter.last_number
            locked.published_at = timezone.now()
            locked.published_by = by if by is not None and by.pk else None
            locked.save(update_fields=["year", "number", "published_at", "published_by"])
    briefing.refresh_from_db()
    return briefing


def briefing_run(briefing: Briefing, *, action: str, user=None, progress=None) -> Briefing:
    """The job's work: take the number first when publishing, then write the files."""
    if action == "publish":
        briefing_take_number(briefing, by=user)
    try:
        briefing_write(briefing, user, progress=progress)
    except Exception as exc:
        Briefing.objects.filter(pk=briefing.pk).update(
            status=BriefingStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    record_event(
        briefing,
        BriefingAction.PUBLISHED if action == "publish" else BriefingAction.GENERATED,
        user,
    )
    return briefing


# --- schedules ------------------------------------------------------------------------------

CRON_MONTHS = {
    Frequency.MONTHLY: "*",
    Frequency.QUARTERLY: "1,4,7,10",
    Frequency.HALF_YEARLY: "1,7",
}


def periodic_task_name(schedule: BriefingSchedule) -> str:
    return f"reports.briefing-schedule-{schedule.pk}"


def schedule_save(schedule: BriefingSchedule) -> BriefingSchedule:
    """Save ``schedule`` and its beat entry: on the 1st of the month after each period, at
    06:00, ``reports.briefing_scheduled(schedule_id)``; disabled with the schedule."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    with transaction.atomic():
        schedule.save()
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour="6",
            day_of_month="1",
            month_of_year=CRON_MONTHS[schedule.frequency],
            day_of_week="*",
            timezone=timezone.get_current_timezone_name(),
        )
        task = schedule.periodic_task or PeriodicTask(name=periodic_task_name(schedule))
        task.task = SCHEDULED_TASK
        task.crontab = crontab
        task.interval = None
        task.kwargs = json.dumps({"schedule_id": schedule.pk})
        task.enabled = schedule.enabled
        task.description = str(schedule)
        task.save()
        if schedule.periodic_task_id != task.pk:
            schedule.periodic_task = task
            schedule.save(update_fields=["periodic_task"])
    return schedule


def schedule_delete(schedule: BriefingSchedule) -> None:
    with transaction.atomic():
        if schedule.periodic_task_id:
            schedule.periodic_task.delete()
        schedule.delete()


def scheduled_period(frequency: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last whole month, quarter or half year before ``today``."""
    first_of_month = today.replace(day=1)
    end = first_of_month - datetime.timedelta(days=1)
    if frequency == Frequency.MONTHLY:
        return end.replace(day=1), end
    months = 3 if frequency == Frequency.QUARTERLY else 6
    start_month = ((end.month - 1) // months) * months + 1
    start = datetime.date(end.year, start_month, 1)
    if start_month + months - 1 != end.month:  # not run at the period's end: the one before
        end = start - datetime.timedelta(days=1)
        start = datetime.date(end.year, end.month - months + 1, 1)
    return start, end


def run_schedule(schedule_id: int, *, today: datetime.date | None = None) -> Briefing | None:
    """Write the briefing a schedule is due (the period that just ended), once: a second run
    for the same period writes the same briefing again unless it is already written."""
    schedule = BriefingSchedule.objects.select_related("publisher").filter(pk=schedule_id).first()
    if schedule is None or not schedule.enabled:
        return None
    start, end = scheduled_period(schedule.frequency, today or timezone.localdate())
    briefing = Briefing.objects.filter(schedule=schedule, start=start, end=end).first()
    if briefing is None:
        briefing = briefing_create(
            user=None,
            publisher=schedule.publisher,
            kind=schedule.kind,
            start=start,
            end=end,
            schedule=schedule,
        )
    elif not can_regenerate(briefing) or briefing.status == BriefingStatus.READY:
        return briefing
    Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.GENERATING)
    return briefing_run(briefing, action="generate")
