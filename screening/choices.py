"""Choices of the screening app, with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Comparison(models.TextChoices):
    """How a threshold reads: abnormal at or above it, or below it."""

    AT_OR_ABOVE = "gte", _("abnormal at or above")
    BELOW = "lt", _("abnormal below")


class SuspicionStatus(models.TextChoices):
    TO_CONFIRM = "to_confirm", _("Suspected, to confirm")
    CONFIRMED = "confirmed", _("Confirmed")
    RULED_OUT = "ruled_out", _("Ruled out")


class ExamResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    ABNORMAL = "abnormal", _("Abnormal")
    NOT_DONE = "", _("Not done")


class PhaseKind(models.TextChoices):
    MOBILISE = "mobilise", _("Mobilisation (动员部署)")
    IMPLEMENT = "implement", _("Implementation (组织实施)")
    SUMMARISE = "summarise", _("Feedback and summary (反馈总结)")


class CampaignTarget(models.TextChoices):
    ILLNESS = "illness", _("Households poor or back in poverty because of illness")
    ALL = "all", _("All registered households")


class ItemSource(models.TextChoices):
    """Where an item's completion comes from: marked by hand, or found in the portal."""

    MANUAL = "manual", _("Marked by the team")
    SCREENING = "screening", _("A screening in the campaign window")
    PRESCRIPTION = "prescription", _("A health prescription issued in the window")
    CONTRACT = "contract", _("A family-doctor contract in effect in the window")
    CONTACTS = "contacts", _("Contact numbers (亲情号码) recorded")
    CHECKUP = "checkup", _("A health check-up in the campaign window")
