"""Writes of the screening app: screenings, suspected cases, check-ups, prescriptions,
five-ones campaigns and free clinics.

Each service takes keyword-only arguments and the acting user (``by``), runs in one
transaction and writes its audit row in it. Callers pass records they looked up through
``visible_to``; the services check the business rules and raise ``ValidationError`` with a
message that names the field (``收缩压：……``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services import guard_edit
from contracts.models import DoctorTeam
from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel
from healthaid.models import Institution, Region
from households.models import Disease, Household, Member, MemberDisease
from households.services import member_set_diseases
from screening.catalogue import EIGHT_ONES, FIVE_ONES, PRESCRIPTIONS, SCREENING_ITEMS
from screening.choices import CampaignTarget, ItemSource, PhaseKind, SuspicionStatus
from screening.models import (
    Campaign,
    CampaignItem,
    CampaignPhase,
    CheckUp,
    FreeClinic,
    FreeClinicPhoto,
    FreeClinicTarget,
    HouseholdItem,
    IssuedPrescription,
    Prescription,
    Screening,
    ScreeningItem,
    Suspicion,
    WorkTeam,
)
from screening.periods import half_bounds, half_of  # noqa: F401 (used here and re-exported)
from screening.states import refresh_states
from screening.tasks import rebuild_states_soon

__all__ = [
    "campaign_create",
    "campaign_delete",
    "campaign_item_delete",
    "campaign_item_save",
    "campaign_update",
    "check_up_record",
    "evaluate",
    "free_clinic_record",
    "free_clinic_target_create",
    "half_of",
    "household_item_mark",
    "household_item_unmark",
    "prescription_issue",
    "prescription_save",
    "screening_batch_record",
    "screening_catalogue_sync",
    "screening_item_set_threshold",
    "screening_record",
    "suspicion_confirm",
    "suspicion_rule_out",
    "work_team_delete",
    "work_team_save",
]

# Plausible ranges: outside them the number was mistyped (a 1600 for 160).
RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "systolic": (Decimal(50), Decimal(300)),
    "diastolic": (Decimal(30), Decimal(200)),
    "fasting_glucose": (Decimal("1.0"), Decimal("35.0")),
    "random_glucose": (Decimal("1.0"), Decimal("35.0")),
    "height": (Decimal("40.0"), Decimal("230.0")),
    "weight": (Decimal("2.0"), Decimal("250.0")),
    "waist": (Decimal("30.0"), Decimal("200.0")),
    "heart_rate": (Decimal(20), Decimal(250)),
}
MEASUREMENTS = ("systolic", "diastolic", "fasting_glucose", "random_glucose", "height", "weight")


def _labels() -> dict[str, str]:
    return {
        "member": _("Member"),
        "screened_on": _("Screening date"),
        "checked_on": _("Check-up date"),
        "issued_on": _("Date issued"),
        "systolic": _("Systolic BP"),
        "diastolic": _("Diastolic BP"),
        "fasting_glucose": _("Fasting glucose"),
        "random_glucose": _("Random glucose"),
        "height": _("Height"),
        "weight": _("Weight"),
        "waist": _("Waist"),
        "heart_rate": _("Heart rate"),
        "extra": _("Other items"),
        "prescription": _("Health prescription"),
        "name": _("Name"),
        "county": _("County"),
        "phases": _("Phases"),
        "items": _("Items"),
        "villages": _("Villages"),
        "village": _("Village"),
        "held_on": _("Date"),
        "staff_times": _("Staff person-times"),
        "served": _("People served"),
        "leaflets": _("Leaflets"),
        "drug_value": _("Drug value"),
        "service_value": _("Service value"),
        "item": _("Item"),
        "done_on": _("Done on"),
        "unit_name": _("Unit name"),
        "threshold": _("Threshold"),
        "starts_on": _("Starts on"),
        "ends_on": _("Ends on"),
        "rounds": _("Rounds per village"),
        "status": _("Status"),
        "title": _("Title"),
        "disease": _("Disease"),
        "household": _("Household"),
        "evidence": _("Evidence"),
        "target": _("Campaign target"),
    }


def _message(field: str, reason: str) -> str:
    label = _labels().get(field, field)
    return _("%(field)s: %(reason)s") % {"field": label, "reason": reason}


class _Errors:
    """Collects field errors, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, reason: str) -> None:
        self.errors.setdefault(field, []).append(_message(field, reason))

    def add_labelled(self, key: str, label: str, reason: str) -> None:
        """An error of a field the labels do not know (a catalogue item): named by ``label``."""
        self.errors.setdefault(key, []).append(
            _("%(field)s: %(reason)s") % {"field": label, "reason": reason}
        )

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _progress_changed() -> None:
    from screening.selectors import progress_changed

    progress_changed()


