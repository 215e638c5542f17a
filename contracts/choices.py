"""Choices of the family-doctor contracts app, with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServicePackage(models.TextChoices):
    BASIC = "basic", _("Basic package (free)")
    PERSONALISED = "personalised", _("Personalised package")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class FollowUpPlace(models.TextChoices):
    HOME = "home", _("Home visit")
    CLINIC = "clinic", _("Clinic")
    PHONE = "phone", _("Phone")


class Adherence(models.TextChoices):
    REGULAR = "regular", _("Takes medicine regularly")
    INTERMITTENT = "intermittent", _("Takes medicine intermittently")
    NONE = "none", _("Takes no medicine")


class ControlStatus(models.TextChoices):
    CONTROLLED = "controlled", _("Controlled")
    NOT_CONTROLLED = "not_controlled", _("Not controlled")
    UNKNOWN = "", _("Not assessed")


class WindowStatus(models.TextChoices):
    """Where a follow-up window stands; only ``done`` counts as fulfilled in the rates."""

    DONE = "done", _("Done")
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    LATE = "late", _("Overdue, visited late")
    UPCOMING = "upcoming", _("Upcoming")


class VisitsPerYear(models.IntegerChoices):
    """Frequencies whose windows split the calendar year into equal runs of whole months."""

    ONE = 1, _("Once a year (calendar year)")
    TWO = 2, _("Twice a year (half-years)")
    THREE = 3, _("Three times a year (four-month periods)")
    FOUR = 4, _("Four times a year (quarters)")
    SIX = 6, _("Six times a year (two-month periods)")
    TWELVE = 12, _("Monthly")
