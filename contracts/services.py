"""Writes of the contracts app: signing, renewing and ending contracts, recording follow-ups.

Each service takes keyword-only arguments and the acting user (``by``), runs in one
transaction and writes its audit rows in it. Callers (pages, API, imports) pass records
they have already looked up through ``visible_to``; the services check the business
rules and raise ``ValidationError`` with a message for the user.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services import guard_edit
from contracts.choices import ContractStatus, ControlStatus, FollowUpPlace, ServicePackage
from contracts.models import Contract, DoctorTeam, FollowUp, FollowUpRule
from contracts.owed import refresh_owed, refresh_owed_for_diseases
from contracts.selectors import figures_changed
from contracts.signals import contracts_changed
from contracts.validators import validate_agreement_file
from healthaid import audit
from healthaid.choices import AuditAction
from households.models import Disease, Household, Member, MemberDisease

# National thresholds (国家基本公共卫生服务规范): controlled below these.
SYSTOLIC_LIMIT = 140
DIASTOLIC_LIMIT = 90
GLUCOSE_LIMIT = Decimal("7.0")
HYPERTENSION = "hypertension"
DIABETES = "t2dm"
CONTROLLED_DISEASES = (HYPERTENSION, DIABETES)

# Plausible ranges: outside them the number was mistyped (a 1600 for 160).
RANGES = {
    "systolic": (50, 300),
    "diastolic": (30, 200),
    "fasting_glucose": (Decimal("1.0"), Decimal("35.0")),
    "weight": (Decimal("1.0"), Decimal("300.0")),
    "heart_rate": (20, 250),
}


def default_valid_to(valid_from: datetime.date) -> datetime.date:
    """A year: the day before the same date next year (29 February signs run to 27 February)."""
    try:
        anniversary = valid_from.replace(year=valid_from.year + 1)
    except ValueError:
        anniversary = valid_from.replace(year=valid_from.year + 1, day=28)
    return anniversary - datetime.timedelta(days=1)


# --- control status ---------------------------------------------------------------------------


def control_status_for(
    *,
    disease_codes: Iterable[str],
    systolic: int | None,
    diastolic: int | None,
    fasting_glucose: Decimal | float | None,
) -> str:
    """Controlled / not controlled from the measurements, for hypertension and diabetes.

    Hypertension is controlled below 140/90 mmHg, diabetes below 7.0 mmol/L fasting
    glucose; with both diseases, both must be controlled. A measurement that shows a
    disease out of control settles it; a missing measurement for an applicable disease
    otherwise leaves the status "not assessed", as does a member with neither disease.
    """
    codes = set(disease_codes)
    verdicts: list[bool | None] = []
    if HYPERTENSION in codes:
        if systolic is None or diastolic is None:
            verdicts.append(None)
        else:
            verdicts.append(systolic < SYSTOLIC_LIMIT and diastolic < DIASTOLIC_LIMIT)
    if DIABETES in codes:
        if fasting_glucose is None:
            verdicts.append(None)
        else:
            verdicts.append(Decimal(str(fasting_glucose)) < GLUCOSE_LIMIT)
    if any(verdict is False for verdict in verdicts):
        return ControlStatus.NOT_CONTROLLED
    if verdicts and all(verdicts):
        return ControlStatus.CONTROLLED
    return ControlStatus.UNKNOWN


def measurement_errors(values: dict) -> dict[str, str]:
    """Field → message for implausible or inconsistent measurements (shared with imports)."""
    errors: dict[str, str] = {}
    for field, (low, high) in RANGES.items():
        value = values.get(field)
        if value is not None and not low <= value <= high:
            errors[field] = _("%(value)s is outside the plausible range %(low)s–%(high)s.") % {
                "value": value,
                "low": low,
                "high": high,
            }
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if (systolic is None) != (diastolic is None):
        field = "diastolic" if diastolic is None else "systolic"
        errors.setdefault(field, _("Enter both the systolic and the diastolic pressure."))
    elif systolic is not None and diastolic is not None and systolic <= diastolic:
        errors.setdefault(
            "diastolic", _("The diastolic pressure must be lower than the systolic pressure.")
        )
    return errors


# --- contracts --------------------------------------------------------------------------------


def _check_doctor(team: DoctorTeam, doctor) -> None:
    if doctor is None:
        raise ValidationError({"doctor": _("Choose the responsible doctor.")})
    if team.leader_id == doctor.pk:
        return
    if not team.members.filter(pk=doctor.pk).exists():
        raise ValidationError(
            {
                "doctor": _("%(doctor)s is not a member of the team %(team)s.")
                % {"doctor": doctor.get_full_name() or doctor.get_username(), "team": team.name}
            }
        )


def _close_lapsed(member_ids: Iterable[int], before: datetime.date, *, by) -> None:
    """Mark active contracts that ended before ``before`` as expired (they no longer count)."""
    lapsed = list(
        Contract.objects.select_related("member__household").filter(
            member_id__in=list(member_ids), status=ContractStatus.ACTIVE, valid_to__lt=before
        )
    )
    for contract in lapsed:
        before_snapshot = audit.snapshot(contract)
        contract.status = ContractStatus.EXPIRED
        contract.save(update_fields=["status", "updated_at"])
        audit.record_update(contract, before_snapshot, by=by, message=_("Contract expired"))


def _create_contract(contract: Contract) -> Contract:
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:
        raise ValidationError(
            _("%(member)s already has an active contract.") % {"member": contract.member.name}
        )
    return contract


def _active_conflict(member: Member, valid_from: datetime.date) -> Contract | None:
    return (
        Contract.objects.filter(member=member, status=ContractStatus.ACTIVE)
        .exclude(valid_to__lt=valid_from)
        .first()
    )


def _validate_period(valid_from: datetime.date, valid_to: datetime.date) -> None:
    if valid_to < valid_from:
        raise ValidationError({"valid_to": _("The contract cannot end before it starts.")})


@transaction.atomic
def contract_sign(
    *,
    member: Member,
    team: DoctorTeam,
    doctor,
    signed_on: datetime.date | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    package: str = ServicePackage.BASIC,
    agreement=None,
    by,
) -> Contract:
    """Sign a member up with a team for a year (or the period given).

    Refused when the member already has an active contract that is still running; an
    active contract that ran out before the new one starts is marked expired first.
    """
    signed_on = signed_on or timezone.localdate()
    valid_from = valid_from or signed_on
    valid_to = valid_to or default_valid_to(valid_from)
    _validate_period(valid_from, valid_to)
    _check_doctor(team, doctor)
    validate_agreement_file(agreement)
    _close_lapsed([member.pk], valid_from, by=by)
    conflict = _active_conflict(member, valid_from)
    if conflict is not None:
        raise ValidationError(
            _(
                "%(member)s already has an active contract with %(team)s until %(until)s. "
                "Renew or terminate it instead."
            )
            % {"member": member.name, "team": conflict.team.name, "until": conflict.valid_to}
        )
    contract = Contract(
        member=member,
        team=team,
        doctor=doctor,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_to=valid_to,
        package=package,
        status=ContractStatus.ACTIVE,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if agreement:
        contract.agreement = agreement
    _create_contract(contract)
    audit.record_create(contract, by=by)
    _contracts_changed([member.pk])
    return contract


@transaction.atomic
def household_sign(
    *,
    household: Household,
    team: DoctorTeam,
    doctor,
    signed_on: datetime.date | None = None,
    package: str = ServicePackage.BASIC,
    agreement=None,
    by,
) -> tuple[list[Contract], list[Member]]:
    """Sign every member of a household at once: one agreement, one action.

    Members who already have a running contract are left as they are and returned as
    skipped. Returns (contracts created, members skipped).
    """
    signed_on = signed_on or timezone.localdate()
    valid_to = default_valid_to(signed_on)
    _check_doctor(team, doctor)
    validate_agreement_file(agreement)
    members = list(Member.objects.filter(household=household).select_related("household"))
    if not members:
        raise ValidationError(_("The household has no members to sign."))
    _close_lapsed([m.pk for m in members], signed_on, by=by)
    running = set(
        Contract.objects.filter(
            member__in=members, status=ContractStatus.ACTIVE, valid_to__gte=signed_on
        ).values_list("member_id", flat=True)
    )
    to_sign = [m for m in members if m.pk not in running]
    skipped = [m for m in members if m.pk in running]
    if not to_sign:
        raise ValidationError(_("Every member of the household already has an active contract."))
    creator = by if getattr(by, "is_authenticated", False) else None
    contracts = [
        Contract(
            member=member,
            team=team,
            doctor=doctor,
            signed_on=signed_on,
            valid_from=signed_on,
            valid_to=valid_to,
            package=package,
            status=ContractStatus.ACTIVE,
            created_by=creator,
        )
        for member in to_sign
    ]
    if agreement:
        # One signed household agreement: stored once, every contract points at it.
        contracts[0].agreement = agreement
        _create_contract(contracts[0])
        for contract in contracts[1:]:
            contract.agreement = contracts[0].agreement.name
    else:
        _create_contract(contracts[0])
    try:
        with transaction.atomic():
            Contract.objects.bulk_create(contracts[1:])
    except IntegrityError:
        raise ValidationError(_("A member of the household already has an active contract."))
    audit.record_many(
        audit.build(
            action=AuditAction.CREATE,
            by=by,
            instance=contract,
            after=audit.snapshot(contract),
            message=_("Signed with the household"),
        )
        for contract in contracts
    )
    _contracts_changed([member.pk for member in to_sign])
    return contracts, skipped


@transaction.atomic
def contract_renew(
    *,
    contract: Contract,
    signed_on: datetime.date | None = None,
    team: DoctorTeam | None = None,
    doctor=None,
    package: str | None = None,
    agreement=None,
    by,
) -> Contract:
    """Renew for another year: a new contract from the day after this one ends.

    Renewing a contract that has already run out starts the new one on the signing day.
    The old contract is closed as expired and points at its renewal.
    """
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("member__household")
        .get(pk=contract.pk)
    )
    if contract.status == ContractStatus.TERMINATED:
        raise ValidationError(_("A terminated contract cannot be renewed; sign a new one."))
    if contract.renewed_as_id is not None:
        raise ValidationError(_("This contract has already been renewed."))
    signed_on = signed_on or timezone.localdate()
    valid_from = max(contract.valid_to + datetime.timedelta(days=1), signed_on)
    team = team or contract.team
    doctor = doctor or contract.doctor
    _check_doctor(team, doctor)
    validate_agreement_file(agreement)
    other = (
        Contract.objects.filter(member_id=contract.member_id, status=ContractStatus.ACTIVE)
        .exclude(pk=contract.pk)
        .first()
    )
    if other is not None:
        raise ValidationError(
            _("%(member)s already has another active contract.") % {"member": contract.member.name}
        )
    before = audit.snapshot(contract)
    contract.status = ContractStatus.EXPIRED
    contract.save(update_fields=["status", "updated_at"])
    renewal = Contract(
        member=contract.member,
        team=team,
        doctor=doctor,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_to=default_valid_to(valid_from),
        package=package or contract.package,
        status=ContractStatus.ACTIVE,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if agreement:
        renewal.agreement = agreement
    _create_contract(renewal)
    contract.renewed_as = renewal
    contract.save(update_fields=["renewed_as", "updated_at"])
    audit.record_update(contract, before, by=by, message=_("Contract renewed"))
    audit.record_create(renewal, by=by, message=_("Renewal of an earlier contract"))
    _contracts_changed([contract.member_id])
    return renewal


@transaction.atomic
def contract_terminate(
    *,
    contract: Contract,
    reason: str,
    terminated_on: datetime.date | None = None,
    by,
) -> Contract:
    """End an active contract early, with the reason (moved away, died, declined ...)."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("member__household")
        .get(pk=contract.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for ending the contract.")})
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError(_("Only an active contract can be terminated."))
    terminated_on = terminated_on or timezone.localdate()
    if terminated_on < contract.valid_from:
        raise ValidationError(
            {
                "terminated_on": _("The contract cannot end before it started (%(start)s).")
                % {"start": contract.valid_from}
            }
        )
    before = audit.snapshot(contract)
    contract.status = ContractStatus.TERMINATED
    contract.terminated_on = min(terminated_on, contract.valid_to)
    contract.termination_reason = reason[:255]
    contract.save(update_fields=["status", "terminated_on", "termination_reason", "updated_at"])
    audit.record_update(contract, before, by=by, message=_("Contract terminated"))
    _contracts_changed([contract.member_id])
    return contract


@transaction.atomic
def contracts_expire(*, today: datetime.date | None = None, by=None) -> int:
    """Close active contracts whose period is over (run daily by beat); returns how many."""
    today = today or timezone.localdate()
    queryset = Contract.objects.filter(status=ContractStatus.ACTIVE, valid_to__lt=today)
    entries = [
        audit.build(
            action=AuditAction.UPDATE,
            by=by,
            target_type="contracts.contract",
            target_id=pk,
            target_repr=f"{name} · {valid_to}",
            before={"status": ContractStatus.ACTIVE},
            after={"status": ContractStatus.EXPIRED},
            message=_("Contract expired"),
            region_code=village,
        )
        for pk, name, valid_to, village in queryset.values_list(
            "pk", "member__name", "valid_to", "member__household__village_id"
        )
    ]
    count = queryset.update(status=ContractStatus.EXPIRED, updated_at=timezone.now())
    audit.record_many(entries)
    # Only the status changes: the days in effect, which the figures and their derived rows
    # (``contracts.owed``) read, stay as they were; the versions of the counties concerned
    # move all the same, for whatever else reads the status.
    figures_changed(entry.region_code for entry in entries if entry.region_code)
    return count


# --- follow-ups -------------------------------------------------------------------------------


def member_disease_codes(member_ids: Iterable[int]) -> dict[int, set[str]]:
    """member id → codes of their diseases (one query)."""
    codes: dict[int, set[str]] = {}
    for member_id, code in MemberDisease.objects.filter(member_id__in=list(member_ids)).values_list(
        "member_id", "disease__code"
    ):
        codes.setdefault(member_id, set()).add(code)
    return codes


def contract_in_effect(member: Member, day: datetime.date) -> Contract | None:
    return (
        Contract.objects.filter(member=member)
        .in_effect_on(day)
        .order_by("-valid_from", "-pk")
        .first()
    )


@transaction.atomic
def follow_up_record(
    *,
    member: Member,
    visited_on: datetime.date | None = None,
    disease: Disease | None = None,
    place: str = FollowUpPlace.HOME,
    systolic: int | None = None,
    diastolic: int | None = None,
    fasting_glucose: Decimal | None = None,
    weight: Decimal | None = None,
    heart_rate: int | None = None,
    adherence: str = "",
    symptoms: str = "",
    next_visit_on: datetime.date | None = None,
    notes: str = "",
    doctor=None,
    by,
) -> FollowUp:
    """Record a visit; its control status is derived here from the measurements."""
    today = timezone.localdate()
    visited_on = visited_on or today
    if visited_on > today:
        raise ValidationError({"visited_on": _("A visit cannot be recorded in the future.")})
    if next_visit_on is not None and next_visit_on <= visited_on:
        raise ValidationError({"next_visit_on": _("The next visit must come after this one.")})
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "fasting_glucose": fasting_glucose,
        "weight": weight,
        "heart_rate": heart_rate,
    }
    errors = measurement_errors(values)
    if errors:
        raise ValidationError(errors)
    codes = member_disease_codes([member.pk]).get(member.pk, set())
    if disease is not None:
        codes.add(disease.code)
    follow_up = FollowUp(
        member=member,
        contract=contract_in_effect(member, visited_on),
        doctor=doctor if doctor is not None else (by if by.is_authenticated else None),
        visited_on=visited_on,
        disease=disease,
        place=place or FollowUpPlace.HOME,
        adherence=adherence or "",
        symptoms=symptoms or "",
        next_visit_on=next_visit_on,
        notes=notes or "",
        control_status=control_status_for(
            disease_codes=codes,
            systolic=systolic,
            diastolic=diastolic,
            fasting_glucose=fasting_glucose,
        ),
        created_by=by if by.is_authenticated else None,
        **values,
    )
    follow_up.save()
    audit.record_create(follow_up, by=by)
    guard_edit(
        by,
        region_code=follow_up.audit_region_code(),
        on=visited_on,
        record=follow_up,
        action="create",
    )
    _figures_changed([member.pk])
    return follow_up