def _states_changed(household_ids) -> None:
    """The households' five-ones item states, in this transaction (and the cache version)."""
    refresh_states(household_ids)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _not_future(errors: _Errors, field: str, day: datetime.date) -> None:
    if day > timezone.localdate():
        errors.add(field, _("the date is in the future."))


# --- reference data ---------------------------------------------------------------------------


@transaction.atomic
def screening_catalogue_sync() -> int:
    """Add the shipped thresholds and prescriptions that are missing; returns rows added.

    Rows already there are not overwritten: once seeded, county staff own them.
    """
    diseases = {d.code: d for d in Disease.objects.all()}
    added = 0
    existing = set(ScreeningItem.objects.values_list("code", flat=True))
    for order, spec in enumerate(SCREENING_ITEMS):
        if spec.code in existing:
            continue
        ScreeningItem.objects.create(
            code=spec.code,
            name=spec.name,
            unit=spec.unit,
            comparison=spec.comparison,
            threshold=spec.threshold,
            disease=diseases.get(spec.disease) if spec.disease else None,
            builtin=spec.builtin,
            sort_order=order,
        )
        added += 1
    have = set(Prescription.objects.values_list("disease__code", flat=True))
    for spec in PRESCRIPTIONS:
        if spec.disease in have or spec.disease not in diseases:
            continue
        Prescription.objects.create(
            disease=diseases[spec.disease],
            title=spec.title,
            cause=spec.cause,
            diagnosis=spec.diagnosis,
            western_treatment=spec.western_treatment,
            tcm_treatment=spec.tcm_treatment,
            lifestyle=spec.lifestyle,
            see_doctor=spec.see_doctor,
        )
        added += 1
    return added


@transaction.atomic
def screening_item_set_threshold(
    *, item: ScreeningItem, threshold, comparison: str | None = None, active: bool | None = None, by
) -> ScreeningItem:
    """Change an item's threshold (county staff); screenings recorded later use it."""
    errors = _Errors()
    value = _decimal(threshold)
    if value is None or value <= 0:
        errors.add("threshold", _("enter a positive number."))
    errors.raise_if_any()
    before = audit.snapshot(item)
    item.threshold = value
    if comparison:
        item.comparison = comparison
    if active is not None:
        item.active = active
    item.save()
    audit.record_update(item, before, by=by)
    return item


# --- screenings -------------------------------------------------------------------------------


