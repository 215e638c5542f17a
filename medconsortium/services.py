"""Writes of the consortium app: consortia, expert sessions, trainee exchanges, remote
consultations, reserved capacity and two-way referrals.

Each service takes keyword-only arguments and the acting user (``by``), runs in one
transaction and writes its audit row in it. Callers load records through
``visible_to(user)`` first (outside the scope is 404 before any service runs); the services
check who may act for which institution, the allowed state transitions and the quotas, and
refuse bad input with ``ValidationError({field: [message]})``, each message naming the field.

Reserved capacity is consumed by one conditional UPDATE (``used < reserved − released``):
two requests racing for the last reserved slot cannot both get it, on any database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from healthaid import audit
from healthaid.choices import AuditAction, InstitutionKind, Role
from healthaid.models import Institution
from healthaid.scoping import get_profile
from households.models import Member
from medconsortium.choices import (
    ConsortiumKind,
    ConsortiumStatus,
    ConsultationKind,
    CooperationItem,
    Direction,
    ExchangeStatus,
    HalfDay,
    ReferralStatus,
    ReservedKind,
    SessionStatus,
)
from medconsortium.models import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)
from medconsortium.models.consortia import DEFAULT_BED_SHARE, DEFAULT_SLOT_SHARE

__all__ = [
    "AGREEMENT_MAX_BYTES",
    "agreement_file_check",
    "consortium_add_member",
    "consortium_create",
    "consortium_remove_member",
    "consortium_set_status",
    "consortium_update",
    "expert_session_cancel",
    "expert_session_plan",
    "expert_session_record",
    "referral_accept",
    "referral_admit",
    "referral_cancel",
    "referral_discharge",
    "referral_reject",
    "referral_request",
    "referral_return_down",
    "remote_consultation_record",
    "reserved_capacity_release_due",
    "reserved_capacity_set",
    "trainee_exchange_create",
    "trainee_exchange_set_status",
    "week_of",
]

# Where an up-referral may go: hospitals, not clinics or the bureau.
HOSPITAL_KINDS = frozenset(
    {
        InstitutionKind.TERTIARY_HOSPITAL,
        InstitutionKind.SECONDARY_HOSPITAL,
        InstitutionKind.COUNTY_HOSPITAL,
        InstitutionKind.TCM_HOSPITAL,
        InstitutionKind.MATERNAL_CHILD,
    }
)
# Reserved capacity is released when its week is this close (issue 8: 24 hours before).
RELEASE_BEFORE = datetime.timedelta(hours=24)
OPEN_STATUSES = frozenset(
    {
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.ADMITTED,
        ReferralStatus.SEEN,
    }
)
# action → (statuses it may start from, the status it leads to). Every other pair is refused.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accept": (frozenset({ReferralStatus.REQUESTED}), ReferralStatus.ACCEPTED),
    "reject": (frozenset({ReferralStatus.REQUESTED}), ReferralStatus.REJECTED),
    "admit": (frozenset({ReferralStatus.ACCEPTED}), None),  # admitted or seen as outpatient
    "discharge": (
        frozenset({ReferralStatus.ADMITTED, ReferralStatus.SEEN}),
        ReferralStatus.DISCHARGED,
    ),
    "return_down": (
        frozenset({ReferralStatus.ADMITTED, ReferralStatus.SEEN}),
        ReferralStatus.RETURNED,
    ),
    "cancel": (
        frozenset({ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED}),
        ReferralStatus.CANCELLED,
    ),
}
SESSION_FIGURES = (
    "outpatients",
    "teaching_rounds",
    "case_discussions",
    "surgeries_taught",
    "trainings",
    "people_trained",
)


# --- helpers ---------------------------------------------------------------------------------


def _label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _error(model, field: str, reason: str) -> ValidationError:
    """``{field: ["原因：请填写。"]}``: the message names the field in the user's language."""
    return ValidationError(
        {field: [_("%(field)s: %(reason)s") % {"field": _label(model, field), "reason": reason}]}
    )


def _required(model, field: str) -> ValidationError:
    return _error(model, field, _("this field is required."))


def _text(value, model, field: str, *, required: bool = True, max_length: int = 255) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _required(model, field)
    if len(text) > max_length:
        raise _error(model, field, _("at most %(count)d characters.") % {"count": max_length})
    return text


def _choice(value, choices, model, field: str) -> str:
    if value not in choices.values:
        raise _error(model, field, _("“%(value)s” is not a valid choice.") % {"value": value})
    return value


def _count(value, model, field: str) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        raise _error(model, field, _("enter a whole number.")) from None
    if number < 0 or number > 100_000:
        raise _error(model, field, _("enter a number from 0 to 100,000."))
    return number


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _is_operator(by) -> bool:
    """A superuser without a profile: the operator's own account, unrestricted."""
    return bool(getattr(by, "is_superuser", False)) and get_profile(by) is None


def _acts_for(by, institution: Institution) -> bool:
    """Whether ``by`` may record for ``institution``: its own hospital staff, or the bureau
    staff of the county it lies in."""
    if by is None or _is_operator(by):
        return True
    profile = get_profile(by)
    if profile is None:
        return False
    if profile.role == Role.HOSPITAL_STAFF:
        return profile.institution_id == institution.pk
    if profile.role == Role.COUNTY_STAFF:
        return institution.region_id.startswith(profile.region.prefix)
    return False


