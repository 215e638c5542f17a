"""Writes of the registry: every create, update and delete goes through here and is audited.

Each service takes keyword-only arguments and ``by`` (the acting user), runs in one
transaction and writes its audit row in it. Invalid input raises Django's
``ValidationError`` with a message per field (``{"id_number": [...]}``), so forms attach
the messages to their fields and the API returns them as a 400 body as they are.

Scope is not checked here: callers load the records through ``visible_to(user)`` first,
so a service only ever sees records the user may see.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel, Role
from healthaid.idnumbers import (
    IDNumberError,
    blind_index,
    decrypt_id_number,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
    protect_id_number,
)
from healthaid.models import Region
from healthaid.scoping import can_reveal_id, get_profile, scope_prefix_within
from households.catalogue import DISEASES
from households.choices import (
    ContactKind,
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.models import (
    Disease,
    Household,
    HouseholdContact,
    Member,
    MemberDisease,
    SpecialCard,
)
from households.signals import contacts_changed, members_changed

__all__ = [
    "disease_catalogue_sync",
    "household_create",
    "household_delete",
    "household_set_contacts",
    "household_update",
    "member_create",
    "member_delete",
    "member_reveal_id_number",
    "member_lookup_by_id_number",
    "member_reveal_refused_out_of_scope",
    "member_set_diseases",
    "member_update",
    "special_card_add",
]

# 建档立卡 registration began in 2014; households were lifted out from then on.
FIRST_LIFTED_YEAR = 2014
HOUSEHOLD_FIELDS = (
    "number",
    "village",
    "address",
    "poverty_attribute",
    "status",
    "lifted_year",
    "poverty_cause",
    "illness_caused",
    "illness_returned",
)
MEMBER_FIELDS = (
    "name",
    "relation",
    "ethnicity",
    "phone",
    "insured",
    "health_status",
    "disabled",
    "pregnant",
)
_PHONE_RE = re.compile(r"^[0-9+\-() ]{3,32}$")


@transaction.atomic
def disease_catalogue_sync() -> int:
    """Make the ``Disease`` table match the shipped catalogue; returns rows created or changed.

    Editing names or synonyms in ``households/catalogue.py`` and running ``migrate``
    (or ``seed_demo``) brings the table up to date; diseases are never deleted, since
    members may refer to them.
    """
    existing = {d.code: d for d in Disease.objects.all()}
    changed = 0
    reclassified = []
    for order, spec in enumerate(DISEASES):
        values = {
            "name": spec.name,
            "category": spec.category,
            "follow_ups_per_year": spec.follow_ups_per_year,
            "synonyms": list(spec.synonyms),
            "sort_order": order,
        }
        disease = existing.get(spec.code)
        if disease is None:
            Disease.objects.create(code=spec.code, **values)
            changed += 1
        elif any(getattr(disease, key) != value for key, value in values.items()):
            if (disease.category, disease.follow_ups_per_year) != (
                values["category"],
                values["follow_ups_per_year"],
            ):
                reclassified.append(disease.pk)
            for key, value in values.items():
                setattr(disease, key, value)
            disease.save()
            changed += 1
    if reclassified:
        # The key groups follow the catalogue's categories and frequencies.
        _members_changed(
            MemberDisease.objects.filter(disease_id__in=reclassified).values_list(
                "member_id", flat=True
            )
        )
    return changed


def _members_changed(member_ids) -> None:
    """Tell the apps that derive data from members (``households.signals``)."""
    members_changed.send(sender=Member, member_ids=list(member_ids))


# --- validation helpers ----------------------------------------------------------------------


def _field_error(field: str, label: str, reason: str) -> ValidationError:
    """A message that names the field and the reason: ``证件号码：校验码错误……``."""
    return ValidationError(
        {field: [_("%(field)s: %(reason)s") % {"field": label, "reason": reason}]}
    )


def _choice(value: str, choices, field: str, label: str) -> str:
    if value not in choices.values:
        raise _field_error(field, label, _("“%(value)s” is not a valid choice.") % {"value": value})
    return value


def _clean_household(values: dict[str, Any], *, instance: Household | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def add(error: ValidationError) -> None:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)

    number = str(values.get("number") or "").strip()
    values["number"] = number
    if not number:
        add(_field_error("number", _("Household number"), _("this field is required.")))
    else:
        clash = Household.objects.filter(number=number)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            add(
                _field_error(
                    "number",
                    _("Household number"),
                    _("household number %(number)s is already registered.") % {"number": number},
                )
            )
    village = values.get("village")
    if not isinstance(village, Region) or village.level != RegionLevel.VILLAGE:
        add(_field_error("village", _("Village"), _("choose a village.")))
    for field, choices, label in (
        ("poverty_attribute", PovertyAttribute, _("Poverty attribute")),
        ("status", PovertyStatus, _("Poverty status")),
    ):
        try:
            _choice(values.get(field) or "", choices, field, label)
        except ValidationError as exc:
            add(exc)
    cause = values.get("poverty_cause") or ""
    values["poverty_cause"] = cause
    if cause:
        try:
            _choice(cause, PovertyCause, "poverty_cause", _("Main poverty cause"))
        except ValidationError as exc:
            add(exc)
    year = values.get("lifted_year")
    this_year = timezone.localdate().year
    if values.get("status") == PovertyStatus.LIFTED:
        if year is None:
            add(
                _field_error(
                    "lifted_year",
                    _("Year lifted out"),
                    _("a household lifted out of poverty needs the year it was lifted out."),
                )
            )
        elif not FIRST_LIFTED_YEAR <= int(year) <= this_year:
            add(
                _field_error(
                    "lifted_year",
                    _("Year lifted out"),
                    _("the year must lie between %(first)d and %(last)d.")
                    % {"first": FIRST_LIFTED_YEAR, "last": this_year},
                )
            )
    elif year is not None and values.get("status") == PovertyStatus.REGISTERED:
        add(
            _field_error(
                "lifted_year",
                _("Year lifted out"),
                _("a household still registered as poor has no year lifted out."),
            )
        )
    values["address"] = str(values.get("address") or "").strip()
    values["illness_caused"] = bool(values.get("illness_caused"))
    values["illness_returned"] = bool(values.get("illness_returned"))
    if errors:
        raise ValidationError(errors)
    return values


def _parse_member_id(raw: Any, given_sex: str | None):
    """Normalise and validate ``raw``; returns (IDNumberInfo, sex) or raises per-field errors."""
    if raw is None or str(raw).strip() == "":
        raise _field_error("id_number", _("ID number"), _("this field is required."))
    try:
        info = parse_id_number(raw)
    except IDNumberError as exc:
        raise _field_error("id_number", _("ID number"), exc.message) from None
    if given_sex and given_sex != info.sex:
        raise _field_error(
            "sex",
            _("Sex"),
            _("the ID number belongs to a %(derived)s, but %(given)s was given.")
            % {"derived": Sex(info.sex).label, "given": Sex(given_sex).label},
        )
    return info


def _check_unique_id(index: str, *, exclude_pk: int | None) -> None:
    clash = Member.objects.filter(id_number_index=index)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise _field_error(
            "id_number",
            _("ID number"),
            _(
                "this ID number is already registered for another member; "
                "search for it to find that person."
            ),
        )


def _clean_member(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        values["name"] = name
        if not name:
            errors["name"] = [
                _("%(field)s: %(reason)s")
                % {"field": pgettext("person", "Name"), "reason": _("this field is required.")}
            ]
    for field, choices, label in (
        ("relation", Relation, _("Relation to head")),
        ("health_status", HealthStatus, _("Health status")),
    ):
        if field in values:
            try:
                _choice(values[field] or "", choices, field, label)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "phone" in values:
        phone = str(values["phone"] or "").strip()
        values["phone"] = phone
        if phone and not _PHONE_RE.match(phone):
            errors["phone"] = [
                _("%(field)s: %(reason)s")
                % {"field": _("Phone"), "reason": _("only digits, spaces, + - ( ) are allowed.")}
            ]
    if "ethnicity" in values:
        values["ethnicity"] = str(values["ethnicity"] or "").strip()
    for flag in ("insured", "disabled", "pregnant"):
        if flag in values:
            values[flag] = bool(values[flag])
    if errors:
        raise ValidationError(errors)
    return values


def _resolve_diseases(diseases: Iterable[Disease | str]) -> list[Disease]:
    wanted = list(diseases)
    codes = {d for d in wanted if isinstance(d, str)}
    found = {d.code: d for d in Disease.objects.filter(code__in=codes)} if codes else {}
    unknown = sorted(codes - set(found))
    if unknown:
        raise _field_error(
            "diseases",
            _("Diseases"),
            _("not in the disease catalogue: %(codes)s.") % {"codes": "、".join(unknown)},
        )
    result: dict[int, Disease] = {}
    for item in wanted:
        disease = found[item] if isinstance(item, str) else item
        result[disease.pk] = disease
    return list(result.values())


def _disease_names(member: Member) -> list[str]:
    return sorted(
        MemberDisease.objects.filter(member=member).values_list("disease__name", flat=True)
    )


# --- households ------------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    number: str,
    village: Region,
    by,
    address: str = "",
    poverty_attribute: str = PovertyAttribute.GENERAL,
    status: str = PovertyStatus.REGISTERED,
    lifted_year: int | None = None,
    poverty_cause: str = "",
    illness_caused: bool = False,
    illness_returned: bool = False,
) -> Household:
    """Register a household (户); its number must be new."""
    values = _clean_household(
        {
            "number": number,
            "village": village,
            "address": address,
            "poverty_attribute": poverty_attribute,
            "status": status,
            "lifted_year": lifted_year,
            "poverty_cause": poverty_cause,
            "illness_caused": illness_caused,
            "illness_returned": illness_returned,
        },
        instance=None,
    )
    household = Household(**values, created_by=by if by and by.is_authenticated else None)
    household.save()
    audit.record_create(household, by=by)
    return household


@transaction.atomic
def household_update(*, household: Household, by, **changes: Any) -> Household:
    """Change a household's fields (any of ``HOUSEHOLD_FIELDS``); audited with the diff."""
    unknown = set(changes) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise TypeError(f"household_update() got unexpected fields: {sorted(unknown)}")
    before = audit.snapshot(household)
    before_village = household.village_id
    values = {field: getattr(household, field) for field in HOUSEHOLD_FIELDS}
    values.update(changes)
    values = _clean_household(values, instance=household)
    for field, value in values.items():
        setattr(household, field, value)
    household.save()
    if household.village_id != before_village:
        _members_changed(household.members.values_list("pk", flat=True))
    audit.record_update(household, before, by=by)
    return household


