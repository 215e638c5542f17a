"""The rectification tracker (问题整改): findings of inspections, audits and patrols, followed
until county staff close them (销号) with evidence."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthaid.models import BaseModel, Region
from healthaid.scoping import ScopedQuerySet
from rectification.choices import ItemStatus, Source

__all__ = ["RectificationItem", "Evidence"]


class RectificationItemQuerySet(ScopedQuerySet):
    scope_field = "region__code"


class RectificationItem(BaseModel):
    """One finding and its rectification: who must fix what, by when, and where it stands.

    ``region`` is the county for a county-level unit, or the township responsible: the scope
    reads it. Status changes go through ``rectification.services`` (audited); ``overdue`` is
    set by the daily beat task on items past their deadline and not closed.
    """

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    found_on = models.DateField(_("found on"))
    finding = models.TextField(_("finding"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=128)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    measures = models.TextField(_("measures"), blank=True)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RectificationItemQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["found_on"]),
        ]

    def __str__(self) -> str:
        text = self.finding if len(self.finding) <= 40 else f"{self.finding[:40]}…"
        return f"{self.responsible_unit}: {text}"

    def audit_region_code(self) -> str:
        return self.region_id


def evidence_path(instance, filename: str) -> str:
    return f"rectification/{instance.item_id}/{uuid.uuid4().hex}/{filename}"


class EvidenceQuerySet(ScopedQuerySet):
    scope_field = "item__region__code"


class Evidence(BaseModel):
    """A file that shows a finding was rectified (a scan, a photo, a PDF)."""

    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("rectification item"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.item.region_id