def _require_acts_for(by, *institutions: Institution) -> None:
    if not any(_acts_for(by, institution) for institution in institutions):
        raise PermissionDenied(_("You may record this only for your own institution or county."))


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s week: reserved capacity is offered by the week."""
    return day - datetime.timedelta(days=day.weekday())


def _share(value, default: Decimal, field: str) -> Decimal:
    if value is None or value == "":
        return default
    try:
        share = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise _error(ReservedCapacity, field, _("enter a percentage.")) from None
    if share < 0 or share > 100:
        raise _error(ReservedCapacity, field, _("enter a percentage from 0 to 100."))
    return share


def _reserve(total: int, share: Decimal) -> int:
    return int((Decimal(total) * share / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- consortia -------------------------------------------------------------------------------


def _clean_items(items, field: str = "items") -> list[str]:
    cleaned = []
    for item in items or []:
        _choice(item, CooperationItem, ConsortiumMember, field)
        if item not in cleaned:
            cleaned.append(item)
    return cleaned


def _require_county_staff(by, institutions: Iterable[Institution]) -> None:
    """Consortia are the bureau's agreements: county staff of a county one of the
    institutions lies in (or the operator) record them."""
    if by is None or _is_operator(by):
        return
    profile = get_profile(by)
    if profile is None or profile.role != Role.COUNTY_STAFF:
        raise PermissionDenied(_("Only county bureau staff record consortia."))
    if not any(i.region_id.startswith(profile.region.prefix) for i in institutions):
        raise PermissionDenied(_("None of these institutions is in your county."))


@transaction.atomic
def consortium_create(
    *,
    name: str,
    kind: str,
    lead: Institution,
    members: Iterable[Mapping] = (),
    signed_on: datetime.date | None = None,
    agreement_file=None,
    note: str = "",
    status: str = ConsortiumStatus.ACTIVE,
    by,
) -> Consortium:
    """A consortium with its lead and members: ``members`` is a list of
    ``{"institution": Institution, "joined_on": date | None, "items": [CooperationItem]}``."""
    name = _text(name, Consortium, "name", max_length=128)
    _choice(kind, ConsortiumKind, Consortium, "kind")
    _choice(status, ConsortiumStatus, Consortium, "status")
    if not isinstance(lead, Institution):
        raise _required(Consortium, "lead")
    members = list(members)
    institutions = [lead] + [m["institution"] for m in members]
    _require_county_staff(by, institutions)
    seen = {lead.pk}
    for member in members:
        if member["institution"].pk in seen:
            raise _error(
                ConsortiumMember,
                "institution",
                _("%(name)s is listed twice.") % {"name": member["institution"].name},
            )
        seen.add(member["institution"].pk)
    if Consortium.objects.filter(lead=lead, name=name).exists():
        raise _error(
            Consortium, "name", _("this lead institution already has a consortium of this name.")
        )
    consortium = Consortium(
        name=name,
        kind=kind,
        lead=lead,
        signed_on=signed_on,
        status=status,
        note=str(note or ""),
        created_by=_actor(by),
    )
    if agreement_file:
        consortium.agreement_file = agreement_file_check(agreement_file)
    consortium.save()
    ConsortiumMember.objects.bulk_create(
        [
            ConsortiumMember(
                consortium=consortium,
                institution=m["institution"],
                joined_on=m.get("joined_on") or signed_on,
                items=_clean_items(m.get("items")),
            )
            for m in members
        ]
    )
    after = audit.snapshot(consortium)
    after["members"] = [
        {"institution": m["institution"].pk, "items": _clean_items(m.get("items"))} for m in members
    ]
    audit.record(action=AuditAction.CREATE, by=by, instance=consortium, after=after)
    return consortium


@transaction.atomic
def consortium_add_member(
    *,
    consortium: Consortium,
    institution: Institution,
    joined_on: datetime.date | None = None,
    items: Iterable[str] = (),
    by,
) -> ConsortiumMember:
    _require_county_staff(by, [consortium.lead, institution])
    if (
        institution.pk == consortium.lead_id
        or consortium.memberships.filter(institution=institution).exists()
    ):
        raise _error(
            ConsortiumMember,
            "institution",
            _("%(name)s is already in this consortium.") % {"name": institution.name},
        )
    member = ConsortiumMember.objects.create(
        consortium=consortium,
        institution=institution,
        joined_on=joined_on or timezone.localdate(),
        items=_clean_items(items),
    )
    audit.record(
        action=AuditAction.UPDATE,
        by=by,
        instance=consortium,
        after={"member_added": institution.pk, "items": member.items},
        message="member added",
    )
    return member


@transaction.atomic
def consortium_set_status(*, consortium: Consortium, status: str, by) -> Consortium:
    _require_county_staff(
        by,
        [
            consortium.lead,
            *[m.institution for m in consortium.memberships.select_related("institution")],
        ],
    )
    _choice(status, ConsortiumStatus, Consortium, "status")
    before = audit.snapshot(consortium)
    consortium.status = status
    consortium.save(update_fields=["status", "updated_at"])
    audit.record_update(consortium, before, by=by)
    return consortium


# The signed agreement: a scan (JPEG, PNG) or a PDF, judged by its first bytes as well as
# its name, so a renamed spreadsheet or script is refused.
AGREEMENT_MAX_BYTES = 10 * 1024 * 1024
AGREEMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
AGREEMENT_CONTENT_TYPES = {
    ".pdf": {"application/pdf"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".png": {"image/png"},
}


def agreement_file_check(upload):
    """The upload if it is a PDF, JPEG or PNG of at most 10 MB (name, declared type and
    content agree); else ``ValidationError({"agreement_file": [...]})``."""
    import os

    name = str(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in AGREEMENT_SIGNATURES:
        raise _error(
            Consortium, "agreement_file", _("upload a PDF, JPEG or PNG file (.pdf, .jpg, .png).")
        )
    size = getattr(upload, "size", None) or 0
    if size > AGREEMENT_MAX_BYTES:
        raise _error(
            Consortium,
            "agreement_file",
            _("the file is larger than %(limit)d MB.") % {"limit": AGREEMENT_MAX_BYTES // 2**20},
        )
    if size == 0:
        raise _error(Consortium, "agreement_file", _("the file is empty."))
    declared = str(getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared not in AGREEMENT_CONTENT_TYPES[ext]:
        raise _error(
            Consortium,
            "agreement_file",
            _("the file's type does not match its name (%(ext)s).") % {"ext": ext},
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in AGREEMENT_SIGNATURES[ext]):
        raise _error(
            Consortium,
            "agreement_file",
            _("the file's content is not a %(ext)s file.") % {"ext": ext},
        )
    return upload


def _consortium_institutions(consortium: Consortium) -> list[Institution]:
    return [
        consortium.lead,
        *[m.institution for m in consortium.memberships.select_related("institution")],
    ]


@transaction.atomic
def consortium_update(
    *,
    consortium: Consortium,
    name: str,
    kind: str,
    lead: Institution,
    status: str,
    signed_on: datetime.date | None = None,
    agreement_file=None,
    note: str = "",
    by,
) -> Consortium:
    """Change a consortium's particulars; a new ``agreement_file`` replaces the stored one
    (kept in storage: the audit row names the old path)."""
    _require_county_staff(by, _consortium_institutions(consortium))
    name = _text(name, Consortium, "name", max_length=128)
    _choice(kind, ConsortiumKind, Consortium, "kind")
    _choice(status, ConsortiumStatus, Consortium, "status")
    if not isinstance(lead, Institution):
        raise _required(Consortium, "lead")
    if lead.pk != consortium.lead_id:
        _require_county_staff(by, [lead])
        if consortium.memberships.filter(institution=lead).exists():
            raise _error(
                Consortium,
                "lead",
                _("%(name)s is a member; remove it from the members first.") % {"name": lead.name},
            )
    if Consortium.objects.filter(lead=lead, name=name).exclude(pk=consortium.pk).exists():
        raise _error(
            Consortium, "name", _("this lead institution already has a consortium of this name.")
        )
    before = audit.snapshot(consortium)
    consortium.name = name
    consortium.kind = kind
    consortium.lead = lead
    consortium.status = status
    consortium.signed_on = signed_on
    consortium.note = str(note or "")
    if agreement_file:
        consortium.agreement_file = agreement_file_check(agreement_file)
    consortium.save()
    audit.record_update(consortium, before, by=by)
    return consortium


@transaction.atomic
def consortium_remove_member(*, consortium: Consortium, institution: Institution, by) -> None:
    _require_county_staff(by, _consortium_institutions(consortium))
    deleted, _rows = consortium.memberships.filter(institution=institution).delete()
    if not deleted:
        raise _error(
            ConsortiumMember,
            "institution",
            _("%(name)s is not a member of this consortium.") % {"name": institution.name},
        )
    audit.record(
        action=AuditAction.UPDATE,
        by=by,
        instance=consortium,
        before={"member_removed": institution.pk},
        message="member removed",
    )


# --- expert sessions -------------------------------------------------------------------------


def _clean_experts(experts) -> list[dict]:
    cleaned = []
    for expert in experts or []:
        if not isinstance(expert, Mapping):
            raise _error(ExpertSession, "experts", _("give each expert as name, title, specialty."))
        name = str(expert.get("name") or "").strip()
        if not name:
            raise _error(ExpertSession, "experts", _("every expert needs a name."))
        cleaned.append(
            {
                "name": name[:64],
                "title": str(expert.get("title") or "").strip()[:64],
                "specialty": str(expert.get("specialty") or "").strip()[:64],
            }
        )
    return cleaned


@transaction.atomic
def expert_session_plan(
    *,
    host: Institution,
    visiting: Institution,
    date: datetime.date,
    half_day: str,
    experts: Iterable[Mapping] = (),
    expert_count: int | None = None,
    specialty: str = "",
    consortium: Consortium | None = None,
    by,
) -> ExpertSession:
    """Put a session on the timetable (专家坐诊时间表)."""
    if not isinstance(host, Institution):
        raise _required(ExpertSession, "host")
    if not isinstance(visiting, Institution):
        raise _required(ExpertSession, "visiting")
    if host.pk == visiting.pk:
        raise _error(
            ExpertSession, "visiting", _("the visiting and host institutions must differ.")
        )
    if not isinstance(date, datetime.date):
        raise _required(ExpertSession, "date")
    _choice(half_day, HalfDay, ExpertSession, "half_day")
    _require_acts_for(by, host, visiting)
    experts = _clean_experts(experts)
    count = (
        len(experts)
        if expert_count is None
        else _count(expert_count, ExpertSession, "expert_count")
    )
    if count < max(1, len(experts)):
        raise _error(
            ExpertSession, "expert_count", _("at least one expert, and no fewer than named.")
        )
    specialty = _text(specialty, ExpertSession, "specialty", required=False, max_length=64)
    if consortium is not None and not (
        consortium.lead_id in (host.pk, visiting.pk)
        or consortium.memberships.filter(institution_id__in=[host.pk, visiting.pk]).exists()
    ):
        raise _error(
            ExpertSession, "consortium", _("neither institution belongs to this consortium.")
        )
    if (
        ExpertSession.objects.filter(
            host=host, visiting=visiting, date=date, half_day=half_day, specialty=specialty
        )
        .exclude(status=SessionStatus.CANCELLED)
        .exists()
    ):
        raise _error(ExpertSession, "date", _("this session is already on the timetable."))
    session = ExpertSession.objects.create(
        consortium=consortium,
        host=host,
        visiting=visiting,
        date=date,
        half_day=half_day,
        experts=experts,
        expert_count=count,
        specialty=specialty,
        created_by=_actor(by),
    )
    audit.record_create(session, by=by)
    return session


@transaction.atomic
def expert_session_record(
    *,
    session: ExpertSession,
    figures: Mapping[str, int],
    clinic: bool = True,
    expert_count: int | None = None,
    today: datetime.date | None = None,
    by,
) -> ExpertSession:
    """Record what a planned (or already recorded) session did; it becomes held."""
    session = (
        ExpertSession.objects.select_for_update(of=("self",))
        .select_related("host")
        .get(pk=session.pk)
    )
    _require_acts_for(by, session.host, session.visiting)
    if session.status not in (SessionStatus.PLANNED, SessionStatus.HELD):
        raise _error(ExpertSession, "status", _("a cancelled session cannot be recorded."))
    today = today or timezone.localdate()
    if session.date > today:
        raise _error(ExpertSession, "date", _("a session cannot be recorded before its day."))
    before = audit.snapshot(session)
    for field in SESSION_FIGURES:
        setattr(
            session,
            field,
            _count(figures.get(field, getattr(session, field)), ExpertSession, field),
        )
    if expert_count is not None:
        session.expert_count = _count(expert_count, ExpertSession, "expert_count")
        if session.expert_count < 1:
            raise _error(ExpertSession, "expert_count", _("at least one expert."))
    session.clinic = bool(clinic)
    if not session.clinic and session.outpatients:
        raise _error(
            ExpertSession, "outpatients", _("outpatients were seen, so a clinic was held.")
        )
    if session.trainings == 0 and session.people_trained:
        raise _error(
            ExpertSession, "people_trained", _("people were trained, so give the trainings.")
        )
    session.status = SessionStatus.HELD
    session.save()
    audit.record_update(session, before, by=by, message="held")
    return session


@transaction.atomic
def expert_session_cancel(*, session: ExpertSession, reason: str, by) -> ExpertSession:
    session = (
        ExpertSession.objects.select_for_update(of=("self",))
        .select_related("host")
        .get(pk=session.pk)
    )
    _require_acts_for(by, session.host, session.visiting)
    reason = _text(reason, ExpertSession, "note")
    if session.status != SessionStatus.PLANNED:
        raise _error(ExpertSession, "status", _("only a planned session can be cancelled."))
    before = audit.snapshot(session)
    session.status = SessionStatus.CANCELLED
    session.note = reason
    session.save(update_fields=["status", "note", "updated_at"])
    audit.record_update(session, before, by=by, message="cancelled")
    return session


# --- trainee exchanges and remote consultations ----------------------------------------------

EXCHANGE_TRANSITIONS = {
    ExchangeStatus.PLANNED: {ExchangeStatus.IN_PROGRESS, ExchangeStatus.CANCELLED},
    ExchangeStatus.IN_PROGRESS: {ExchangeStatus.COMPLETED, ExchangeStatus.CANCELLED},
    ExchangeStatus.COMPLETED: set(),
    ExchangeStatus.CANCELLED: set(),
}


@transaction.atomic
def trainee_exchange_create(
    *,
    person: str,
    from_institution: Institution,
    to_institution: Institution,
    department: str,
    start: datetime.date,
    end: datetime.date,
    title: str = "",
    by,
) -> TraineeExchange:
    person = _text(person, TraineeExchange, "person", max_length=64)
    department = _text(department, TraineeExchange, "department", max_length=64)
    if not isinstance(from_institution, Institution):
        raise _required(TraineeExchange, "from_institution")
    if not isinstance(to_institution, Institution):
        raise _required(TraineeExchange, "to_institution")
    if from_institution.pk == to_institution.pk:
        raise _error(
            TraineeExchange, "to_institution", _("the trainee must go to another institution.")
        )
    if not isinstance(start, datetime.date):
        raise _required(TraineeExchange, "start")
    if not isinstance(end, datetime.date):
        raise _required(TraineeExchange, "end")
    if end < start:
        raise _error(TraineeExchange, "end", _("the end must not be before the start."))
    _require_acts_for(by, from_institution, to_institution)
    exchange = TraineeExchange.objects.create(
        person=person,
        title=_text(title, TraineeExchange, "title", required=False, max_length=64),
        from_institution=from_institution,
        to_institution=to_institution,
        department=department,
        start=start,
        end=end,
        created_by=_actor(by),
    )
    audit.record_create(exchange, by=by)
    return exchange


@transaction.atomic
def trainee_exchange_set_status(*, exchange: TraineeExchange, status: str, by) -> TraineeExchange:
    exchange = (
        TraineeExchange.objects.select_for_update(of=("self",))
        .select_related("from_institution", "to_institution")
        .get(pk=exchange.pk)
    )
    _require_acts_for(by, exchange.from_institution, exchange.to_institution)
    _choice(status, ExchangeStatus, TraineeExchange, "status")
    if status not in EXCHANGE_TRANSITIONS[exchange.status]:
        raise _error(
            TraineeExchange,
            "status",
            _("cannot go from “%(from)s” to “%(to)s”.")
            % {"from": exchange.get_status_display(), "to": ExchangeStatus(status).label},
        )
    before = audit.snapshot(exchange)
    exchange.status = status
    exchange.save(update_fields=["status", "updated_at"])
    audit.record_update(exchange, before, by=by)
    return exchange


@transaction.atomic
def remote_consultation_record(
    *,
    requesting: Institution,
    reading: Institution,
    kind: str,
    date: datetime.date,
    member: Member | None = None,
    summary: str = "",
    today: datetime.date | None = None,
    by,
) -> RemoteConsultation:
    if not isinstance(requesting, Institution):
        raise _required(RemoteConsultation, "requesting")
    if not isinstance(reading, Institution):
        raise _required(RemoteConsultation, "reading")
    if requesting.pk == reading.pk:
        raise _error(
            RemoteConsultation, "reading", _("the reading institution must be another one.")
        )
    _choice(kind, ConsultationKind, RemoteConsultation, "kind")
    if not isinstance(date, datetime.date):
        raise _required(RemoteConsultation, "date")
    if date > (today or timezone.localdate()):
        raise _error(RemoteConsultation, "date", _("the date cannot be in the future."))
    _require_acts_for(by, requesting, reading)
    consultation = RemoteConsultation.objects.create(
        requesting=requesting,
        reading=reading,
        kind=kind,
        date=date,
        member=member,
        summary=str(summary or "")[:4000],
        created_by=_actor(by),
    )
    audit.record_create(consultation, by=by)
    return consultation


# --- reserved capacity -----------------------------------------------------------------------


def _latest_shares(institution: Institution) -> tuple[Decimal, Decimal]:
    """The institution's own shares (its latest week), else the 20% and 10% of the rule."""
    latest = (
        ReservedCapacity.objects.filter(institution=institution)
        .order_by("-week_start")
        .values_list("slot_share", "bed_share")
        .first()
    )
    return latest or (DEFAULT_SLOT_SHARE, DEFAULT_BED_SHARE)