@transaction.atomic
def household_delete(*, household: Household, by) -> None:
    """Delete a household that has no members left (members are deleted one by one first)."""
    count = household.members.count()
    if count:
        raise ValidationError(
            _("Household %(number)s still has %(count)d members; delete or move them first.")
            % {"number": household.number, "count": count}
        )
    audit.record_delete(household, by=by)
    household.delete()


@transaction.atomic
def household_set_contacts(
    *, household: Household, contacts: Iterable[Mapping[str, str]], by
) -> list[HouseholdContact]:
    """Replace the household's 亲情号码 with ``contacts`` (dicts of kind, name, phone)."""
    rows: list[HouseholdContact] = []
    errors: list[str] = []
    for entry in contacts:
        kind = entry.get("kind") or ""
        phone = str(entry.get("phone") or "").strip()
        name = str(entry.get("name") or "").strip()
        if kind not in ContactKind.values:
            errors.append(_("“%(value)s” is not a valid choice.") % {"value": kind})
            continue
        if not phone:
            if name:
                errors.append(
                    _("%(field)s: %(reason)s")
                    % {
                        "field": ContactKind(kind).label,
                        "reason": _("a contact needs a phone number."),
                    }
                )
            continue
        if not _PHONE_RE.match(phone):
            errors.append(
                _("%(field)s: %(reason)s")
                % {
                    "field": ContactKind(kind).label,
                    "reason": _("only digits, spaces, + - ( ) are allowed."),
                }
            )
            continue
        rows.append(HouseholdContact(household=household, kind=kind, name=name, phone=phone))
    if errors:
        raise ValidationError({"contacts": errors})
    existing = list(household.contacts.all())
    before = [[c.kind, c.name, c.phone] for c in existing]
    after = [[c.kind, c.name, c.phone] for c in rows]
    if sorted(before) == sorted(after):
        return existing
    household.contacts.all().delete()
    HouseholdContact.objects.bulk_create(rows)
    contacts_changed.send(sender=Household, household_ids=[household.pk])
    audit.record(
        action=AuditAction.UPDATE,
        by=by,
        instance=household,
        before={"contacts": before},
        after={"contacts": after},
        message=_("Contact numbers changed"),
    )
    return rows


