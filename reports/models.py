"""Briefings (简报): numbered issues, their schedules, narrative templates and download history.

A briefing is written from the indicator functions (``reports.briefings``); it gets its
第N期 only when it is published (``reports.briefings.services.briefing_publish``), from a
counter per publisher and year taken under a row lock, so a number is never given twice nor
skipped, and a publish that runs again keeps the number it was given the first time.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthaid.models import Region
from healthaid.scoping import ScopedQuerySet


class BriefingKind(models.TextChoices):
    WORK = "work", "卫生健康工作简报"
    POVERTY = "poverty", "健康扶贫简报"


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("briefing", "Draft")
    GENERATING = "generating", _("Generating")
    READY = "ready", _("Ready")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", pgettext_lazy("briefing", "Failed")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("frequency", "Monthly")
    QUARTERLY = "quarterly", pgettext_lazy("frequency", "Quarterly")
    HALF_YEARLY = "half_yearly", pgettext_lazy("frequency", "Half-yearly")


class BriefingQuerySet(ScopedQuerySet):
    scope_field = "publisher__code"


def briefing_file_path(instance, filename: str) -> str:
    return f"briefings/{instance.publisher_id}/{instance.uuid}/{filename}"


class Briefing(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    publisher = models.ForeignKey(
        Region, verbose_name=_("publisher"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("title"), max_length=16, choices=BriefingKind.choices, default=BriefingKind.WORK
    )
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=16, choices=BriefingStatus.choices, default=BriefingStatus.DRAFT
    )
    year = models.PositiveSmallIntegerField(_("year of issue"), null=True, blank=True)
    number = models.PositiveIntegerField(_("issue number"), null=True, blank=True)
    schedule = models.ForeignKey(
        "reports.BriefingSchedule",
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="briefings",
    )
    xlsx_file = models.FileField(
        _("Excel file"), upload_to=briefing_file_path, max_length=255, blank=True
    )
    docx_file = models.FileField(
        _("Word file"), upload_to=briefing_file_path, max_length=255, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BriefingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("briefing")
        verbose_name_plural = _("briefings")
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "year", "number"], name="briefing_number_once_a_year"
            ),
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="briefing_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publisher.name} {self.get_kind_display()} {self.issue_label}"

    @property
    def issue_label(self) -> str:
        from reports.briefings.formats import issue_label

        return issue_label(self.number)


class BriefingCounter(models.Model):
    """The last 第N期 given by a publisher in a year (locked while a number is taken)."""

    publisher = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publisher", "year"], name="briefing_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.publisher_id} {self.year}: {self.last_number}"


class BriefingScheduleQuerySet(ScopedQuerySet):
    scope_field = "publisher__code"


class BriefingSchedule(models.Model):
    """A briefing written on schedule; kept as a django-celery-beat entry (``periodic_task``)
    that the services rewrite whenever the schedule is saved, so beat sees every edit."""

    publisher = models.ForeignKey(
        Region, verbose_name=_("publisher"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("title"), max_length=16, choices=BriefingKind.choices, default=BriefingKind.WORK
    )
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BriefingScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["publisher_id", "frequency", "kind"]
        verbose_name = _("briefing schedule")
        verbose_name_plural = _("briefing schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "kind", "frequency"], name="briefing_schedule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publisher.name} {self.get_kind_display()} {self.get_frequency_display()}"


class BriefingAction(models.TextChoices):
    GENERATED = "generated", _("Generated")
    PUBLISHED = "published", pgettext_lazy("briefing action", "Published")
    DOWNLOADED = "downloaded", _("Downloaded")


class BriefingEventQuerySet(ScopedQuerySet):
    scope_field = "briefing__publisher__code"


class BriefingEvent(models.Model):
    """The download history: who generated, published or downloaded which file, and when
    (``user`` is empty for a scheduled run)."""

    briefing = models.ForeignKey(
        Briefing, verbose_name=_("briefing"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=16, choices=BriefingAction.choices)
    file_format = models.CharField(_("format"), max_length=8, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    objects = BriefingEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("briefing event")
        verbose_name_plural = _("briefing events")

    def __str__(self) -> str:
        return f"{self.briefing_id} {self.action} {self.file_format} {self.at:%Y-%m-%d %H:%M}"


class NarrativeTemplateQuerySet(ScopedQuerySet):
    scope_field = "publisher__code"


class NarrativeTemplate(models.Model):
    """A publisher's own wording of a section's paragraph, with the figures as named
    placeholders ({outpatient_visits}); sections without one use the default text."""

    publisher = models.ForeignKey(
        Region, verbose_name=_("publisher"), on_delete=models.CASCADE, related_name="+"
    )
    section = models.CharField(_("section"), max_length=32)
    text = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = NarrativeTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("narrative template")
        verbose_name_plural = _("narrative templates")
        constraints = [
            models.UniqueConstraint(fields=["publisher", "section"], name="narrative_once")
        ]

    def __str__(self) -> str:
        return f"{self.publisher_id} {self.section}"
