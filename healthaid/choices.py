"""Choices of the shared core, with Chinese labels through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    """Levels of the administrative tree; the value is the length of the code prefix."""

    PROVINCE = 2, _("Province")
    PREFECTURE = 4, _("Prefecture")
    COUNTY = 6, _("County")
    TOWNSHIP = 9, _("Township")
    VILLAGE = 12, _("Village")


class InstitutionKind(models.TextChoices):
    TERTIARY_HOSPITAL = "tertiary", _("Tertiary hospital")
    SECONDARY_HOSPITAL = "secondary", _("Secondary hospital")
    COUNTY_HOSPITAL = "county", _("County people's hospital")
    TCM_HOSPITAL = "tcm", _("TCM hospital")
    MATERNAL_CHILD = "mch", _("Maternal and child health hospital")
    TOWNSHIP_CENTRE = "township", _("Township health centre")
    VILLAGE_CLINIC = "village", _("Village clinic")
    HEALTH_BUREAU = "bureau", _("Health bureau")


class InstitutionLevel(models.TextChoices):
    GRADE_3A = "3A", _("Grade III-A")
    GRADE_3 = "3", _("Grade III")
    GRADE_2A = "2A", _("Grade II-A")
    GRADE_2 = "2", _("Grade II")
    GRADE_1 = "1", _("Grade I")
    UNGRADED = "", _("Ungraded")


class Role(models.TextChoices):
    COUNTY_STAFF = "county_staff", _("County bureau staff")
    TOWNSHIP_DOCTOR = "township_doctor", _("Township clinic doctor")
    VILLAGE_DOCTOR = "village_doctor", _("Village doctor")
    HOSPITAL_STAFF = "hospital_staff", _("Hospital staff")
    SUPERVISOR = "supervisor", _("Supervisor")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    REVEAL = "reveal", _("Reveal ID number")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    LOGIN = "login", _("Log in")
    # A reveal asked for and refused (a role that may not reveal, or a record outside the
    # scope): who tried, what and when are on the trail too.
    REVEAL_REFUSED = "reveal_refused", _("Reveal refused")
    # Hospital staff's exact look-up of a person by full ID number (found or not).
    LOOKUP = "lookup", _("Look up by ID number")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    REFUSED = "refused", _("Refused (nothing written)")
    FAILED = "failed", _("Failed")


def choice_labels(choices) -> dict:
    """Value → label in the active language, resolved once for a page's rows.

    ``get_<field>_display`` builds the choices' dict and translates the label again on
    every call; a list page calls it a few hundred times.
    """
    return {value: str(label) for value, label in choices}
