"""The registry of 建档立卡 households and their members.

Every record is scoped through its village's division code (``Household.village``):
``visible_to(user)`` keeps the households whose village code starts with the user's
scope prefix, and members, cards and contacts follow their household.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.models import BaseModel, Region
from healthaid.scoping import ScopedQuerySet
from households.choices import (
    ContactKind,
    DiseaseCategory,
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)

__all__ = ["Disease", "Household", "HouseholdContact", "Member", "MemberDisease", "SpecialCard"]


class Disease(models.Model):
    """An entry of the disease catalogue; rosters' spellings map to it through ``synonyms``."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    category = models.CharField(_("category"), max_length=24, choices=DiseaseCategory.choices)
    follow_ups_per_year = models.PositiveSmallIntegerField(_("follow-ups a year"), default=0)
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("disease")
        verbose_name_plural = _("diseases")

    def __str__(self) -> str:
        return self.name


class HouseholdQuerySet(ScopedQuerySet):
    scope_field = "village__code"

    def visible_to_institution(self, institution):
        """Households of the members involved with the institution (``households.involvement``)."""
        from households.involvement import member_involvement_q

        return self.filter(
            pk__in=Member.objects.filter(member_involvement_q(institution)).values("household_id")
        )


class Household(BaseModel):
    """A registered household (户), identified by the national system's household number."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    village = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,  # indexed in Meta
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    poverty_attribute = models.CharField(
        _("poverty attribute"),
        max_length=16,
        choices=PovertyAttribute.choices,
        default=PovertyAttribute.GENERAL,
    )
    status = models.CharField(
        _("poverty status"),
        max_length=16,
        choices=PovertyStatus.choices,
        default=PovertyStatus.REGISTERED,
    )
    lifted_year = models.PositiveSmallIntegerField(_("year lifted out"), null=True, blank=True)
    poverty_cause = models.CharField(
        _("main poverty cause"),
        max_length=16,
        choices=PovertyCause.choices,
        blank=True,
        default="",
    )
    illness_caused = models.BooleanField(_("poor because of illness"), default=False)
    illness_returned = models.BooleanField(_("back in poverty because of illness"), default=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["village_id", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # The list's order: one index walk for a page, whatever the offset; it also serves
        # every equality on the village. Scope is a prefix of the village code, which on
        # PostgreSQL needs a varchar_pattern_ops index (the database's collation may not be C).
        # Status and cause are matched by equality only: plain indexes, without the pattern
        # copies db_index adds on PostgreSQL (every index costs the roster import its writes).
        indexes = [
            models.Index(fields=["village", "number"], name="household_village_number"),
            models.Index(
                fields=["village"],
                name="household_village_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["status"], name="household_status"),
            models.Index(fields=["poverty_cause"], name="household_poverty_cause"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_region_code(self) -> str:
        return self.village_id or ""


class HouseholdContact(models.Model):
    """A 亲情号码 entry: whom the household calls (village doctor, family doctor, emergency)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=ContactKind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32)

    class Meta:
        ordering = ["household_id", "kind"]
        verbose_name = _("contact number")
        verbose_name_plural = _("contact numbers")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} {self.phone}".strip()

    def audit_region_code(self) -> str:
        return self.household.village_id


class MemberQuerySet(ScopedQuerySet):
    scope_field = "household__village__code"

    def visible_to_institution(self, institution):
        """Members with a referral, encounter or settlement at the institution."""
        from households.involvement import member_involvement_q

        return self.filter(member_involvement_q(institution))

    def by_id_number(self, raw) -> MemberQuerySet:
        """Members whose ID number equals ``raw`` after normalisation (via the blind index)."""
        try:
            number = normalize_id_number(raw)
        except IDNumberError:
            return self.none()
        return self.filter(id_number_index=blind_index(number))

    def aged_between(self, low: int | None, high: int | None, on: datetime.date | None = None):
        """Members whose age in whole years on ``on`` (default today) lies in [low, high]."""
        on = on or timezone.localdate()
        queryset = self
        if low is not None:
            queryset = queryset.filter(birth_date__lte=_years_before(on, low))
        if high is not None:
            queryset = queryset.filter(birth_date__gt=_years_before(on, high + 1))
        return queryset


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Full years of age on ``day``."""
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Member(BaseModel):
    """A person of a registered household.

    The resident ID number is never stored in clear: ``id_number_cipher`` holds it
    encrypted (key from the environment), ``id_number_index`` is an HMAC blind index
    for exact look-up and uniqueness, and ``id_number_masked`` is what pages show.
    Sex and birth date are derived from the number and checked against it.
    """

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("household")
    )
    # Not indexed: names are searched by substring, which no B-tree serves.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    id_number_cipher = models.CharField(_("ID number (encrypted)"), max_length=96, editable=False)
    # Unique through Meta.constraints, which (unlike unique=True) does not add PostgreSQL's
    # varchar_pattern_ops copy: the blind index is only ever matched whole.
    id_number_index = models.CharField(_("ID number blind index"), max_length=64, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True, default="汉族")
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    insured = models.BooleanField(_("enrolled in basic medical insurance"), default=True)
    health_status = models.CharField(
        _("health status"),
        max_length=16,
        choices=HealthStatus.choices,
        default=HealthStatus.HEALTHY,
    )
    disabled = models.BooleanField(_("disabled"), default=False)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    diseases = models.ManyToManyField(
        Disease, through="MemberDisease", related_name="members", verbose_name=_("diseases")
    )

    objects = MemberQuerySet.as_manager()

    # Never copied into audit snapshots: the cipher and index are useless there and the
    # masked form says all an auditor needs. The birth date is the 8 digits the mask hides:
    # beside the masked number it would be the full number.
    audit_exclude = ("id_number_cipher", "id_number_index", "birth_date")

    class Meta:
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], name="member_id_number_index_unique"
            )
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"

    def audit_region_code(self) -> str:
        return self.household.village_id

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.birth_date, day)

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class MemberDisease(models.Model):
    """A member's diagnosis of a catalogue disease."""

    # No index of its own: the unique (member, disease) index leads with the member.
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="member_diseases", db_index=False
    )
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+")
    diagnosed_on = models.DateField(_("diagnosed on"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "disease"], name="unique_member_disease")
        ]
        verbose_name = _("member's disease")
        verbose_name_plural = _("members' diseases")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.disease_id}"


class SpecialCardQuerySet(ScopedQuerySet):
    scope_field = "member__household__village__code"

    def visible_to_institution(self, institution):
        from households.involvement import member_involvement_q

        return self.filter(member_involvement_q(institution, "member_id"))


class SpecialCard(BaseModel):
    """A chronic-disease special card (慢病卡): outpatient costs of the disease are covered."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="special_cards", verbose_name=_("member")
    )
    number = models.CharField(_("card number"), max_length=64, unique=True)
    disease = models.ForeignKey(
        Disease,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("disease"),
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)

    objects = SpecialCardQuerySet.as_manager()

    class Meta:
        ordering = ["member_id", "number"]
        verbose_name = _("chronic-disease special card")
        verbose_name_plural = _("chronic-disease special cards")

    def __str__(self) -> str:
        return self.number

    def audit_region_code(self) -> str:
        return self.member.household.village_id


REGISTRY_MODELS = (Household, Member, MemberDisease, SpecialCard)
"""The registry's tables a roster import writes (and locks while it does), which ``ANALYZE``
refreshes after a large one."""
