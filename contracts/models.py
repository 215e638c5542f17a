"""Family-doctor teams, their contracts with registered poor people, and follow-up visits.

Contracts and follow-ups are scoped through the member's household village
(``member__household__village__code``), like the registry they hang on; a team is
scoped by its institution's region and by the villages it covers.
"""

from __future__ import annotations

import datetime
import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.choices import (
    Adherence,
    ContractStatus,
    ControlStatus,
    FollowUpPlace,
    ServicePackage,
    VisitsPerYear,
)
from healthaid.models import BaseModel, Institution, Region
from healthaid.scoping import ScopedQuerySet, scope_prefix
from households.models import Disease, Household, Member

__all__ = [
    "Contract",
    "ContractSpan",
    "DoctorTeam",
    "FollowUp",
    "FollowUpRule",
    "OwedDiseaseSlots",
    "OwedSlots",
    "TargetMember",
]


class FollowUpRule(BaseModel):
    """How often a disease must be followed up: the schedule is data, editable by county staff.

    ``visits_per_year`` splits the calendar year into that many equal windows of whole
    months (4 → quarters, 1 → the calendar year); a member owes one visit per window.
    A disease without a rule is followed up as needed, not on a schedule.
    """

    disease = models.OneToOneField(
        Disease,
        verbose_name=_("disease"),
        on_delete=models.CASCADE,
        related_name="follow_up_rule",
    )
    visits_per_year = models.PositiveSmallIntegerField(
        _("follow-ups a year"), choices=VisitsPerYear.choices
    )

    class Meta:
        ordering = ["-visits_per_year", "disease__sort_order"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")

    def __str__(self) -> str:
        return f"{self.disease}: {self.get_visits_per_year_display()}"


class DoctorTeamQuerySet(ScopedQuerySet):
    scope_field = "institution__region__code"

    def visible_to(self, user) -> DoctorTeamQuerySet:
        """Teams of institutions in the scope, and teams covering a village in it.

        A village doctor's scope is their village, while their team belongs to the
        township health centre: the villages a team covers bring it into scope. Hospital
        staff: nothing (``visible_to_institution``'s default; contracts are not theirs).
        """
        by_institution = self._institution_rule(user)
        if by_institution is not None:
            return by_institution
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        covers = DoctorTeam.villages.through.objects.filter(
            doctorteam_id=OuterRef("pk"), region__code__startswith=prefix
        )
        return self.filter(Q(institution__region__code__startswith=prefix) | Exists(covers))


class DoctorTeam(BaseModel):
    """A family-doctor team (家庭医生团队) of an institution, covering some villages."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="doctor_teams",
    )
    name = models.CharField(_("team name"), max_length=64)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team members"),
        blank=True,
        related_name="doctor_teams",
    )
    villages = models.ManyToManyField(
        Region,
        verbose_name=_("villages covered"),
        blank=True,
        related_name="doctor_teams",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    objects = DoctorTeamQuerySet.as_manager()

    class Meta:
        ordering = ["institution_id", "name"]
        verbose_name = _("family-doctor team")
        verbose_name_plural = _("family-doctor teams")
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.institution.region_id


def agreement_upload_path(instance, filename: str) -> str:
    # A random name: the user's file name may carry the patient's name or ID number.
    ext = os.path.splitext(filename)[1].lower()
    return f"contracts/agreements/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{ext}"


class ContractQuerySet(ScopedQuerySet):
    scope_field = "member__household__village__code"

    def in_effect_between(self, start: datetime.date, end: datetime.date) -> ContractQuerySet:
        """Contracts in effect on at least one day of [start, end] (terminations included)."""
        return self.filter(valid_from__lte=end, valid_to__gte=start).exclude(
            terminated_on__lt=start
        )

    def in_effect_on(self, day: datetime.date) -> ContractQuerySet:
        return self.in_effect_between(day, day)

    def expiring_within(self, today: datetime.date, days: int = 30) -> ContractQuerySet:
        return self.filter(
            status=ContractStatus.ACTIVE,
            valid_to__gte=today,
            valid_to__lte=today + datetime.timedelta(days=days),
        )


class Contract(BaseModel):
    """A family-doctor service contract (签约) binding a member to a team for (usually) a year.

    In effect from ``valid_from`` to ``valid_to``, or to ``terminated_on`` when ended
    early. ``status`` is the lifecycle: one ``active`` contract per member at most (a
    partial unique constraint, checked first by the services with a clear message).
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="contracts"
    )
    team = models.ForeignKey(
        DoctorTeam,
        verbose_name=_("family-doctor team"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible doctor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    package = models.CharField(
        _("service package"),
        max_length=16,
        choices=ServicePackage.choices,
        default=ServicePackage.BASIC,
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ContractStatus.choices,
        default=ContractStatus.ACTIVE,
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.CharField(_("termination reason"), max_length=255, blank=True)
    renewed_as = models.OneToOneField(
        "self",
        verbose_name=_("renewed as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewal_of",
    )
    agreement = models.FileField(
        _("signed agreement"), upload_to=agreement_upload_path, max_length=255, blank=True
    )

    objects = ContractQuerySet.as_manager()

    # healthaid.audit.snapshot cannot read an empty FileField (its ``url`` raises), so the
    # agreement is left out of snapshots; its presence shows on the contract page.
    audit_exclude = ("agreement",)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="active"),
                name="one_active_contract_per_member",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="contract_valid_to_after_from",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "valid_from"], name="contract_member_from"),
            models.Index(fields=["status", "valid_to"], name="contract_status_to"),
            models.Index(fields=["team", "status"], name="contract_team_status"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.team} · {self.valid_from}–{self.valid_to}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id

    @property
    def effective_end(self) -> datetime.date:
        """The last day the contract is in effect."""
        if self.terminated_on is not None and self.terminated_on < self.valid_to:
            return self.terminated_on
        return self.valid_to

    def in_effect_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day <= self.effective_end


class FollowUpQuerySet(ScopedQuerySet):
    scope_field = "member__household__village__code"


class FollowUp(BaseModel):
    """A follow-up visit (随访) with its measurements.

    ``control_status`` is derived from the measurements by ``contracts.services``
    when the visit is recorded (national thresholds: BP < 140/90 mmHg, fasting
    glucose < 7.0 mmol/L), never typed in.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_on = models.DateField(_("visit date"))
    disease = models.ForeignKey(
        Disease,
        verbose_name=_("disease followed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField(
        _("visit type"), max_length=8, choices=FollowUpPlace.choices, default=FollowUpPlace.HOME
    )
    systolic = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    fasting_glucose = models.DecimalField(
        _("fasting glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    adherence = models.CharField(
        _("medication adherence"), max_length=16, choices=Adherence.choices, blank=True
    )
    symptoms = models.CharField(_("symptoms"), max_length=255, blank=True)
    control_status = models.CharField(
        _("control status"),
        max_length=16,
        choices=ControlStatus.choices,
        blank=True,
        default=ControlStatus.UNKNOWN,
        editable=False,
    )
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["member", "visited_on"], name="followup_member_date"),
            models.Index(fields=["visited_on"], name="followup_date"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.visited_on}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id

    @property
    def blood_pressure(self) -> str:
        if self.systolic and self.diastolic:
            return f"{self.systolic}/{self.diastolic}"
        return ""


# --- derived rows (``contracts.owed``) -----------------------------------------------------------
# Never edited: every writer of contracts, visits, the registry (villages, the key-group fields,
# diagnoses) and the rules recomputes its members' rows in its own transaction. Only members
# with a contract have rows.


class ContractSpan(models.Model):
    """Derived: when a member is under contract, for the contract counts.

    One row per run of days a member's contracts are in effect without a break (contracts
    end to end make one run), with the team when all the member's contracts are with one team;
    a member whose contracts change team (or one ended before it began) has one row without a
    team, and the counts read their contracts instead. ``previous_ends_on`` is the last day
    of the member's run before, so that exactly one run of a member counts in a period (the
    first one that overlaps it). The member's village and key-group fields that do not
    depend on the day (pregnant, disabled, one of the four 4-a-year diseases) are copied here.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    village = models.CharField(max_length=12)
    team = models.ForeignKey(DoctorTeam, on_delete=models.CASCADE, null=True, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    previous_ends_on = models.DateField(null=True)
    birth_date = models.DateField()
    key_person = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["member"], condition=Q(team__isnull=True), name="contractspan_mixed"
            ),
            # The figures of an area read its villages' rows only (a range on the code).
            models.Index(fields=["village", "starts_on"], name="contractspan_village"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.starts_on}–{self.ends_on}"


