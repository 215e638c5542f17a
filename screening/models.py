"""Screenings, half-year check-ups, health prescriptions, five-ones campaigns, free clinics.

Records about a person (screenings, suspicions, check-ups, issued prescriptions) are scoped
through the member's household village, a campaign's household item states through the
household's village, a free clinic through its village; campaigns, their work teams and the
free-clinic target lists belong to a county and are seen by everyone inside it (and above).
Hospital staff keep no screening work of their own: they see none of it
(``visible_to_institution`` answers nothing).

The thresholds (``ScreeningItem``) and the prescription catalogue (``Prescription``) are
county-wide reference data like the disease catalogue: not scoped, edited by county staff.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Contract, DoctorTeam
from healthaid.choices import Role
from healthaid.models import BaseModel, Institution, Region
from healthaid.scoping import ScopedQuerySet, ancestor_codes, get_profile, scope_prefix, user_role
from households.models import Disease, Household, Member
from screening.choices import (
    CampaignTarget,
    Comparison,
    ExamResult,
    ItemSource,
    PhaseKind,
    SuspicionStatus,
)

__all__ = [
    "Campaign",
    "CampaignItem",
    "CampaignPhase",
    "CheckUp",
    "FreeClinic",
    "FreeClinicPhoto",
    "FreeClinicTarget",
    "HouseholdItem",
    "HouseholdItemState",
    "IssuedPrescription",
    "Prescription",
    "Screening",
    "ScreeningItem",
    "Suspicion",
    "WorkTeam",
]


class _ScopedQuerySet(ScopedQuerySet):
    """Hospital staff hold no screening work: their institution's share of it is none."""

    def visible_to_institution(self, user):
        return self.none()

    def visible_to(self, user):
        if user_role(user) == Role.HOSPITAL_STAFF:
            return self.visible_to_institution(user)
        return super().visible_to(user)


class _CountyScopedQuerySet(_ScopedQuerySet):
    """County-wide records: seen inside the county and from the regions above it."""

    def visible_to(self, user):
        if user_role(user) == Role.HOSPITAL_STAFF:
            return self.visible_to_institution(user)
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        profile = get_profile(user)
        field = self.scope_field
        return self.filter(
            Q(**{f"{field}__startswith": prefix})
            | Q(**{f"{field}__in": ancestor_codes(profile.region.code)})
        )


# --- reference data ---------------------------------------------------------------------------