def bmi_of(height: Decimal | None, weight: Decimal | None) -> Decimal | None:
    """Weight (kg) ÷ height (m)², one decimal, half up."""
    if not height or not weight:
        return None
    metres = Decimal(height) / 100
    return (Decimal(weight) / (metres * metres)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def active_items() -> list[ScreeningItem]:
    return list(ScreeningItem.objects.filter(active=True).select_related("disease"))


def evaluate(values: Mapping[str, Any], items: Iterable[ScreeningItem]) -> list[str]:
    """The codes of the items whose value is abnormal by their threshold (``values`` by code)."""
    abnormal = []
    for item in items:
        value = _decimal(values.get(item.code))
        if value is not None and item.is_abnormal(value):
            abnormal.append(item.code)
    return abnormal


def _team_for(member: Member) -> DoctorTeam | None:
    return DoctorTeam.objects.filter(villages=member.household.village_id).order_by("pk").first()


def _check_measurements(errors: _Errors, values: dict[str, Any]) -> None:
    for field, (low, high) in RANGES.items():
        value = values.get(field)
        if value is not None and not low <= Decimal(value) <= high:
            errors.add(
                field,
                _("%(value)s is outside the plausible range %(low)s–%(high)s.")
                % {"value": value, "low": low, "high": high},
            )
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if (systolic is None) != (diastolic is None):
        errors.add(
            "diastolic" if diastolic is None else "systolic",
            _("enter both the systolic and the diastolic pressure."),
        )
    elif systolic is not None and systolic <= diastolic:
        errors.add("diastolic", _("must be lower than the systolic pressure."))


def _screening(
    *,
    member: Member,
    screened_on: datetime.date | None,
    place: str,
    team: DoctorTeam | None,
    values: dict[str, Any],
    extra: Mapping[str, Any] | None,
    advice: str,
    items: list[ScreeningItem],
    by,
) -> Screening:
    errors = _Errors()
    screened_on = screened_on or timezone.localdate()
    _not_future(errors, "screened_on", screened_on)
    _check_measurements(errors, values)
    free = {item.code: item for item in items if not item.builtin}
    extra_values: dict[str, str] = {}
    for code, raw in (extra or {}).items():
        if raw in (None, ""):
            continue
        value = _decimal(raw)
        if code not in free:
            errors.add("extra", _("“%(code)s” is not a screening item in use.") % {"code": code})
        elif value is None or not value.is_finite():
            errors.add_labelled(f"extra_{code}", free[code].name, _("enter a number."))
        elif value < 0:
            errors.add_labelled(f"extra_{code}", free[code].name, _("must not be negative."))
        else:
            extra_values[code] = str(value)
    if not any(values.get(f) is not None for f in MEASUREMENTS) and not extra_values:
        errors.add("systolic", _("enter at least one measurement."))
    errors.raise_if_any()

    bmi = bmi_of(values.get("height"), values.get("weight"))
    abnormal = evaluate({**values, "bmi": bmi, **extra_values}, items)
    screening = Screening.objects.create(
        member=member,
        screened_on=screened_on,
        place=place or "",
        doctor=by if getattr(by, "is_authenticated", False) else None,
        team=team if team is not None else _team_for(member),
        bmi=bmi,
        extra=extra_values,
        abnormal_items=abnormal,
        abnormal=bool(abnormal),
        advice=advice or "",
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **values,
    )
    _suspect(screening, abnormal, items, by=by)
    audit.record_create(screening, by=by)
    guard_edit(
        by,
        region_code=screening.audit_region_code(),
        on=screened_on,
        record=screening,
        action="create",
    )
    _states_changed([member.household_id])
    return screening


def _suspect(screening: Screening, abnormal: list[str], items: list[ScreeningItem], *, by) -> None:
    """Open a suspicion for each disease an abnormal item points to that the member lacks."""
    diseases = {i.disease_id for i in items if i.code in abnormal and i.disease_id}
    if not diseases:
        return
    member = screening.member
    known = set(
        MemberDisease.objects.filter(member=member, disease_id__in=diseases).values_list(
            "disease_id", flat=True
        )
    )
    open_ = set(
        Suspicion.objects.filter(
            member=member, disease_id__in=diseases, status=SuspicionStatus.TO_CONFIRM
        ).values_list("disease_id", flat=True)
    )
    for disease_id in sorted(diseases - known - open_):
        Suspicion.objects.create(
            member=member,
            screening=screening,
            disease_id=disease_id,
            created_by=screening.created_by,
        )


def _measurement_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in ("systolic", "diastolic"):
        value = raw.get(field)
        values[field] = None if value in (None, "") else int(value)
    for field in ("fasting_glucose", "random_glucose", "height", "weight", "waist"):
        values[field] = _decimal(raw.get(field))
    return values


@transaction.atomic
def screening_record(
    *,
    member: Member,
    by,
    screened_on: datetime.date | None = None,
    place: str = "",
    team: DoctorTeam | None = None,
    systolic: int | None = None,
    diastolic: int | None = None,
    fasting_glucose: Decimal | None = None,
    random_glucose: Decimal | None = None,
    height: Decimal | None = None,
    weight: Decimal | None = None,
    waist: Decimal | None = None,
    extra: Mapping[str, Any] | None = None,
    advice: str = "",
) -> Screening:
    """Record a screening; abnormal items by the thresholds, suspicions for unknown diseases."""
    values = _measurement_values(
        {
            "systolic": systolic,
            "diastolic": diastolic,
            "fasting_glucose": fasting_glucose,
            "random_glucose": random_glucose,
            "height": height,
            "weight": weight,
            "waist": waist,
        }
    )
    return _screening(
        member=member,
        screened_on=screened_on,
        place=place,
        team=team,
        values=values,
        extra=extra,
        advice=advice,
        items=active_items(),
        by=by,
    )


@transaction.atomic
def screening_batch_record(
    *,
    rows: Sequence[Mapping[str, Any]],
    screened_on: datetime.date | None,
    place: str = "",
    team: DoctorTeam | None = None,
    by,
) -> list[Screening]:
    """A screening day: one screening per row (``member`` and measurements); rows without any
    measurement are skipped. All or nothing: errors come back as ``"<row>-<field>"``."""
    items = active_items()
    created: list[Screening] = []
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        values = _measurement_values(row)
        extra = row.get("extra") or {}
        if not any(v is not None for v in values.values()) and not any(extra.values()):
            continue
        try:
            with transaction.atomic():
                created.append(
                    _screening(
                        member=row["member"],
                        screened_on=screened_on,
                        place=place,
                        team=team,
                        values=values,
                        extra=extra,
                        advice=row.get("advice") or "",
                        items=items,
                        by=by,
                    )
                )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"{index}-{field}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not created:
        raise ValidationError({"systolic": [_message("systolic", _("enter at least one row."))]})
    return created


@transaction.atomic
def suspicion_confirm(
    *, suspicion: Suspicion, by, diagnosed_on: datetime.date | None = None
) -> Suspicion:
    """Confirm the disease: it is added to the member through the registry's service, which
    tells the contracts app (``members_changed``) so the follow-up schedule includes it."""
    if suspicion.status != SuspicionStatus.TO_CONFIRM:
        raise ValidationError({"status": [_message("status", _("this case is already settled."))]})
    member = suspicion.member
    codes = list(
        MemberDisease.objects.filter(member=member).values_list("disease__code", flat=True)
    )
    if suspicion.disease.code not in codes:
        member_set_diseases(member=member, diseases=[*codes, suspicion.disease.code], by=by)
    day = diagnosed_on or timezone.localdate()
    MemberDisease.objects.filter(
        member=member, disease=suspicion.disease, diagnosed_on=None
    ).update(diagnosed_on=day)
    before = audit.snapshot(suspicion)
    suspicion.status = SuspicionStatus.CONFIRMED
    suspicion.resolved_on = day
    suspicion.resolved_by = by if getattr(by, "is_authenticated", False) else None
    suspicion.save()
    audit.record_update(suspicion, before, by=by)
    _progress_changed()
    return suspicion


@transaction.atomic
def suspicion_rule_out(*, suspicion: Suspicion, by, note: str = "") -> Suspicion:
    """The doctor found no disease: the case leaves the list, with the reason."""
    if suspicion.status != SuspicionStatus.TO_CONFIRM:
        raise ValidationError({"status": [_message("status", _("this case is already settled."))]})
    before = audit.snapshot(suspicion)
    suspicion.status = SuspicionStatus.RULED_OUT
    suspicion.resolved_on = timezone.localdate()
    suspicion.resolved_by = by if getattr(by, "is_authenticated", False) else None
    suspicion.note = (note or "")[:255]
    suspicion.save()
    audit.record_update(suspicion, before, by=by)
    _progress_changed()
    return suspicion


# --- check-ups --------------------------------------------------------------------------------


CHECKUP_RESULTS = ("blood_routine", "urine_routine", "liver_function", "kidney_function", "ecg")


@transaction.atomic
def check_up_record(
    *,
    member: Member,
    by,
    checked_on: datetime.date | None = None,
    institution: Institution | None = None,
    systolic: int | None = None,
    diastolic: int | None = None,
    fasting_glucose: Decimal | None = None,
    height: Decimal | None = None,
    weight: Decimal | None = None,
    heart_rate: int | None = None,
    blood_routine: str = "",
    urine_routine: str = "",
    liver_function: str = "",
    kidney_function: str = "",
    ecg: str = "",
    conclusion: str = "",
) -> CheckUp:
    """Record the half year's free check-up: one per member and half year."""
    errors = _Errors()
    checked_on = checked_on or timezone.localdate()
    _not_future(errors, "checked_on", checked_on)
    values = _measurement_values(
        {
            "systolic": systolic,
            "diastolic": diastolic,
            "fasting_glucose": fasting_glucose,
            "height": height,
            "weight": weight,
        }
    )
    values.pop("random_glucose")
    values.pop("waist")
    values["heart_rate"] = None if heart_rate in (None, "") else int(heart_rate)
    _check_measurements(errors, values)
    year, half = half_of(checked_on)
    done = (
        CheckUp.objects.filter(member=member, year=year, half=half)
        .values_list("checked_on", flat=True)
        .first()
    )
    if done is not None:
        errors.add(
            "checked_on",
            _("%(name)s already had the check-up of %(year)s %(half)s on %(date)s.")
            % {
                "name": member.name,
                "year": year,
                "half": _("first half") if half == 1 else _("second half"),
                "date": done.isoformat(),
            },
        )
    errors.raise_if_any()
    check_up = CheckUp.objects.create(
        member=member,
        year=year,
        half=half,
        checked_on=checked_on,
        doctor=by if getattr(by, "is_authenticated", False) else None,
        institution=institution,
        blood_routine=blood_routine or "",
        urine_routine=urine_routine or "",
        liver_function=liver_function or "",
        kidney_function=kidney_function or "",
        ecg=ecg or "",
        conclusion=conclusion or "",
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **values,
    )
    audit.record_create(check_up, by=by)
    guard_edit(
        by,
        region_code=check_up.audit_region_code(),
        on=checked_on,
        record=check_up,
        action="create",
    )
    _states_changed([member.household_id])
    return check_up


# --- health prescriptions ---------------------------------------------------------------------

PRESCRIPTION_TEXT_FIELDS = (
    "title",
    "cause",
    "diagnosis",
    "western_treatment",
    "tcm_treatment",
    "lifestyle",
    "see_doctor",
)


@transaction.atomic
def prescription_save(
    *,
    by,
    prescription: Prescription | None = None,
    disease: Disease | None = None,
    active: bool = True,
    **texts: str,
) -> Prescription:
    """Create or edit a catalogue prescription (county staff)."""
    errors = _Errors()
    unknown = set(texts) - set(PRESCRIPTION_TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    target = prescription or Prescription()
    if prescription is None:
        if disease is None:
            errors.add("disease", _("choose a disease."))
        elif Prescription.objects.filter(disease=disease).exists():
            errors.add(
                "disease", _("%(disease)s already has a prescription.") % {"disease": disease}
            )
    for field in PRESCRIPTION_TEXT_FIELDS:
        value = (texts.get(field, getattr(target, field, "")) or "").strip()
        if not value:
            errors.add(field, _("this field is required."))
        setattr(target, field, value)
    errors.raise_if_any()
    before = audit.snapshot(target) if prescription is not None else None
    if prescription is None:
        target.disease = disease
        target.created_by = by if getattr(by, "is_authenticated", False) else None
    target.active = active
    target.save()
    if before is None:
        audit.record_create(target, by=by)
    else:
        audit.record_update(target, before, by=by)
    return target


@transaction.atomic
def prescription_issue(
    *,
    member: Member,
    prescription: Prescription,
    by,
    issued_on: datetime.date | None = None,
    team: DoctorTeam | None = None,
    notes: str = "",
) -> IssuedPrescription:
    """Issue a catalogue prescription to a member (printing it is ``screening.printing``)."""
    errors = _Errors()
    issued_on = issued_on or timezone.localdate()
    _not_future(errors, "issued_on", issued_on)
    if not prescription.active:
        errors.add("prescription", _("this prescription is no longer in use."))
    errors.raise_if_any()
    issued = IssuedPrescription.objects.create(
        member=member,
        prescription=prescription,
        issued_on=issued_on,
        doctor=by if getattr(by, "is_authenticated", False) else None,
        team=team if team is not None else _team_for(member),
        notes=(notes or "")[:255],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record_create(issued, by=by)
    _states_changed([member.household_id])
    return issued


# --- campaigns --------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    name: str,
    county: Region,
    phases: Sequence[tuple[str, datetime.date, datetime.date]],
    by,
    target: str = CampaignTarget.ILLNESS,
    items: Sequence[tuple[str, str]] | None = None,
    eight_ones: bool = False,
) -> Campaign:
    """A campaign with its dated phases and items (the five by default, eight with
    ``eight_ones``, or any list of ``(name, source)``)."""
    errors = _Errors()
    if not (name or "").strip():
        errors.add("name", _("this field is required."))
    if not isinstance(county, Region) or county.level != RegionLevel.COUNTY:
        errors.add("county", _("choose a county."))
    if target not in CampaignTarget.values:
        errors.add("target", _("“%(value)s” is not a valid choice.") % {"value": target})
    _check_phases(errors, phases)
    chosen = list(items) if items else list(EIGHT_ONES if eight_ones else FIVE_ONES)
    if any(source not in ItemSource.values for _n, source in chosen) or any(
        not (n or "").strip() for n, _s in chosen
    ):
        errors.add("items", _("each item needs a name and a known source."))
    errors.raise_if_any()
    campaign = Campaign.objects.create(
        name=name.strip(),
        county=county,
        target=target,
        starts_on=min(start for _k, start, _e in phases),
        ends_on=max(end for _k, _s, end in phases),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    CampaignPhase.objects.bulk_create(
        [CampaignPhase(campaign=campaign, kind=k, starts_on=s, ends_on=e) for k, s, e in phases]
    )
    CampaignItem.objects.bulk_create(
        [
            CampaignItem(campaign=campaign, order=order, name=item_name.strip(), source=source)
            for order, (item_name, source) in enumerate(chosen, start=1)
        ]
    )
    audit.record_create(
        campaign,
        by=by,
        message=", ".join(item_name for item_name, _s in chosen),
    )
    rebuild_states_soon(campaign)
    return campaign


def _check_phases(errors: _Errors, phases) -> None:
    kinds = [kind for kind, _start, _end in phases]
    if not phases:
        errors.add("phases", _("give the phases with their dates."))
    elif len(set(kinds)) != len(kinds) or not set(kinds) <= set(PhaseKind.values):
        errors.add("phases", _("each phase (mobilise, implement, summarise) at most once."))
    elif PhaseKind.IMPLEMENT not in kinds:
        errors.add("phases", _("the implementation phase (组织实施) is required."))
    for _kind, start, end in phases:
        if start > end:
            errors.add("phases", _("a phase ends before it starts."))
            break


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    name: str,
    target: str,
    phases: Sequence[tuple[str, datetime.date, datetime.date]],
    by,
) -> Campaign:
    """Change a campaign's name, target and phases (a phase left out is removed; the
    implementation phase stays). Its window follows the phases; the item states are
    recomputed when the window changes."""
    errors = _Errors()
    if not (name or "").strip():
        errors.add("name", _("this field is required."))
    if target not in CampaignTarget.values:
        errors.add("target", _("“%(value)s” is not a valid choice.") % {"value": target})
    _check_phases(errors, phases)
    errors.raise_if_any()
    before = audit.snapshot(campaign)
    window = (campaign.starts_on, campaign.ends_on)
    campaign.name = name.strip()
    campaign.target = target
    campaign.starts_on = min(start for _k, start, _e in phases)
    campaign.ends_on = max(end for _k, _s, end in phases)
    campaign.save()
    kinds = [kind for kind, _s, _e in phases]
    CampaignPhase.objects.filter(campaign=campaign).exclude(kind__in=kinds).delete()
    for kind, start, end in phases:
        CampaignPhase.objects.update_or_create(
            campaign=campaign, kind=kind, defaults={"starts_on": start, "ends_on": end}
        )
    audit.record_update(campaign, before, by=by)
    if (campaign.starts_on, campaign.ends_on) != window:
        rebuild_states_soon(campaign)
    else:
        _progress_changed()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, by) -> None:
    """Delete a campaign with its phases, items, teams and derived states. Refused
    (``ProtectedError``) while a team's marks refer to its items: those are records of work
    done, not set-up."""
    audit.record_delete(campaign, by=by)
    campaign.delete()
    _progress_changed()


@transaction.atomic
def campaign_item_save(
    *,
    campaign: Campaign,
    name: str,
    source: str,
    by,
    item: CampaignItem | None = None,
) -> CampaignItem:
    """Add an item at the end of the campaign's list, or rename it / change its source; the
    item states are recomputed (what counts for it may have changed)."""
    errors = _Errors()
    if not (name or "").strip():
        errors.add("name", _("this field is required."))
    if source not in ItemSource.values:
        errors.add("source", _("“%(value)s” is not a valid choice.") % {"value": source})
    clash = CampaignItem.objects.filter(campaign=campaign, name=(name or "").strip())
    if item is not None:
        clash = clash.exclude(pk=item.pk)
    if clash.exists():
        errors.add("name", _("the campaign already has an item of this name."))
    errors.raise_if_any()
    if item is None:
        last = campaign.items.order_by("-order").values_list("order", flat=True).first() or 0
        item = CampaignItem.objects.create(
            campaign=campaign, order=last + 1, name=name.strip(), source=source
        )
        audit.record(
            action=AuditAction.UPDATE,
            by=by,
            instance=campaign,
            before={},
            after={"name": item.name, "source": item.source},
            message=_("item added: %(name)s") % {"name": item.name},
        )
    else:
        before = {"name": item.name, "source": item.source}
        item.name, item.source = name.strip(), source
        item.save()
        audit.record(
            action=AuditAction.UPDATE,
            by=by,
            instance=campaign,
            before=before,
            after={"name": item.name, "source": item.source},
            message=_("item changed: %(name)s") % {"name": item.name},
        )
    rebuild_states_soon(campaign)
    return item


@transaction.atomic
def campaign_item_delete(*, item: CampaignItem, by) -> None:
    """Remove an item; refused (``ProtectedError``) while a team's marks refer to it."""
    campaign = item.campaign
    name = item.name
    item.delete()
    audit.record(
        action=AuditAction.DELETE,
        by=by,
        instance=campaign,
        before={"item": name},
        after={},
        message=_("item removed: %(name)s") % {"name": name},
    )
    _progress_changed()


@transaction.atomic
def work_team_delete(*, team: WorkTeam, by) -> None:
    """Delete a work team (its members and village assignments go with it)."""
    audit.record_delete(team, by=by)
    team.delete()
    _progress_changed()


@transaction.atomic
def work_team_save(
    *,
    campaign: Campaign,
    name: str,
    unit_name: str,
    by,
    team: WorkTeam | None = None,
    unit: Institution | None = None,
    leader=None,
    members: Iterable = (),
    villages: Iterable[Region] = (),
    phone: str = "",
) -> WorkTeam:
    """Create or change a work team of a named unit and assign it villages of the county."""
    errors = _Errors()
    if not (name or "").strip():
        errors.add("name", _("this field is required."))
    if not (unit_name or (unit.name if unit else "")).strip():
        errors.add("unit_name", _("this field is required."))
    villages = list(villages)
    outside = [
        v.name
        for v in villages
        if v.level != RegionLevel.VILLAGE or not v.code.startswith(campaign.county.prefix)
    ]
    if outside:
        errors.add(
            "villages",
            _("not villages of %(county)s: %(names)s.")
            % {"county": campaign.county.name, "names": "、".join(outside)},
        )
    clash = WorkTeam.objects.filter(campaign=campaign, name=(name or "").strip())
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        errors.add("name", _("the campaign already has a team of this name."))
    errors.raise_if_any()
    before = audit.snapshot(team) if team is not None else None
    target = team or WorkTeam(campaign=campaign)
    target.name = name.strip()
    target.unit = unit
    target.unit_name = (unit_name or unit.name).strip()
    target.leader = leader
    target.phone = phone or ""
    if team is None:
        target.created_by = by if getattr(by, "is_authenticated", False) else None
    target.save()
    target.members.set(list(members))
    target.villages.set(villages)
    note = "、".join(v.name for v in villages)
    if before is None:
        audit.record_create(target, by=by, message=note)
    else:
        audit.record_update(target, before, by=by, message=note)
    _progress_changed()
    return target


@transaction.atomic
def household_item_mark(
    *,
    campaign: Campaign,
    household: Household,
    item: CampaignItem,
    by,
    done_on: datetime.date | None = None,
    evidence: str = "",
) -> HouseholdItem:
    """Mark an item done for a household (the handbook given, or anything done outside the
    portal), with the date and the evidence. Marking it again updates the mark."""
    errors = _Errors()
    done_on = done_on or timezone.localdate()
    _not_future(errors, "done_on", done_on)
    if item.campaign_id != campaign.pk:
        errors.add("item", _("the item is not one of this campaign's."))
    if not household.village_id.startswith(campaign.county.prefix):
        errors.add("household", _("the household is not in the campaign's county."))
    if item.source != ItemSource.MANUAL and not (evidence or "").strip():
        errors.add(
            "evidence",
            _(
                "this item counts by itself from the portal's records; to mark it by hand, say "
                "what shows it was done."
            ),
        )
    errors.raise_if_any()
    mark = HouseholdItem.objects.filter(household=household, item=item).first()
    before = audit.snapshot(mark) if mark is not None else None
    if mark is None:
        mark = HouseholdItem(
            campaign=campaign,
            household=household,
            item=item,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
    mark.done_on = done_on
    mark.done_by = by if getattr(by, "is_authenticated", False) else None
    mark.evidence = (evidence or "")[:255]
    mark.save()
    if before is None:
        audit.record_create(mark, by=by)
    else:
        audit.record_update(mark, before, by=by)
    _states_changed([household.pk])
    return mark


@transaction.atomic
def household_item_unmark(*, mark: HouseholdItem, by) -> None:
    """Remove a mark made in error."""
    audit.record_delete(mark, by=by)
    household_id = mark.household_id
    mark.delete()
    _states_changed([household_id])


# --- free clinics -----------------------------------------------------------------------------


@transaction.atomic
def free_clinic_record(
    *,
    held_on: datetime.date,
    village: Region,
    staff_times: int,
    served: int,
    by,
    unit: Institution | None = None,
    unit_name: str = "",
    team_name: str = "",
    leaflets: int = 0,
    drug_value: Decimal | str = Decimal("0"),
    service_value: Decimal | str = Decimal("0"),
    notes: str = "",
    photos: Iterable = (),
) -> FreeClinic:
    """Record a free clinic (义诊) with its figures; money in yuan, two places."""
    errors = _Errors()
    if held_on is None:
        errors.add("held_on", _("this field is required."))
    else:
        _not_future(errors, "held_on", held_on)
    if not isinstance(village, Region) or village.level != RegionLevel.VILLAGE:
        errors.add("village", _("choose a village."))
    for field, value in (("staff_times", staff_times), ("served", served), ("leaflets", leaflets)):
        if value is None or int(value) < 0:
            errors.add(field, _("enter a number of zero or more."))
    if staff_times is not None and int(staff_times) == 0:
        errors.add("staff_times", _("a free clinic has at least one staff member."))
    money = {}
    for field, value in (("drug_value", drug_value), ("service_value", service_value)):
        amount = _decimal(value if value is not None else 0)
        if amount is None or amount < 0:
            errors.add(field, _("enter an amount of zero or more."))
        elif amount != amount.quantize(Decimal("0.01")):
            errors.add(field, _("at most two decimal places (yuan and fen)."))
        else:
            money[field] = amount.quantize(Decimal("0.01"))
    if not (unit_name or unit):
        errors.add("unit_name", _("name the organising unit."))
    errors.raise_if_any()
    clinic = FreeClinic.objects.create(
        held_on=held_on,
        village=village,
        unit=unit,
        unit_name=(unit_name or unit.name).strip(),
        team_name=(team_name or "").strip(),
        staff_times=int(staff_times),
        served=int(served),
        leaflets=int(leaflets or 0),
        notes=notes or "",
        created_by=by if getattr(by, "is_authenticated", False) else None,
        **money,
    )
    for photo in photos:
        FreeClinicPhoto.objects.create(clinic=clinic, image=photo)
    audit.record_create(clinic, by=by)
    return clinic


@transaction.atomic
def free_clinic_target_create(
    *,
    name: str,
    county: Region,
    starts_on: datetime.date,
    ends_on: datetime.date,
    villages: Iterable[Region],
    by,
    rounds: int = 2,
) -> FreeClinicTarget:
    """A list of villages owed ``rounds`` free clinics each between the dates."""
    errors = _Errors()
    villages = list(villages)
    if not (name or "").strip():
        errors.add("name", _("this field is required."))
    if starts_on > ends_on:
        errors.add("ends_on", _("the end is before the start."))
    if rounds < 1:
        errors.add("rounds", _("at least one round."))
    if not villages:
        errors.add("villages", _("choose the villages."))
    outside = [
        v.name
        for v in villages
        if v.level != RegionLevel.VILLAGE or not v.code.startswith(county.prefix)
    ]
    if outside:
        errors.add(
            "villages",
            _("not villages of %(county)s: %(names)s.")
            % {"county": county.name, "names": "、".join(outside)},
        )
    errors.raise_if_any()
    target = FreeClinicTarget.objects.create(
        name=name.strip(),
        county=county,
        starts_on=starts_on,
        ends_on=ends_on,
        rounds=rounds,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    target.villages.set(villages)
    audit.record_create(target, by=by, message="、".join(v.name for v in villages))
    return target