@transaction.atomic
def reserved_capacity_set(
    *,
    institution: Institution,
    week_start: datetime.date,
    expert_slots: int,
    beds: int,
    slot_share=None,
    bed_share=None,
    by,
) -> ReservedCapacity:
    """Offer a week's expert appointments and beds; the shares (default: the institution's
    own, else 20% and 10%) are kept for family-doctor referrals."""
    if not isinstance(institution, Institution):
        raise _required(ReservedCapacity, "institution")
    if not isinstance(week_start, datetime.date):
        raise _required(ReservedCapacity, "week_start")
    if week_start.weekday() != 0:
        raise _error(ReservedCapacity, "week_start", _("a week starts on a Monday."))
    _require_acts_for(by, institution)
    expert_slots = _count(expert_slots, ReservedCapacity, "expert_slots")
    beds = _count(beds, ReservedCapacity, "beds")
    capacity = (
        ReservedCapacity.objects.select_for_update()
        .filter(institution=institution, week_start=week_start)
        .first()
    )
    default_slot, default_bed = (
        (capacity.slot_share, capacity.bed_share) if capacity else _latest_shares(institution)
    )
    slot_share = _share(slot_share, default_slot, "slot_share")
    bed_share = _share(bed_share, default_bed, "bed_share")
    reserved_slots, reserved_beds = _reserve(expert_slots, slot_share), _reserve(beds, bed_share)
    if capacity is not None:
        if capacity.released_at is not None:
            raise _error(
                ReservedCapacity,
                "week_start",
                _("this week's reserve was already released to general use."),
            )
        if reserved_slots < capacity.slots_used:
            raise _error(
                ReservedCapacity,
                "expert_slots",
                _("%(used)d reserved appointments are already taken.")
                % {"used": capacity.slots_used},
            )
        if reserved_beds < capacity.beds_used:
            raise _error(
                ReservedCapacity,
                "beds",
                _("%(used)d reserved beds are already taken.") % {"used": capacity.beds_used},
            )
        before = audit.snapshot(capacity)
    else:
        capacity = ReservedCapacity(
            institution=institution, week_start=week_start, created_by=_actor(by)
        )
        before = None
    capacity.expert_slots, capacity.beds = expert_slots, beds
    capacity.slot_share, capacity.bed_share = slot_share, bed_share
    capacity.reserved_slots, capacity.reserved_beds = reserved_slots, reserved_beds
    capacity.save()
    if before is None:
        audit.record_create(capacity, by=by)
    else:
        audit.record_update(capacity, before, by=by)
    return capacity


