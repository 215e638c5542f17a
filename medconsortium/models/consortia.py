"""Consortia (医联体/医共体/专科联盟), expert sessions, trainee exchanges, remote
consultations, two-way referrals and the capacity hospitals reserve for them.

Scope: county staff, township and village doctors and supervisors see records by region
(a referral by its member's village, a session and a week's capacity by the host
institution's region, a consortium wherever one of its institutions is); hospital staff
see the records that involve their own institution (``visible_to_institution``).
"""

from __future__ import annotations

import datetime
import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthaid.choices import Role
from healthaid.models import BaseModel, Institution
from healthaid.scoping import ScopedQuerySet, get_profile
from households.models import Member
from medconsortium.choices import (
    ConsortiumKind,
    ConsortiumStatus,
    ConsultationKind,
    Direction,
    ExchangeStatus,
    HalfDay,
    ReferralStatus,
    ReservedKind,
    SessionStatus,
)

DEFAULT_SLOT_SHARE = Decimal("20.00")
DEFAULT_BED_SHARE = Decimal("10.00")


class ConsortiumScopedQuerySet(ScopedQuerySet):
    """Region scope for the bureau and doctors; the own institution for hospital staff."""

    def region_q(self, prefix: str) -> Q:
        return Q(**{f"{self.scope_field}__startswith": prefix})

    def visible_to_institution(self, institution):  # pragma: no cover - each model overrides
        raise NotImplementedError

    def visible_to(self, user):
        profile = get_profile(user)
        if profile is None:
            return self.all() if self._is_unrestricted(user) else self.none()
        if profile.role == Role.HOSPITAL_STAFF:
            if profile.institution_id is None:
                return self.none()
            return self.visible_to_institution(profile.institution)
        return self.filter(self.region_q(profile.region.prefix))


class ConsortiumQuerySet(ConsortiumScopedQuerySet):
    scope_field = "lead__region__code"

    def region_q(self, prefix: str) -> Q:
        members = ConsortiumMember.objects.filter(
            consortium_id=OuterRef("pk"), institution__region__code__startswith=prefix
        )
        return Q(lead__region__code__startswith=prefix) | Q(Exists(members))

    def visible_to_institution(self, institution):
        members = ConsortiumMember.objects.filter(
            consortium_id=OuterRef("pk"), institution_id=institution.pk
        )
        return self.filter(Q(lead_id=institution.pk) | Q(Exists(members)))