def _contracts_changed(member_ids) -> None:
    """After a contract write: the figures, and the apps that derive from contracts."""
    member_ids = list(member_ids)
    _figures_changed(member_ids)
    contracts_changed.send(sender=Contract, member_ids=member_ids)


def _figures_changed(member_ids) -> None:
    """After a write: the members' derived rows (``contracts.owed``), in the same
    transaction, and the cached figures' versions of their counties (``refresh_owed``)."""
    refresh_owed(member_ids)


# --- rules --------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_rule_set(*, disease: Disease, visits_per_year: int | None, by) -> FollowUpRule | None:
    """Set (or, with ``None``/0, remove) how often a disease is followed up; audited."""
    rule = FollowUpRule.objects.filter(disease=disease).first()
    if not visits_per_year:
        if rule is not None:
            audit.record_delete(rule, by=by)
            rule.delete()
        rule = None
    elif rule is None:
        rule = FollowUpRule.objects.create(
            disease=disease,
            visits_per_year=visits_per_year,
            created_by=by if by.is_authenticated else None,
        )
        audit.record_create(rule, by=by)
    else:
        before = audit.snapshot(rule)
        rule.visits_per_year = visits_per_year
        rule.save(update_fields=["visits_per_year", "updated_at"])
        audit.record_update(rule, before, by=by)
    refresh_owed_for_diseases([disease.pk])
    figures_changed()
    return rule


@transaction.atomic
def follow_up_rules_sync_from_catalogue() -> int:
    """Create the missing rules from the disease catalogue's frequencies; returns how many.

    Used by the demo and by tests whose database was flushed; existing rules (which county
    staff may have changed) are left alone.
    """
    existing = set(FollowUpRule.objects.values_list("disease_id", flat=True))
    rules = [
        FollowUpRule(disease=disease, visits_per_year=disease.follow_ups_per_year)
        for disease in Disease.objects.filter(follow_ups_per_year__in=[1, 2, 3, 4, 6, 12])
        if disease.pk not in existing
    ]
    FollowUpRule.objects.bulk_create(rules)
    if rules:
        refresh_owed_for_diseases(rule.disease_id for rule in rules)
        figures_changed()
    return len(rules)