def _consume(institution: Institution, day: datetime.date, kind: str) -> ReservedCapacity:
    """Take one reserved slot or bed of ``day``'s week at ``institution``, or refuse with the
    next week that has one. One conditional UPDATE: of two racing requests, one wins."""
    used, reserved, released = (
        ("slots_used", "reserved_slots", "slots_released")
        if kind == ReservedKind.SLOT
        else ("beds_used", "reserved_beds", "beds_released")
    )
    week = week_of(day)
    taken = ReservedCapacity.objects.filter(
        institution=institution,
        week_start=week,
        **{f"{used}__lt": F(reserved) - F(released)},
    ).update(**{used: F(used) + 1, "updated_at": timezone.now()})
    if taken:
        return ReservedCapacity.objects.get(institution=institution, week_start=week)
    later = (
        ReservedCapacity.objects.filter(
            institution=institution,
            week_start__gt=week,
            **{f"{used}__lt": F(reserved) - F(released)},
        )
        .order_by("week_start")
        .values_list("week_start", flat=True)
        .first()
    )
    what = _("reserved expert appointments") if kind == ReservedKind.SLOT else _("reserved beds")
    message = _("%(institution)s has no %(what)s left in the week of %(week)s.") % {
        "institution": institution.name,
        "what": what,
        "week": date_format(week, "SHORT_DATE_FORMAT"),
    }
    if later is not None:
        message += " " + _("The next week with one is the week of %(week)s.") % {
            "week": date_format(later, "SHORT_DATE_FORMAT")
        }
    else:
        message += " " + _("No later week has one yet.")
    raise _error(Referral, "reserved", message)