def agreement_upload_path(instance, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return f"medconsortium/agreements/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{ext}"


class Consortium(BaseModel):
    """A 1+N consortium: a lead institution and its members under one signed agreement."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=ConsortiumKind.choices)
    lead = models.ForeignKey(
        Institution,
        verbose_name=_("lead institution"),
        on_delete=models.PROTECT,
        related_name="consortia_led",
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    agreement_file = models.FileField(
        _("agreement file"), upload_to=agreement_upload_path, max_length=255, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConsortiumStatus.choices,
        default=ConsortiumStatus.ACTIVE,
    )
    note = models.TextField(_("note"), blank=True)

    objects = ConsortiumQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")
        constraints = [
            models.UniqueConstraint(fields=["lead", "name"], name="unique_consortium_name")
        ]

    def __str__(self) -> str:
        return self.name

    def audit_region_code(self) -> str:
        return self.lead.region_id


class ConsortiumMember(models.Model):
    """A member institution of a consortium (the N of 1+N), with what the agreement covers."""

    consortium = models.ForeignKey(
        Consortium,
        verbose_name=_("consortium"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="consortium_memberships",
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    # CooperationItem values: remote ECG, remote imaging, remote consultation, training ...
    items = models.JSONField(_("cooperation items"), default=list, blank=True)

    class Meta:
        ordering = ["consortium_id", "joined_on", "institution_id"]
        verbose_name = _("consortium member")
        verbose_name_plural = _("consortium members")
        constraints = [
            models.UniqueConstraint(
                fields=["consortium", "institution"], name="unique_consortium_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consortium_id}: {self.institution_id}"


class ExpertSessionQuerySet(ConsortiumScopedQuerySet):
    scope_field = "host__region__code"

    def visible_to_institution(self, institution):
        return self.filter(Q(host_id=institution.pk) | Q(visiting_id=institution.pk))

    def held(self):
        return self.filter(status=SessionStatus.HELD)

    def planned(self):
        return self.filter(status=SessionStatus.PLANNED)


class ExpertSession(BaseModel):
    """A half-day of visiting experts at a host institution (专家坐诊/帮扶).

    Planned sessions form the published timetable; once held, the session records what was
    done: outpatients seen, teaching rounds and case discussions (person-times), surgeries
    taught and trainings (sessions) and the people trained.
    """

    consortium = models.ForeignKey(
        Consortium,
        verbose_name=_("consortium"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    visiting = models.ForeignKey(
        Institution,
        verbose_name=_("visiting institution"),
        on_delete=models.PROTECT,
        related_name="sessions_sent",
    )
    host = models.ForeignKey(
        Institution,
        verbose_name=_("host institution"),
        on_delete=models.PROTECT,
        related_name="sessions_hosted",
    )
    # [{"name": ..., "title": ..., "specialty": ...}]: the experts' public professional data.
    experts = models.JSONField(_("experts"), default=list, blank=True)
    expert_count = models.PositiveSmallIntegerField(_("experts sent"), default=0)
    specialty = models.CharField(_("specialty"), max_length=64, blank=True)
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half-day"), max_length=2, choices=HalfDay.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    clinic = models.BooleanField(_("outpatient clinic held"), default=True)
    outpatients = models.PositiveIntegerField(_("outpatients seen"), default=0)
    teaching_rounds = models.PositiveIntegerField(_("teaching rounds (person-times)"), default=0)
    case_discussions = models.PositiveIntegerField(_("case discussions (person-times)"), default=0)
    surgeries_taught = models.PositiveIntegerField(_("surgeries taught (sessions)"), default=0)
    trainings = models.PositiveIntegerField(_("trainings (sessions)"), default=0)
    people_trained = models.PositiveIntegerField(_("people trained"), default=0)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ExpertSessionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "half_day", "host_id"]
        verbose_name = _("expert session")
        verbose_name_plural = _("expert sessions")
        indexes = [
            models.Index(fields=["host", "date"], name="session_host_date"),
            models.Index(fields=["date", "status"], name="session_date_status"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_half_day_display()} {self.specialty}".strip()

    def audit_region_code(self) -> str:
        return self.host.region_id


class TraineeExchangeQuerySet(ConsortiumScopedQuerySet):
    scope_field = "from_institution__region__code"

    def region_q(self, prefix: str) -> Q:
        return Q(from_institution__region__code__startswith=prefix) | Q(
            to_institution__region__code__startswith=prefix
        )

    def visible_to_institution(self, institution):
        return self.filter(
            Q(from_institution_id=institution.pk) | Q(to_institution_id=institution.pk)
        )


class TraineeExchange(BaseModel):
    """A doctor sent upstream to train (进修) in a department of another institution."""

    person = models.CharField(_("trainee"), max_length=64)
    title = models.CharField(_("professional title"), max_length=64, blank=True)
    from_institution = models.ForeignKey(
        Institution,
        verbose_name=_("from institution"),
        on_delete=models.PROTECT,
        related_name="trainees_sent",
    )
    to_institution = models.ForeignKey(
        Institution,
        verbose_name=_("to institution"),
        on_delete=models.PROTECT,
        related_name="trainees_received",
    )
    department = models.CharField(_("department"), max_length=64)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=16, choices=ExchangeStatus.choices, default=ExchangeStatus.PLANNED
    )

    objects = TraineeExchangeQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "pk"]
        verbose_name = _("trainee exchange")
        verbose_name_plural = _("trainee exchanges")

    def __str__(self) -> str:
        return f"{self.person} · {self.department}"

    def audit_region_code(self) -> str:
        return self.from_institution.region_id


class RemoteConsultationQuerySet(ConsortiumScopedQuerySet):
    scope_field = "requesting__region__code"

    def visible_to_institution(self, institution):
        return self.filter(Q(requesting_id=institution.pk) | Q(reading_id=institution.pk))


class RemoteConsultation(BaseModel):
    """A remote consultation, ECG or imaging read (远程会诊/心电/影像) between two institutions."""

    requesting = models.ForeignKey(
        Institution,
        verbose_name=_("requesting institution"),
        on_delete=models.PROTECT,
        related_name="consultations_requested",
    )
    reading = models.ForeignKey(
        Institution,
        verbose_name=_("reading institution"),
        on_delete=models.PROTECT,
        related_name="consultations_read",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ConsultationKind.choices)
    date = models.DateField(_("date"))
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remote_consultations",
    )
    summary = models.TextField(_("result summary"), blank=True)

    objects = RemoteConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("remote consultation")
        verbose_name_plural = _("remote consultations")
        indexes = [models.Index(fields=["date", "kind"], name="consultation_date_kind")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def audit_region_code(self) -> str:
        return self.requesting.region_id


class ReservedCapacityQuerySet(ConsortiumScopedQuerySet):
    scope_field = "institution__region__code"

    def visible_to_institution(self, institution):
        return self.filter(institution_id=institution.pk)


class ReservedCapacity(BaseModel):
    """A host institution's expert appointments and standard beds for one week (Monday on),
    and the share of each kept for family-doctor referrals (预留号源/床位).

    ``reserved_slots``/``reserved_beds`` are the shares applied (rounded half up); a referral
    that asks for a reserved slot or bed counts in ``*_used``; what is still unused 24 hours
    before the week starts is released to general use (``*_released``, by the beat task).
    """

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="reserved_capacity",
    )
    week_start = models.DateField(_("week starting"))
    expert_slots = models.PositiveIntegerField(_("expert appointments offered"), default=0)
    beds = models.PositiveIntegerField(_("standard beds"), default=0)
    slot_share = models.DecimalField(
        _("share of appointments reserved (%)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_SLOT_SHARE,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    bed_share = models.DecimalField(
        _("share of beds reserved (%)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_BED_SHARE,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    reserved_slots = models.PositiveIntegerField(_("reserved appointments"), default=0)
    reserved_beds = models.PositiveIntegerField(_("reserved beds"), default=0)
    slots_used = models.PositiveIntegerField(_("reserved appointments used"), default=0)
    beds_used = models.PositiveIntegerField(_("reserved beds used"), default=0)
    slots_released = models.PositiveIntegerField(_("reserved appointments released"), default=0)
    beds_released = models.PositiveIntegerField(_("reserved beds released"), default=0)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    objects = ReservedCapacityQuerySet.as_manager()

    class Meta:
        ordering = ["week_start", "institution_id"]
        verbose_name = _("reserved capacity")
        verbose_name_plural = _("reserved capacity")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "week_start"], name="unique_capacity_week"
            ),
            models.CheckConstraint(
                condition=Q(slots_used__lte=models.F("reserved_slots")),
                name="capacity_slots_within_reserve",
            ),
            models.CheckConstraint(
                condition=Q(beds_used__lte=models.F("reserved_beds")),
                name="capacity_beds_within_reserve",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.week_start}"

    def audit_region_code(self) -> str:
        return self.institution.region_id

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    @property
    def slots_left(self) -> int:
        return max(0, self.reserved_slots - self.slots_used - self.slots_released)

    @property
    def beds_left(self) -> int:
        return max(0, self.reserved_beds - self.beds_used - self.beds_released)


class ReferralQuerySet(ConsortiumScopedQuerySet):
    # The member's village, kept on the referral (see ``Referral.village``): scope and the
    # figures by region filter one indexed column instead of joining member and household.
    scope_field = "village__code"

    def visible_to_institution(self, institution):
        return self.filter(
            Q(from_institution_id=institution.pk) | Q(to_institution_id=institution.pk)
        )


class Referral(BaseModel):
    """A two-way referral (双向转诊) of a registered member between two institutions.

    Status flow: requested → accepted → admitted | seen as outpatient → discharged, or
    returned down (which opens the down-referral back to the sending institution); a
    request can be rejected, and cancelled until admitted, each with a reason.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="referrals"
    )
    # The member's household village, derived: set by the services and kept in step by
    # ``households.signals.members_changed`` (a household that moves takes its referrals).
    village = models.ForeignKey(
        "healthaid.Region",
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed in Meta, for prefix matches
        editable=False,
    )
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    from_institution = models.ForeignKey(
        Institution,
        verbose_name=_("from institution"),
        on_delete=models.PROTECT,
        related_name="referrals_sent",
    )
    to_institution = models.ForeignKey(
        Institution,
        verbose_name=_("to institution"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    referring_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referring doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("family-doctor contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("returned from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    reason = models.CharField(_("reason"), max_length=255)
    diagnosis = models.CharField(_("diagnosis"), max_length=255, blank=True)
    requested_on = models.DateField(_("requested on"))
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReferralStatus.choices,
        default=ReferralStatus.REQUESTED,
    )
    status_reason = models.CharField(
        _("reason for rejecting or cancelling"), max_length=255, blank=True
    )
    reserved = models.CharField(
        _("reserved capacity"),
        max_length=4,
        choices=ReservedKind.choices,
        blank=True,
        default=ReservedKind.NONE,
    )
    capacity = models.ForeignKey(
        ReservedCapacity,
        verbose_name=_("reserved capacity week"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    admitted_on = models.DateField(_("admitted or seen on"), null=True, blank=True)
    closed_on = models.DateField(_("discharged or returned on"), null=True, blank=True)
    outcome = models.TextField(_("outcome and advice"), blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_on", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["to_institution", "status"], name="referral_to_status"),
            models.Index(fields=["from_institution", "status"], name="referral_from_status"),
            models.Index(fields=["requested_on"], name="referral_requested_on"),
            models.Index(
                fields=["village"],
                name="referral_village_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk}"

    def audit_region_code(self) -> str:
        return self.village_id