# --- members ---------------------------------------------------------------------------------


@transaction.atomic
def member_create(
    *,
    household: Household,
    name: str,
    id_number: str,
    by,
    sex: str | None = None,
    relation: str = Relation.OTHER,
    ethnicity: str = "汉族",
    phone: str = "",
    insured: bool = True,
    health_status: str = HealthStatus.HEALTHY,
    disabled: bool = False,
    pregnant: bool = False,
    diseases: Iterable[Disease | str] | None = None,
) -> Member:
    """Add a person to a household.

    ``id_number`` is the raw number as typed or imported: it is normalised and validated,
    and sex and birth date are derived from it. A ``sex`` that contradicts the number is an
    error; the number itself is stored only encrypted, as a blind index and masked.
    """
    values = _clean_member(
        {
            "name": name,
            "relation": relation,
            "ethnicity": ethnicity,
            "phone": phone,
            "insured": insured,
            "health_status": health_status,
            "disabled": disabled,
            "pregnant": pregnant,
        }
    )
    info = _parse_member_id(id_number, sex or None)
    cipher, index, masked = protect_id_number(info.number)
    _check_unique_id(index, exclude_pk=None)
    member = Member(
        household=household,
        id_number_cipher=cipher,
        id_number_index=index,
        id_number_masked=masked,
        sex=info.sex,
        birth_date=info.birth_date,
        created_by=by if by and by.is_authenticated else None,
        **values,
    )
    _save_member(member)
    if diseases:
        MemberDisease.objects.bulk_create(
            [MemberDisease(member=member, disease=d) for d in _resolve_diseases(diseases)]
        )
    _members_changed([member.pk])
    after = audit.snapshot(member)
    after["diseases"] = _disease_names(member) if diseases else []
    audit.record(action=AuditAction.CREATE, by=by, instance=member, after=after)
    return member