def _give_back(referral: Referral) -> None:
    """A rejected or cancelled referral's reserved slot or bed becomes free again."""
    if referral.capacity_id is None or not referral.reserved:
        return
    used = "slots_used" if referral.reserved == ReservedKind.SLOT else "beds_used"
    ReservedCapacity.objects.filter(pk=referral.capacity_id, **{f"{used}__gt": 0}).update(
        **{used: F(used) - 1, "updated_at": timezone.now()}
    )


@transaction.atomic
def reserved_capacity_release_due(*, now: datetime.datetime | None = None, by=None) -> int:
    """Release to general use what is still unused of every week that starts within 24
    hours (run hourly by beat); returns how many weeks were released. Safe to run again."""
    now = now or timezone.now()
    deadline = timezone.localtime(now + RELEASE_BEFORE).date()
    due = ReservedCapacity.objects.filter(released_at__isnull=True, week_start__lte=deadline)
    ids = list(due.select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    ReservedCapacity.objects.filter(pk__in=ids).update(
        slots_released=F("reserved_slots") - F("slots_used"),
        beds_released=F("reserved_beds") - F("beds_used"),
        released_at=now,
        updated_at=now,
    )
    audit.record_many(
        audit.build(
            action=AuditAction.UPDATE,
            by=by,
            target_type="medconsortium.reservedcapacity",
            target_id=pk,
            target_repr=f"{name} {week}",
            after={"slots_released": slots, "beds_released": beds},
            message="released to general use",
            region_code=region,
        )
        for pk, name, week, slots, beds, region in ReservedCapacity.objects.filter(
            pk__in=ids
        ).values_list(
            "pk",
            "institution__name",
            "week_start",
            "slots_released",
            "beds_released",
            "institution__region_id",
        )
    )
    return len(ids)


# --- referrals -------------------------------------------------------------------------------


def _sender_institution(by, given: Institution | None) -> Institution | None:
    if given is not None:
        return given
    profile = get_profile(by)
    return profile.institution if profile else None


def _referring_doctor(member: Member, day: datetime.date, by):
    """The member's contract in effect (if any) and who refers: the acting doctor when they
    are on the contract's team, else the contract's responsible doctor."""
    from contracts.models import Contract

    contract = (
        Contract.objects.filter(member=member)
        .in_effect_on(day)
        .exclude(status="terminated", terminated_on__lt=day)
        .select_related("team")
        .order_by("-valid_from")
        .first()
    )
    actor = _actor(by)
    if contract is None:
        return None, actor
    if actor is not None and (
        contract.doctor_id == actor.pk or contract.team.members.filter(pk=actor.pk).exists()
    ):
        return contract, actor
    return contract, contract.doctor


REFERRAL_REQUEST_ROLES = frozenset({Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR, Role.COUNTY_STAFF})


def referral_request_allowed(user) -> bool:
    """Whether ``user`` may request an up-referral at all (before any member is looked at)."""
    profile = get_profile(user)
    return _is_operator(user) or (profile is not None and profile.role in REFERRAL_REQUEST_ROLES)


@transaction.atomic
def referral_request(
    *,
    member: Member,
    to_institution: Institution,
    reason: str,
    diagnosis: str = "",
    from_institution: Institution | None = None,
    requested_on: datetime.date | None = None,
    appointment_date: datetime.date | None = None,
    reserved: str = ReservedKind.NONE,
    by,
) -> Referral:
    """An up-referral (上转) of a member by their family doctor or the bureau; with
    ``reserved`` it takes one of the host's reserved slots or beds of the appointment's week."""
    if not referral_request_allowed(by):
        raise PermissionDenied(_("Up-referrals are requested by family doctors and the bureau."))
    if not isinstance(member, Member):
        raise _required(Referral, "member")
    if not isinstance(to_institution, Institution):
        raise _required(Referral, "to_institution")
    from_institution = _sender_institution(by, from_institution)
    if not isinstance(from_institution, Institution):
        raise _required(Referral, "from_institution")
    if from_institution.kind == InstitutionKind.HEALTH_BUREAU:
        # Bureau staff refer on behalf of a clinic or centre: they name it.
        raise _error(Referral, "from_institution", _("name the institution that refers."))
    if to_institution.kind not in HOSPITAL_KINDS:
        raise _error(Referral, "to_institution", _("an up-referral goes to a hospital."))
    if to_institution.pk == from_institution.pk:
        raise _error(Referral, "to_institution", _("refer to another institution."))
    reason = _text(reason, Referral, "reason")
    diagnosis = _text(diagnosis, Referral, "diagnosis", required=False)
    reserved = reserved or ReservedKind.NONE
    _choice(reserved, ReservedKind, Referral, "reserved")
    requested_on = requested_on or timezone.localdate()
    appointment_date = appointment_date or (requested_on if reserved else None)
    if appointment_date is not None and appointment_date < requested_on:
        raise _error(
            Referral, "appointment_date", _("the appointment cannot be before the request.")
        )
    if Referral.objects.filter(
        member=member, to_institution=to_institution, status__in=OPEN_STATUSES
    ).exists():
        raise _error(
            Referral,
            "member",
            _("%(name)s already has an open referral to %(institution)s.")
            % {"name": member.name, "institution": to_institution.name},
        )
    contract, doctor = _referring_doctor(member, requested_on, by)
    capacity = _consume(to_institution, appointment_date, reserved) if reserved else None
    referral = Referral.objects.create(
        member=member,
        village_id=member.household.village_id,
        direction=Direction.UP,
        from_institution=from_institution,
        to_institution=to_institution,
        referring_doctor=doctor,
        contract=contract,
        reason=reason,
        diagnosis=diagnosis,
        requested_on=requested_on,
        appointment_date=appointment_date,
        reserved=reserved,
        capacity=capacity,
        created_by=_actor(by),
    )
    audit.record(
        action=AuditAction.CREATE,
        by=by,
        instance=referral,
        after=audit.snapshot(referral),
        region_code=referral.village_id,
    )
    return referral


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("member__household", "from_institution", "to_institution")
        .get(pk=referral.pk)
    )


