"""Hospital encounters (就诊) and their settlements (结算), and what is built on them.

How the money adds up (the rule every writer enforces, to the fen):

    total = pooled + critical_illness + assistance + other + out_of_pocket

``total`` (总费用) is the bill the patient's settlement covers; the five parts are who paid
it: basic medical insurance's pooled fund (基本医保统筹支付), critical-illness insurance
(大病保险), medical assistance (医疗救助), other guarantees (其他保障: 兜底, commercial
supplementary) and the patient (个人自付).  The non-reimbursable cost (目录外费用) is not a
sixth part: it is the share of ``total`` outside the insurance catalogue, already counted in
whichever parts paid it (normally the out of pocket; assistance or 兜底 may take some), so
``0 ≤ non_reimbursable ≤ total``.  Seed 003 caps it at 2.5% of the bill in township health
centres and village clinics and 10% in county hospitals, "超出部分由定点医疗机构承担，并不得
计入医疗总费用": the excess over the cap is borne by the institution.  A file that reports
more than the cap is therefore not refused; the figures name the institution and the excess
it must bear (``reports.indicators``).

Scope: an encounter belongs to the area of the member's village, copied onto the encounter
(``village``) when it is written, so the figures of a township, a county or a prefecture
are one index range over that code and no join through the household; a township therefore
sees its residents' encounters wherever they were treated.  Hospital staff see their own
institution's encounters instead (``visible_to_institution``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthaid.choices import InstitutionKind, Role
from healthaid.models import BaseModel, Institution, Job, Region
from healthaid.scoping import ScopedQuerySet, get_profile
from households.models import Disease, Member
from medconsortium.choices import EncounterKind, MajorDiseaseStatus

__all__ = [
    "MONEY_PARTS",
    "Encounter",
    "InstitutionAlias",
    "MajorDiseaseCase",
    "Settlement",
    "SettlementPolicy",
    "TownshipBulletin",
    "parts_difference",
]

FEN = Decimal("0.01")
# The parts that add up to the total, in the order the settlement file prints them.
MONEY_PARTS: tuple[str, ...] = (
    "pooled",
    "critical_illness",
    "assistance",
    "other",
    "out_of_pocket",
)


def parts_difference(total: Decimal, parts: dict[str, Decimal]) -> Decimal:
    """``total − Σ parts``, exact to the fen: zero when the settlement adds up."""
    return (total - sum((parts[name] for name in MONEY_PARTS), Decimal("0"))).quantize(FEN)


def _money(verbose_name):
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )


class _InstitutionScopedQuerySet(ScopedQuerySet):
    """Area scope by the member's village; hospital staff by their own institution."""

    institution_field = "institution"

    def visible_to(self, user):
        profile = get_profile(user)
        if profile is not None and profile.role == Role.HOSPITAL_STAFF:
            return self.visible_to_institution(profile.institution)
        return super().visible_to(user)

    def visible_to_institution(self, institution):
        """What the staff of ``institution`` see: its own records, nothing without one."""
        if institution is None:
            return self.none()
        return self.filter(**{self.institution_field: institution})


class EncounterQuerySet(_InstitutionScopedQuerySet):
    scope_field = "village__code"
    institution_field = "institution"

    def in_area(self, prefix: str):
        """Encounters of residents of the area whose code starts with ``prefix``."""
        return self.filter(village__code__startswith=prefix) if prefix else self.all()

    def between(self, start, end):
        """Encounters that ended (were discharged, or the visit took place) in [start, end]."""
        queryset = self
        if start is not None:
            queryset = queryset.filter(discharged_on__gte=start)
        if end is not None:
            queryset = queryset.filter(discharged_on__lte=end)
        return queryset