class ScreeningItem(models.Model):
    """A measured item and its abnormal threshold: the thresholds are data, not code.

    ``builtin`` items are columns of ``Screening`` (blood pressure, glucose, BMI, waist);
    the others are free items whose values a screening keeps in ``extra``. An abnormal
    value of an item with a ``disease`` makes the member a suspected case of it, unless
    they already have it.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    comparison = models.CharField(
        _("comparison"), max_length=3, choices=Comparison.choices, default=Comparison.AT_OR_ABOVE
    )
    threshold = models.DecimalField(_("threshold"), max_digits=7, decimal_places=2)
    disease = models.ForeignKey(
        Disease,
        verbose_name=_("suspected disease"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    builtin = models.BooleanField(_("built-in field"), default=False, editable=False)
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("screening item")
        verbose_name_plural = _("screening items")

    def __str__(self) -> str:
        return self.name

    def is_abnormal(self, value) -> bool:
        if value is None:
            return False
        if self.comparison == Comparison.BELOW:
            return value < self.threshold
        return value >= self.threshold


class Prescription(BaseModel):
    """A health prescription (健康处方) of the catalogue: one per disease, printed for people."""

    disease = models.OneToOneField(
        Disease, verbose_name=_("disease"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=64)
    cause = models.TextField(_("causes"))
    diagnosis = models.TextField(_("diagnosis criteria"))
    western_treatment = models.TextField(_("treatment principles (Western medicine)"))
    tcm_treatment = models.TextField(_("treatment principles (Chinese medicine)"))
    lifestyle = models.TextField(_("lifestyle"))
    see_doctor = models.TextField(_("when to see a doctor"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["disease__sort_order"]
        verbose_name = _("health prescription")
        verbose_name_plural = _("health prescriptions")

    def __str__(self) -> str:
        return self.title


# --- a person's records -----------------------------------------------------------------------


class VitalSigns(models.Model):
    """The measurements a screening and a check-up both take (blood pressure, fasting glucose,
    height, weight); each model adds its own."""

    systolic = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"), null=True, blank=True)
    fasting_glucose = models.DecimalField(
        _("fasting glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    height = models.DecimalField(
        _("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    class Meta:
        abstract = True

    @property
    def blood_pressure(self) -> str:
        if self.systolic and self.diastolic:
            return f"{self.systolic}/{self.diastolic}"
        return ""


class MemberRecordQuerySet(_ScopedQuerySet):
    scope_field = "member__household__village__code"


class Screening(VitalSigns, BaseModel):
    """A screening (筛查) of a member: measurements and the abnormal items by the thresholds.

    ``abnormal_items`` (item codes) and ``bmi`` are derived by ``screening.services`` when the
    screening is recorded, never typed in.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="screenings"
    )
    screened_on = models.DateField(_("screening date"))
    place = models.CharField(_("place"), max_length=64, blank=True)
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("screened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        DoctorTeam,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    random_glucose = models.DecimalField(
        _("random glucose (mmol/L)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    bmi = models.DecimalField(
        _("BMI"), max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    waist = models.DecimalField(
        _("waist (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    extra = models.JSONField(_("other items"), default=dict, blank=True)
    abnormal_items = models.JSONField(_("abnormal items"), default=list, editable=False)
    abnormal = models.BooleanField(_("abnormal"), default=False, editable=False)
    advice = models.TextField(_("follow-up advice"), blank=True)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-screened_on", "-id"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        indexes = [
            models.Index(fields=["member", "screened_on"], name="screening_member_date"),
            models.Index(fields=["screened_on"], name="screening_date"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.screened_on}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id


class Suspicion(BaseModel):
    """A member suspected of a disease after an abnormal screening, until a doctor settles it.

    The list "suspected, to confirm" of a team is its open suspicions; confirming adds the
    disease to the member through the registry's services.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="suspicions"
    )
    screening = models.ForeignKey(
        Screening,
        verbose_name=_("screening"),
        on_delete=models.CASCADE,
        related_name="suspicions",
    )
    disease = models.ForeignKey(
        Disease, verbose_name=_("suspected disease"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SuspicionStatus.choices,
        default=SuspicionStatus.TO_CONFIRM,
    )
    resolved_on = models.DateField(pgettext_lazy("suspicion", "settled on"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suspected case")
        verbose_name_plural = _("suspected cases")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "disease"],
                condition=Q(status="to_confirm"),
                name="one_open_suspicion_per_disease",
            )
        ]
        indexes = [models.Index(fields=["status", "member"], name="suspicion_status_member")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.disease}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id


class CheckUp(VitalSigns, BaseModel):
    """The free standard health check-up (健康体检) of a half year: one per member and half."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="check_ups"
    )
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    half = models.PositiveSmallIntegerField(
        _("half year"), choices=[(1, _("first half")), (2, _("second half"))], editable=False
    )
    checked_on = models.DateField(_("check-up date"))
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"), null=True, blank=True)
    blood_routine = models.CharField(
        _("blood routine"), max_length=8, choices=ExamResult.choices, blank=True
    )
    urine_routine = models.CharField(
        _("urine routine"), max_length=8, choices=ExamResult.choices, blank=True
    )
    liver_function = models.CharField(
        _("liver function"), max_length=8, choices=ExamResult.choices, blank=True
    )
    kidney_function = models.CharField(
        _("kidney function"), max_length=8, choices=ExamResult.choices, blank=True
    )
    ecg = models.CharField(_("ECG"), max_length=8, choices=ExamResult.choices, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_on", "-id"]
        verbose_name = _("health check-up")
        verbose_name_plural = _("health check-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "half"], name="one_checkup_per_member_half"
            )
        ]
        indexes = [models.Index(fields=["year", "half"], name="checkup_half")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.year}H{self.half}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id


class IssuedPrescription(BaseModel):
    """A health prescription issued to a member: who, what, when, by which doctor and team."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="prescriptions"
    )
    prescription = models.ForeignKey(
        Prescription,
        verbose_name=_("health prescription"),
        on_delete=models.PROTECT,
        related_name="issued",
    )
    issued_on = models.DateField(_("date issued"))
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        DoctorTeam,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.CharField(_("notes"), max_length=255, blank=True)

    objects = MemberRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("issued health prescription")
        verbose_name_plural = _("issued health prescriptions")
        indexes = [models.Index(fields=["member", "issued_on"], name="issuedrx_member_date")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.prescription.title}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id


# --- the five-ones campaign ---------------------------------------------------------------------


class CampaignQuerySet(_CountyScopedQuerySet):
    scope_field = "county__code"


class Campaign(BaseModel):
    """A five-ones (五个一) campaign of a county, or any n-ones (八个一 has eight items).

    ``starts_on`` and ``ends_on`` are the window of its phases (kept by the services): a
    screening, prescription or contract in the window counts for its items.
    """

    name = models.CharField(_("name"), max_length=128)
    county = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.CharField(
        _("target"), max_length=16, choices=CampaignTarget.choices, default=CampaignTarget.ILLNESS
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.county_id

    def phase(self, kind: str) -> CampaignPhase | None:
        return next((p for p in self.phases.all() if p.kind == kind), None)


class CampaignPhase(models.Model):
    """A dated phase: 动员部署, 组织实施 (households not done when it ends are overdue), 反馈总结."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=16, choices=PhaseKind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("campaign phase")
        verbose_name_plural = _("campaign phases")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "kind"], name="one_phase_of_a_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class CampaignItem(models.Model):
    """One of the campaign's items (赠送一套健康手册 …), with where its completion comes from."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=64)
    source = models.CharField(
        _("completed by"), max_length=16, choices=ItemSource.choices, default=ItemSource.MANUAL
    )

    class Meta:
        ordering = ["campaign_id", "order"]
        verbose_name = _("campaign item")
        verbose_name_plural = _("campaign items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order"], name="unique_item_order")
        ]

    def __str__(self) -> str:
        return self.name


class WorkTeamQuerySet(_CountyScopedQuerySet):
    scope_field = "campaign__county__code"


class WorkTeam(BaseModel):
    """A work team (工作队) of a named unit, with its members, assigned to villages."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("team name"), max_length=64)
    unit = models.ForeignKey(
        Institution,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_name = models.CharField(_("unit name"), max_length=128)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("team members"), blank=True, related_name="+"
    )
    villages = models.ManyToManyField(
        Region, verbose_name=_("villages"), blank=True, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    objects = WorkTeamQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_id", "name"]
        verbose_name = _("work team")
        verbose_name_plural = _("work teams")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_work_team_name")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.campaign.county_id


class HouseholdItemQuerySet(_ScopedQuerySet):
    scope_field = "household__village__code"


class HouseholdItem(BaseModel):
    """An item marked done for a household by a team: on, by, and its evidence.

    Items found in the portal (a screening, a prescription, a contract, contact numbers)
    need no row: ``screening.selectors`` finds them. A row may still link the record it
    rests on (the screening, the prescription, the contract) as evidence.
    """

    # A team's marks are records of work done: a campaign or an item with marks is not
    # deleted with them (the set-up pages say so; the API answers 409).
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        CampaignItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="marks"
    )
    done_on = models.DateField(_("done on"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence = models.CharField(_("evidence"), max_length=255, blank=True)
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prescription = models.ForeignKey(
        IssuedPrescription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = HouseholdItemQuerySet.as_manager()

    class Meta:
        ordering = ["household_id", "item__order"]
        verbose_name = _("household item")
        verbose_name_plural = _("household items")
        constraints = [
            models.UniqueConstraint(fields=["household", "item"], name="one_mark_per_item")
        ]
        indexes = [models.Index(fields=["campaign", "item"], name="householditem_campaign")]

    def __str__(self) -> str:
        return f"{self.household.number} · {self.item.name}"

    def audit_region_code(self) -> str:
        return self.household.village_id


class HouseholdItemStateQuerySet(_ScopedQuerySet):
    scope_field = "village"


class HouseholdItemState(models.Model):
    """Derived: one row per household and campaign item that is done, with when, by whom and
    the record that shows it (the team's mark, the screening, the prescription, the contract,
    the check-up, or the 亲情号码). A household's item with no row is not done.

    Kept exact by ``screening.states.refresh_states`` called by every writer of what it reads
    (screenings, prescriptions, check-ups, marks, contracts, 亲情号码, the registry's member
    and household moves) in the writer's transaction; ``rebuild_campaign_states`` (command
    ``rebuild_campaign_states``, task ``screening.rebuild_states``) recomputes a campaign.
    Rows exist for every household of the campaign's county, targeted or not: the target is
    applied when reading, so a household's change of poverty cause needs no refresh.
    ``village`` repeats the household's village code so progress by area reads this table
    alone through its ``(campaign, village)`` index.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(CampaignItem, on_delete=models.CASCADE, related_name="states")
    village = models.CharField(_("village code"), max_length=12)
    source = models.CharField(_("completed by"), max_length=16, choices=ItemSource.choices)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.CharField(_("evidence"), max_length=255, blank=True)
    mark = models.ForeignKey(
        HouseholdItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prescription = models.ForeignKey(
        IssuedPrescription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_up = models.ForeignKey(
        CheckUp, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = HouseholdItemStateQuerySet.as_manager()

    class Meta:
        ordering = ["household_id", "item_id"]
        verbose_name = _("household item state")
        verbose_name_plural = _("household item states")
        constraints = [
            models.UniqueConstraint(fields=["household", "item"], name="one_state_per_item")
        ]
        indexes = [
            models.Index(fields=["campaign", "village"], name="itemstate_campaign_village"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} · {self.item_id}"


# --- free clinics -----------------------------------------------------------------------------


class FreeClinicQuerySet(_ScopedQuerySet):
    scope_field = "village__code"


class FreeClinic(BaseModel):
    """A free clinic (义诊) held in a village: staff, people served, material and value given."""

    held_on = models.DateField(_("date"))
    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Institution,
        verbose_name=_("organising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit_name = models.CharField(_("organising unit"), max_length=128, blank=True)
    team_name = models.CharField(_("team"), max_length=64, blank=True)
    staff_times = models.PositiveIntegerField(_("staff person-times"))
    served = models.PositiveIntegerField(_("people served"))
    leaflets = models.PositiveIntegerField(_("leaflets handed out"), default=0)
    drug_value = models.DecimalField(
        _("drug value (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    service_value = models.DecimalField(
        _("service value (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = FreeClinicQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("free clinic")
        verbose_name_plural = _("free clinics")
        indexes = [models.Index(fields=["held_on"], name="freeclinic_date")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.village}"

    def audit_region_code(self) -> str:
        return self.village_id

    @property
    def total_value(self):
        return self.drug_value + self.service_value


def photo_upload_path(instance, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return f"screening/free-clinics/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{ext}"


class FreeClinicPhoto(models.Model):
    clinic = models.ForeignKey(FreeClinic, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=photo_upload_path, max_length=255)
    caption = models.CharField(_("caption"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("free-clinic photo")
        verbose_name_plural = _("free-clinic photos")

    def __str__(self) -> str:
        return self.caption or self.image.name


class FreeClinicTargetQuerySet(_CountyScopedQuerySet):
    scope_field = "county__code"


class FreeClinicTarget(BaseModel):
    """A list of villages owed free clinics (e.g. the 15 villages about to leave poverty,
    two rounds each) in a period."""

    name = models.CharField(_("name"), max_length=128)
    county = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    rounds = models.PositiveSmallIntegerField(_("rounds per village"), default=2)
    villages = models.ManyToManyField(Region, verbose_name=_("villages"), related_name="+")

    objects = FreeClinicTargetQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("free-clinic target list")
        verbose_name_plural = _("free-clinic target lists")

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.county_id