def _check_transition(referral: Referral, action: str) -> str | None:
    allowed, target = TRANSITIONS[action]
    if referral.status not in allowed:
        raise _error(
            Referral,
            "status",
            _("a referral that is “%(status)s” cannot be %(action)s.")
            % {"status": referral.get_status_display(), "action": ACTION_LABELS[action]()},
        )
    return target


ACTION_LABELS = {
    "accept": lambda: _("accepted"),
    "reject": lambda: _("rejected"),
    "admit": lambda: _("admitted or seen"),
    "discharge": lambda: _("discharged"),
    "return_down": lambda: _("returned down"),
    "cancel": lambda: _("cancelled"),
}


def _check_side(referral: Referral, by, *, receiving: bool) -> None:
    """The receiving side accepts, rejects, admits, discharges and returns down; the sending
    side cancels. Hospital staff act for their own institution, family doctors for the
    primary-care end (receiving down-referrals, sending up-referrals), the bureau for both."""
    if by is None or _is_operator(by):
        return
    profile = get_profile(by)
    role = profile.role if profile else None
    institution = referral.to_institution if receiving else referral.from_institution
    primary_end = Direction.DOWN if receiving else Direction.UP
    if role == Role.COUNTY_STAFF:
        return
    if role == Role.HOSPITAL_STAFF and profile.institution_id == institution.pk:
        return
    if role in (Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR) and referral.direction == primary_end:
        return
    if receiving:
        raise PermissionDenied(_("Only the receiving institution acts on this referral."))
    raise PermissionDenied(_("Only the referring side can cancel this referral."))


