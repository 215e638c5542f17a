"""Data approval (数据审核), after DHIS2's: one approval per unit and period.

A township submits its period's records (follow-ups, screenings, check-ups), a hospital its
settlements, with a note; county staff return them with a comment or approve them. Once
approved, the unit's records of the period are locked: only county staff may change them, and
each such change is listed on the approval (``ApprovalEdit``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals.choices import ApprovalStatus, PeriodKind, StepAction, UnitKind
from approvals.periods import period_label
from healthaid.models import BaseModel, Institution, Region
from healthaid.scoping import ScopedQuerySet

__all__ = ["Approval", "ApprovalStep", "ApprovalEdit"]


class ApprovalQuerySet(ScopedQuerySet):
    scope_field = "region__code"

    def visible_to_institution(self, institution):
        """Hospital staff see their own institution's approvals."""
        if institution is None:
            return self.none()
        return self.filter(institution=institution)


class Approval(BaseModel):
    """A unit's figures of one period, submitted for review and approved or returned.

    ``region`` is the township for a township, the institution's region for an institution:
    the scope reads it, so county staff see every unit of their county.
    """

    unit_kind = models.CharField(_("unit type"), max_length=16, choices=UnitKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_kind = models.CharField(_("period type"), max_length=8, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("period number"))
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=16, choices=ApprovalStatus.choices)
    note = models.TextField(_("submission note"), blank=True)
    comment = models.TextField(_("review comment"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "region_id", "institution_id"]
        verbose_name = _("data approval")
        verbose_name_plural = _("data approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "start", "end"],
                condition=Q(institution__isnull=True),
                name="approval_one_per_township_period",
            ),
            models.UniqueConstraint(
                fields=["institution", "start", "end"],
                condition=Q(institution__isnull=False),
                name="approval_one_per_institution_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.unit_name} {self.period_label}"

    @property
    def unit_name(self) -> str:
        return self.institution.name if self.institution_id else self.region.name

    @property
    def unit_key(self) -> str:
        return str(self.institution_id) if self.institution_id else self.region_id

    @property
    def period_label(self) -> str:
        return period_label(self.period_kind, self.year, self.number)

    def audit_region_code(self) -> str:
        return self.region_id


class ApprovalStep(models.Model):
    """One step of an approval's history: submitted, returned or approved, by whom, with what."""

    approval = models.ForeignKey(
        Approval, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=16, choices=StepAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = models.CharField(_("user name"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    text = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")

    def __str__(self) -> str:
        return f"{self.approval} {self.get_action_display()} {self.by_name}"


class ApprovalEdit(models.Model):
    """A record of an approved unit and period changed afterwards (by county staff)."""

    approval = models.ForeignKey(
        Approval, verbose_name=_("approval"), on_delete=models.CASCADE, related_name="edits"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=255, blank=True)
    record_date = models.DateField(_("record date"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("edit after approval")
        verbose_name_plural = _("edits after approval")

    def __str__(self) -> str:
        return f"{self.approval} {self.action} {self.target_repr}"