def _save_member(member: Member) -> None:
    # Two clerks registering the same person at once: the unique blind index decides.
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise _field_error(
            "id_number",
            _("ID number"),
            _(
                "this ID number is already registered for another member; "
                "search for it to find that person."
            ),
        ) from None


@transaction.atomic
def member_update(
    *,
    member: Member,
    by,
    id_number: str | None = None,
    sex: str | None = None,
    diseases: Iterable[Disease | str] | None = None,
    **changes: Any,
) -> Member:
    """Change a member. A new ``id_number`` re-derives sex and birth date; ``sex`` is checked.

    ``diseases`` (when given) replaces the member's diagnoses.
    """
    unknown = set(changes) - set(MEMBER_FIELDS) - {"household"}
    if unknown:
        raise TypeError(f"member_update() got unexpected fields: {sorted(unknown)}")
    before = audit.snapshot(member)
    changes = _clean_member(dict(changes))
    if id_number is not None and str(id_number).strip():
        info = _parse_member_id(id_number, sex or None)
        cipher, index, masked = protect_id_number(info.number)
        _check_unique_id(index, exclude_pk=member.pk)
        if index != member.id_number_index:
            member.id_number_cipher = cipher
            member.id_number_index = index
            member.id_number_masked = masked
        member.sex = info.sex
        member.birth_date = info.birth_date
    elif sex and sex != member.sex:
        raise _field_error(
            "sex",
            _("Sex"),
            _("the ID number belongs to a %(derived)s, but %(given)s was given.")
            % {"derived": Sex(member.sex).label, "given": Sex(sex).label},
        )
    for field, value in changes.items():
        setattr(member, field, value)
    _save_member(member)
    after = audit.snapshot(member)
    if diseases is not None:
        old = _disease_names(member)
        _replace_diseases(member, _resolve_diseases(diseases))
        new = _disease_names(member)
        if old != new:
            before["diseases"], after["diseases"] = old, new
    _members_changed([member.pk])
    changed = audit.diff(before, after)
    if changed:
        audit.record(
            action=AuditAction.UPDATE,
            by=by,
            instance=member,
            before={k: v[0] for k, v in changed.items()},
            after={k: v[1] for k, v in changed.items()},
        )
    return member


@transaction.atomic
def member_delete(*, member: Member, by) -> None:
    """Remove a person from the registry, with their diagnoses and cards."""
    before = audit.snapshot(member)
    before["diseases"] = _disease_names(member)
    audit.record(action=AuditAction.DELETE, by=by, instance=member, before=before)
    pk = member.pk
    member.delete()
    # the apps that count people (contract targets, screening, referrals) drop the person
    # and refresh their cached figures
    _members_changed([pk])


def _replace_diseases(member: Member, diseases: list[Disease]) -> None:
    wanted = {d.pk for d in diseases}
    current = set(MemberDisease.objects.filter(member=member).values_list("disease_id", flat=True))
    if wanted - current:
        MemberDisease.objects.bulk_create(
            [MemberDisease(member=member, disease_id=pk) for pk in sorted(wanted - current)]
        )
    if current - wanted:
        MemberDisease.objects.filter(member=member, disease_id__in=current - wanted).delete()


@transaction.atomic
def member_set_diseases(*, member: Member, diseases: Iterable[Disease | str], by) -> Member:
    """Replace a member's diagnoses with ``diseases`` (``Disease`` rows or catalogue codes)."""
    resolved = _resolve_diseases(diseases)
    old = _disease_names(member)
    _replace_diseases(member, resolved)
    _members_changed([member.pk])
    new = _disease_names(member)
    if old != new:
        audit.record(
            action=AuditAction.UPDATE,
            by=by,
            instance=member,
            before={"diseases": old},
            after={"diseases": new},
        )
    return member