def _move(referral: Referral, target: str, by, *, message: str, **changes) -> Referral:
    before = audit.snapshot(referral)
    referral.status = target
    for field, value in changes.items():
        setattr(referral, field, value)
    referral.save()
    audit.record(
        action=AuditAction.UPDATE,
        by=by,
        instance=referral,
        before={k: v[0] for k, v in audit.diff(before, audit.snapshot(referral)).items()},
        after={k: v[1] for k, v in audit.diff(before, audit.snapshot(referral)).items()},
        message=message,
        region_code=referral.village_id,
    )
    return referral


def _day(value: datetime.date | None, referral: Referral, field: str) -> datetime.date:
    day = value or timezone.localdate()
    if day < referral.requested_on:
        raise _error(Referral, field, _("the date cannot be before the request."))
    return day


@transaction.atomic
def referral_accept(
    *, referral: Referral, appointment_date: datetime.date | None = None, by
) -> Referral:
    referral = _locked(referral)
    _check_side(referral, by, receiving=True)
    target = _check_transition(referral, "accept")
    changes = {"accepted_on": timezone.localdate()}
    if appointment_date is not None:
        if referral.capacity_id and week_of(appointment_date) != referral.capacity.week_start:
            raise _error(
                Referral,
                "appointment_date",
                _("the reserved place is for the week of %(week)s.")
                % {"week": date_format(referral.capacity.week_start, "SHORT_DATE_FORMAT")},
            )
        changes["appointment_date"] = _day(appointment_date, referral, "appointment_date")
    return _move(referral, target, by, message="accepted", **changes)


