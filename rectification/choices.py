"""Choices of the rectification tracker (问题整改), with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    """Where a finding came from."""

    PATROL = "patrol", _("Inspection tour (巡视)")
    SUPERVISION = "supervision", _("Supervision (督查)")
    UNANNOUNCED = "unannounced", _("Unannounced visit (明察暗访)")
    AUDIT = "audit", pgettext_lazy("finding source", "Audit")
    OTHER = "other", pgettext_lazy("finding source", "Other")


class ItemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("rectification status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CHECK = "awaiting_check", _("Done, awaiting check")
    CLOSED = "closed", _("Closed (销号)")
    OVERDUE = "overdue", _("Overdue")


NOT_CLOSED = (
    ItemStatus.OPEN,
    ItemStatus.IN_PROGRESS,
    ItemStatus.AWAITING_CHECK,
    ItemStatus.OVERDUE,
)