class OwedSlots(models.Model):
    """Derived: the follow-up windows a member owes in a year under a team.

    One row per member, frequency, calendar year and team of the windows' contracts (with the
    member's village and household, for the worklist's order); ``slots``
    has bit *m* − 1 set for each owed window starting in month *m*, ``done`` those of them with
    a visit inside, ``last_visit_on`` the member's last visit of the year (a visit after the
    day the figures are asked for does not count: see ``contracts.selectors``).
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    village = models.CharField(max_length=12)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    per_year = models.PositiveSmallIntegerField()
    year = models.PositiveSmallIntegerField()
    team = models.ForeignKey(DoctorTeam, on_delete=models.CASCADE, related_name="+")
    slots = models.PositiveSmallIntegerField()
    done = models.PositiveSmallIntegerField()
    last_visit_on = models.DateField(null=True)

    class Meta:
        # The worklist reads a team's villages.
        indexes = [models.Index(fields=["village", "year"], name="owedslots_village")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} ×{self.per_year}: {self.slots:012b}"


class OwedDiseaseSlots(models.Model):
    """Derived: ``OwedSlots`` by disease (all teams), for completion by disease; a window owed
    for two diseases counts once in each."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    village = models.CharField(max_length=12)
    disease = models.ForeignKey(Disease, on_delete=models.CASCADE, related_name="+")
    per_year = models.PositiveSmallIntegerField()
    year = models.PositiveSmallIntegerField()
    slots = models.PositiveSmallIntegerField()
    done = models.PositiveSmallIntegerField()
    last_visit_on = models.DateField(null=True)

    class Meta:
        # Completion by disease reads the area's villages only (a range on the code).
        indexes = [models.Index(fields=["village", "year"], name="oweddiseaseslots_village")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.disease_id} {self.year}: {self.slots:012b}"


class TargetMember(models.Model):
    """Derived: a member as the contract figures' target group counts them, one row per member
    (with or without a contract): their household's village and the key-group fields that do
    not depend on the day (pregnant, disabled, one of the four 4-a-year diseases), so that an
    area's people by village and key group are an index range over its villages' codes, not
    a scan of every member of the database joined to their households."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    village = models.CharField(max_length=12)
    birth_date = models.DateField()
    key_person = models.BooleanField()

    class Meta:
        # Every column the figures read, so PostgreSQL answers from the index alone.
        indexes = [
            models.Index(
                fields=["village", "birth_date", "key_person"], name="targetmember_village"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.village}"
