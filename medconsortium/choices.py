"""Choices of the medical-consortium app (医联体), with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EncounterKind(models.TextChoices):
    """门诊 / 住院: the two kinds of encounter a settlement file carries."""

    OUTPATIENT = "outpatient", _("Outpatient")
    INPATIENT = "inpatient", _("Inpatient")


class MajorDiseaseStatus(models.TextChoices):
    """Where a major-disease case stands in its treatment (大病专项救治)."""

    DIAGNOSED = "diagnosed", _("Diagnosed, not yet treated")
    TREATING = "treating", _("Under treatment")
    TREATED = "treated", _("Treatment completed")
    FOLLOW_UP = "follow_up", _("Follow-up care")
    DECEASED = "deceased", _("Deceased")


class ConsortiumKind(models.TextChoices):
    ALLIANCE = "alliance", _("Medical alliance (医联体)")
    COUNTY_COMMUNITY = "community", _("County medical community (医共体)")
    SPECIALTY = "specialty", _("Specialty alliance (专科联盟)")
    CITY_GROUP = "city_group", _("City medical group (城市医疗集团)")
    TELEMEDICINE = "telemedicine", _("Telemedicine network (远程医疗协作网)")


class ConsortiumStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class CooperationItem(models.TextChoices):
    REMOTE_ECG = "remote_ecg", _("Remote ECG")
    REMOTE_IMAGING = "remote_imaging", _("Remote imaging")
    REMOTE_CONSULTATION = "remote_consultation", _("Remote consultation")
    TRAINING = "training", _("Training")
    SPECIALTY_ALLIANCE = "specialty_alliance", _("Specialty alliance")
    EXPERT_SESSIONS = "expert_sessions", _("Expert sessions")
    REFERRAL = "referral", _("Two-way referral")


class HalfDay(models.TextChoices):
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class ExchangeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ConsultationKind(models.TextChoices):
    CONSULTATION = "consultation", _("Remote consultation")
    ECG = "ecg", _("Remote ECG")
    IMAGING = "imaging", _("Remote imaging")


class Direction(models.TextChoices):
    UP = "up", _("Up-referral")
    DOWN = "down", _("Down-referral")


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    ADMITTED = "admitted", _("Admitted")
    SEEN = "seen", _("Seen as outpatient")
    DISCHARGED = "discharged", _("Discharged")
    RETURNED = "returned", _("Returned down")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ReservedKind(models.TextChoices):
    NONE = "", _("No reserved capacity")
    SLOT = "slot", _("Reserved expert appointment")
    BED = "bed", _("Reserved bed")
