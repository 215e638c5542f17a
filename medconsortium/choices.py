"""Choices of the medical-consortium app, with Chinese labels through gettext."""

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
