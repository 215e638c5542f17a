"""Choices of data approval (数据审核), with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    """What submits: a township for its records, or an institution for its settlements."""

    TOWNSHIP = "township", pgettext_lazy("approval unit", "Township")
    INSTITUTION = "institution", pgettext_lazy("approval unit", "Institution")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half-year")
    YEAR = "year", _("Year")


class ApprovalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", pgettext_lazy("approval status", "Approved")


# Not a stored state: a unit with no approval row for the period.
NOT_SUBMITTED = "not_submitted"
NOT_SUBMITTED_LABEL = _("Not submitted")


class StepAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    RETURN = "return", _("Returned")
    APPROVE = "approve", _("Approved")