@transaction.atomic
def referral_reject(*, referral: Referral, reason: str, by) -> Referral:
    referral = _locked(referral)
    _check_side(referral, by, receiving=True)
    target = _check_transition(referral, "reject")
    reason = _text(reason, Referral, "status_reason")
    _give_back(referral)
    return _move(referral, target, by, message="rejected", status_reason=reason)


@transaction.atomic
def referral_admit(
    *,
    referral: Referral,
    inpatient: bool = True,
    admitted_on: datetime.date | None = None,
    by,
) -> Referral:
    """The patient arrived: admitted to a ward, or seen as an outpatient."""
    referral = _locked(referral)
    _check_side(referral, by, receiving=True)
    _check_transition(referral, "admit")
    if referral.reserved == ReservedKind.BED and not inpatient:
        raise _error(
            Referral, "reserved", _("a referral with a reserved bed is admitted as an inpatient.")
        )
    target = ReferralStatus.ADMITTED if inpatient else ReferralStatus.SEEN
    return _move(
        referral,
        target,
        by,
        message="admitted" if inpatient else "seen",
        admitted_on=_day(admitted_on, referral, "admitted_on"),
    )


@transaction.atomic
def referral_discharge(
    *,
    referral: Referral,
    outcome: str = "",
    discharged_on: datetime.date | None = None,
    by,
) -> Referral:
    referral = _locked(referral)
    _check_side(referral, by, receiving=True)
    target = _check_transition(referral, "discharge")
    closed_on = _day(discharged_on, referral, "closed_on")
    if referral.admitted_on and closed_on < referral.admitted_on:
        raise _error(Referral, "closed_on", _("the discharge cannot be before the admission."))
    return _move(
        referral,
        target,
        by,
        message="discharged",
        closed_on=closed_on,
        outcome=_text(outcome, Referral, "outcome", required=False, max_length=4000),
    )


@transaction.atomic
def referral_return_down(
    *,
    referral: Referral,
    outcome: str,
    to_institution: Institution | None = None,
    returned_on: datetime.date | None = None,
    by,
) -> Referral:
    """Send an up-referred patient back down (下转) for follow-up: the up-referral is closed as
    returned and a down-referral to the sending institution (or ``to_institution``) is
    opened, which the primary-care end receives. Returns the down-referral."""
    referral = _locked(referral)
    _check_side(referral, by, receiving=True)
    target = _check_transition(referral, "return_down")
    if referral.direction != Direction.UP:
        raise _error(Referral, "direction", _("only an up-referral is returned down."))
    outcome = _text(outcome, Referral, "outcome", max_length=4000)
    destination = to_institution or referral.from_institution
    if destination.pk == referral.to_institution_id:
        raise _error(Referral, "to_institution", _("return the patient to another institution."))
    closed_on = _day(returned_on, referral, "closed_on")
    _move(referral, target, by, message="returned down", closed_on=closed_on, outcome=outcome)
    down = Referral.objects.create(
        member=referral.member,
        village_id=referral.member.household.village_id,
        direction=Direction.DOWN,
        from_institution=referral.to_institution,
        to_institution=destination,
        referring_doctor=_actor(by),
        contract=referral.contract,
        parent=referral,
        reason=outcome[:255],
        diagnosis=referral.diagnosis,
        requested_on=closed_on,
        created_by=_actor(by),
    )
    audit.record(
        action=AuditAction.CREATE,
        by=by,
        instance=down,
        after=audit.snapshot(down),
        region_code=referral.village_id,
    )
    return down


@transaction.atomic
def referral_cancel(*, referral: Referral, reason: str, by) -> Referral:
    referral = _locked(referral)
    _check_side(referral, by, receiving=False)
    target = _check_transition(referral, "cancel")
    reason = _text(reason, Referral, "status_reason")
    _give_back(referral)
    return _move(referral, target, by, message="cancelled", status_reason=reason)


def referrals_follow_members(sender, member_ids, **kwargs) -> None:
    """``households.signals.members_changed`` receiver: referrals keep their members'
    current village (the scope and the figures by region read it)."""
    from django.db.models import OuterRef, Subquery

    ids = list(member_ids)
    village = Member.objects.filter(pk=OuterRef("member_id")).values("household__village_id")[:1]
    for start in range(0, len(ids), 5000):
        Referral.objects.filter(member_id__in=ids[start : start + 5000]).update(
            village_id=Subquery(village)
        )