@transaction.atomic
def special_card_add(
    *,
    member: Member,
    number: str,
    by,
    disease: Disease | str | None = None,
    issued_on: datetime.date | None = None,
) -> SpecialCard:
    """Record a chronic-disease special card (慢病卡) issued to ``member``."""
    number = str(number or "").strip()
    if not number:
        raise _field_error("card_number", _("Card number"), _("this field is required."))
    if SpecialCard.objects.filter(number=number).exists():
        raise _field_error(
            "card_number",
            _("Card number"),
            _("card %(number)s is already registered.") % {"number": number},
        )
    if isinstance(disease, str) and disease:
        disease = _resolve_diseases([disease])[0]
    if issued_on is not None and issued_on > timezone.localdate():
        raise _field_error("card_issued_on", _("Issued on"), _("the date is in the future."))
    card = SpecialCard(
        member=member,
        number=number,
        disease=disease or None,
        issued_on=issued_on,
        created_by=by if by and by.is_authenticated else None,
    )
    card.save()
    audit.record_create(card, by=by)
    return card


def member_reveal_id_number(*, member: Member, by) -> str:
    """The member's full ID number, for roles that may see it; every reveal is audited.

    The audit row says who saw whose number and when; it never holds the number itself.
    """
    if not can_reveal_id(by):
        # Recorded in its own transaction: the refusal below must not roll it back.
        with transaction.atomic():
            audit.record(
                action=AuditAction.REVEAL_REFUSED,
                by=by,
                instance=member,
                message=_("Refused: the user's role may not see full ID numbers"),
            )
        raise PermissionDenied(_("Your role may not see full ID numbers."))
    number = decrypt_id_number(member.id_number_cipher)
    with transaction.atomic():
        audit.record(
            action=AuditAction.REVEAL,
            by=by,
            instance=member,
            message=_("Full ID number shown"),
        )
    return number


def member_reveal_refused_out_of_scope(*, member_pk, by) -> None:
    """Audit an asked reveal of a member the user does not see (missing or outside the scope).

    The row is filed under the user's own scope region, so their bureau sees the attempt; it
    names the record by id only, never by name or masked number, which the user may not see.
    """
    profile = get_profile(by)
    with transaction.atomic():
        audit.record(
            action=AuditAction.REVEAL_REFUSED,
            by=by,
            target_type=Member._meta.label_lower,
            target_id=str(member_pk)[:64],
            target_repr="",
            message=_("Refused: the record is not in the user's scope"),
            region_code=profile.region_id if profile is not None else "",
        )


# Roles that find a person by full ID number: hospital staff, who see no registry record until
# their institution's records involve the person (``households.involvement``).
LOOKUP_ROLES = frozenset({Role.HOSPITAL_STAFF})


def member_lookup_by_id_number(*, id_number: str, by) -> Member | None:
    """The registry member whose ID number is exactly ``id_number``, within the user's scope.

    For hospital staff registering a patient. Only an exact match of the whole number (through
    the blind index; spaces, full-width digits and a lower-case x are normalised): nothing is
    found by a part of a number or a name. Every look-up is audited, found or not; a miss
    records the masked form of the number asked, so a run of guesses around one person shows
    on the trail. The result is shown once; it does not make the member part of the user's
    lists.
    """
    profile = get_profile(by)
    if profile is None or profile.role not in LOOKUP_ROLES:
        raise PermissionDenied(_("Only hospital staff look people up by ID number."))
    try:
        number = normalize_id_number(id_number)
    except IDNumberError as exc:
        raise ValidationError({"id_number": [exc.message]}) from exc
    prefix = scope_prefix_within(by) or ""
    member = (
        Member.objects.select_related("household", "household__village__parent")
        .prefetch_related("member_diseases__disease", "special_cards__disease")
        .filter(household__village__code__startswith=prefix, id_number_index=blind_index(number))
        .first()
    )
    with transaction.atomic():
        if member is not None:
            audit.record(
                action=AuditAction.LOOKUP,
                by=by,
                instance=member,
                message=_("Found by an exact look-up of the full ID number"),
            )
        else:
            audit.record(
                action=AuditAction.LOOKUP,
                by=by,
                target_type=Member._meta.label_lower,
                target_repr=mask_id_number(number),
                message=_("Exact look-up of the full ID number: no member in scope"),
                region_code=profile.region_id,
            )
    return member