class Encounter(BaseModel):
    """One outpatient visit or inpatient stay (就诊) of a registered member at an institution.

    Keyed by institution, member, kind and dates: a settlement file re-imported finds the
    same encounters.  An outpatient visit has one date (``admitted_on = discharged_on``).
    """

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="encounters",
        db_index=False,  # indexed in Meta with the date
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="encounters",
        db_index=False,  # the unique key leads with it
    )
    kind = models.CharField(_("encounter type"), max_length=16, choices=EncounterKind.choices)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"))
    diagnosis = models.ForeignKey(
        Disease,
        verbose_name=_("diagnosis"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The referral that brought the patient here, where there was one (规范转诊): linked by
    # the hospital on the encounter; settlement imports leave it empty.
    referral = models.ForeignKey(
        "medconsortium.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="encounters",
    )
    # The member's village when the encounter was written: the area it counts in.
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed in Meta
        editable=False,
    )

    objects = EncounterQuerySet.as_manager()

    class Meta:
        ordering = ["-discharged_on", "-id"]
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "member", "kind", "admitted_on", "discharged_on"],
                name="encounter_natural_key",
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_on__gte=models.F("admitted_on")),
                name="encounter_dates_in_order",
            ),
        ]
        # The area filter of every figure is a prefix of the village code and a date range:
        # on PostgreSQL a varchar_pattern_ops index on (village, discharged_on) serves both,
        # so a township's figures read its own rows, not the county's.  A hospital's own
        # figures use (institution, discharged_on); a member's page (member, discharged_on).
        indexes = [
            models.Index(
                fields=["village", "discharged_on"],
                name="encounter_area_period",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(
                fields=["institution", "discharged_on"], name="encounter_institution_period"
            ),
            models.Index(fields=["member", "discharged_on"], name="encounter_member_period"),
            # The encounter list, newest first: read backwards along this index, a page of 20
            # stops after its rows instead of joining and sorting the whole area's encounters
            # (a county's 48,379: 106 ms on PostgreSQL before, see docs/BENCHMARKS.md).
            models.Index(fields=["discharged_on", "id"], name="encounter_newest"),
        ]

    def __str__(self) -> str:
        if self.admitted_on == self.discharged_on:
            return f"{self.get_kind_display()} {self.admitted_on:%Y-%m-%d}"
        return (
            f"{self.get_kind_display()} {self.admitted_on:%Y-%m-%d}–{self.discharged_on:%Y-%m-%d}"
        )

    def audit_region_code(self) -> str:
        return self.village_id or ""


class SettlementQuerySet(_InstitutionScopedQuerySet):
    scope_field = "encounter__village__code"
    institution_field = "encounter__institution"


class Settlement(BaseModel):
    """The settlement (结算) of one encounter: who paid how much of its bill.

    ``total = pooled + critical_illness + assistance + other + out_of_pocket`` to the fen;
    ``non_reimbursable`` is the part of ``total`` outside the catalogue (see the module).
    """

    encounter = models.OneToOneField(
        Encounter,
        verbose_name=_("encounter"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="settlement",
    )
    total = _money(_("total cost"))
    pooled = _money(_("basic medical insurance pooled payment"))
    critical_illness = _money(_("critical-illness insurance"))
    assistance = _money(_("medical assistance"))
    other = _money(_("other guarantees"))
    out_of_pocket = _money(_("out of pocket"))
    non_reimbursable = _money(_("non-reimbursable cost"))
    one_stop = models.BooleanField(_("one-stop settlement"), default=False)
    treat_first_pay_later = models.BooleanField(_("treat first, pay later"), default=False)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        ordering = ["-encounter_id"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        # Only checks that need no arithmetic: SQLite keeps decimals as floating point, where
        # a sum of parts may miss the total by 1e-12, so the sum is checked in Python, exactly.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(non_reimbursable__lte=models.F("total")),
                name="settlement_non_reimbursable_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.encounter_id}: {self.total}"

    def audit_region_code(self) -> str:
        return self.encounter.village_id

    @property
    def parts(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in MONEY_PARTS}


class InstitutionAliasQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class InstitutionAlias(BaseModel):
    """Another name a county's files use for an institution ("老城卫生院" for 老城乡卫生院).

    Valid within one county: two counties may each have a "城关卫生院".
    """

    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": 6},
    )
    alias = models.CharField(_("alias"), max_length=128)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    objects = InstitutionAliasQuerySet.as_manager()

    class Meta:
        ordering = ["county_id", "alias"]
        verbose_name = _("institution alias")
        verbose_name_plural = _("institution aliases")
        constraints = [
            models.UniqueConstraint(fields=["county", "alias"], name="unique_institution_alias")
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.institution}"

    def audit_region_code(self) -> str:
        return self.county_id


# Which cap applies to which kind of institution (seed 003: 基层医疗机构 2.5%, 县二级医院 10%).
# Hospitals above the county (tertiary, prefecture) have no cap in the seed and get none.
PRIMARY_CARE_KINDS = frozenset({InstitutionKind.TOWNSHIP_CENTRE, InstitutionKind.VILLAGE_CLINIC})
COUNTY_HOSPITAL_KINDS = frozenset(
    {
        InstitutionKind.COUNTY_HOSPITAL,
        InstitutionKind.TCM_HOSPITAL,
        InstitutionKind.MATERNAL_CHILD,
        InstitutionKind.SECONDARY_HOSPITAL,
    }
)


def _default_primary_cap():
    return Decimal(settings.SETTLEMENT_DEFAULTS["primary_care_cap"])


def _default_county_cap():
    return Decimal(settings.SETTLEMENT_DEFAULTS["county_hospital_cap"])


def _default_large_expense():
    return Decimal(settings.SETTLEMENT_DEFAULTS["large_expense_threshold"])


class SettlementPolicyQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class SettlementPolicy(BaseModel):
    """A county's settlement rules, edited by its staff: the 目录外 caps and the large expense.

    A county without a row uses ``settings.SETTLEMENT_DEFAULTS`` (2.5%, 10%, 5,000 yuan).
    """

    county = models.OneToOneField(
        Region,
        verbose_name=_("county"),
        on_delete=models.CASCADE,
        related_name="settlement_policy",
        limit_choices_to={"level": 6},
    )
    primary_care_cap = models.DecimalField(
        _("non-reimbursable cap, township health centres and village clinics (%)"),
        max_digits=5,
        decimal_places=2,
        default=_default_primary_cap,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    county_hospital_cap = models.DecimalField(
        _("non-reimbursable cap, county hospitals (%)"),
        max_digits=5,
        decimal_places=2,
        default=_default_county_cap,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    large_expense_threshold = models.DecimalField(
        _("large expense: out of pocket in 12 months above (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=_default_large_expense,
        validators=[MinValueValidator(Decimal("0"))],
    )

    objects = SettlementPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["county_id"]
        verbose_name = _("settlement policy")
        verbose_name_plural = _("settlement policies")

    def __str__(self) -> str:
        return str(self.county)

    def audit_region_code(self) -> str:
        return self.county_id

    def cap_for(self, kind: str) -> Decimal | None:
        """The cap (percent) for an institution of ``kind``; ``None`` where none applies."""
        if kind in PRIMARY_CARE_KINDS:
            return self.primary_care_cap
        if kind in COUNTY_HOSPITAL_KINDS:
            return self.county_hospital_cap
        return None


class MajorDiseaseCaseQuerySet(ScopedQuerySet):
    scope_field = "member__household__village__code"

    def visible_to(self, user):
        profile = get_profile(user)
        if profile is not None and profile.role == Role.HOSPITAL_STAFF:
            return self.visible_to_institution(profile.institution)
        return super().visible_to(user)

    def visible_to_institution(self, institution):
        """Cases the institution treats."""
        if institution is None:
            return self.none()
        return self.filter(institution=institution)


class MajorDiseaseCase(BaseModel):
    """A member on the major-disease register (大病专项救治): one row per member and disease.

    Built from the registry's diagnoses and from encounters diagnosed with a major disease,
    then kept by county staff: the treating institution, the status, a note.  Costs to date
    are read from the settlements, never stored.
    """

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="major_disease_cases",
        db_index=False,  # the unique key leads with it
    )
    disease = models.ForeignKey(
        Disease,
        verbose_name=_("disease"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"category": "major"},
    )
    diagnosed_on = models.DateField(_("diagnosed on"), null=True, blank=True)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("treating institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="major_disease_cases",
    )
    status = models.CharField(
        _("treatment status"),
        max_length=16,
        choices=MajorDiseaseStatus.choices,
        default=MajorDiseaseStatus.DIAGNOSED,
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = MajorDiseaseCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-diagnosed_on", "-id"]
        verbose_name = _("major-disease case")
        verbose_name_plural = _("major-disease register")
        constraints = [
            models.UniqueConstraint(fields=["member", "disease"], name="unique_major_disease_case")
        ]

    def __str__(self) -> str:
        return f"{self.member.name} {self.disease}"

    def audit_region_code(self) -> str:
        return self.member.household.village_id


class TownshipBulletinQuerySet(ScopedQuerySet):
    scope_field = "township__code"


class TownshipBulletin(models.Model):
    """The monthly 重大疾病诊疗情况通报 of one township: its file and who downloaded it when."""

    township = models.ForeignKey(
        Region,
        verbose_name=_("township"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": 9},
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    job = models.ForeignKey(
        Job, verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL
    )
    new_cases = models.PositiveIntegerField(_("new major-disease cases"), default=0)
    large_expenses = models.PositiveIntegerField(_("large expenses"), default=0)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    first_downloaded_at = models.DateTimeField(_("first downloaded at"), null=True, blank=True)
    first_downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first downloaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    objects = TownshipBulletinQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "township_id"]
        verbose_name = _("township major-disease bulletin")
        verbose_name_plural = _("township major-disease bulletins")
        constraints = [
            models.UniqueConstraint(fields=["township", "month"], name="unique_township_bulletin")
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.month:%Y-%m}"

    def audit_region_code(self) -> str:
        return self.township_id
