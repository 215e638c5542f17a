"""Writes of data approval: submit, return, approve; and the lock on approved periods.

Every step writes an ``ApprovalStep`` (the approval page's history) and an audit row in the
same transaction. ``guard_edit`` is called by the services that change a unit's records of a
period (follow-ups, screenings, check-ups, settlements): once the period is approved, only
county staff may change them, and each change is listed on the approval.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException, ErrorDetail

from approvals.choices import ApprovalStatus, StepAction, UnitKind
from approvals.models import Approval, ApprovalEdit, ApprovalStep
from approvals.periods import period_bounds
from approvals.versions import approvals_changed
from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel, Role
from healthaid.models import Institution, Region
from healthaid.scoping import get_profile

__all__ = [
    "ApprovalLocked",
    "EditTarget",
    "approval_approve",
    "approval_return",
    "approval_submit",
    "can_review",
    "guard_edit",
    "guard_edits",
    "submit_unit_of",
]


class ApprovalLocked(APIException, ValidationError):
    """An edit of an approved unit and period by someone other than county staff.

    A ``ValidationError`` of the form as a whole for pages and services (a batch reads its
    ``message_dict``), and a 403 for the API (DRF answers an ``APIException`` itself).
    """

    status_code = 403
    default_code = "approved_period"

    def __init__(self, message: str) -> None:
        ValidationError.__init__(self, {NON_FIELD_ERRORS: [message]})
        self.detail = ErrorDetail(message, code=self.default_code)


def _is_operator(user) -> bool:
    """A superuser without a profile (the operator's own account) or a system run."""
    if user is None or not getattr(user, "is_authenticated", False):
        return True
    return user.is_superuser and get_profile(user) is None


def can_review(user) -> bool:
    """County bureau staff review (return or approve) their county's submissions."""
    profile = get_profile(user)
    if profile is None:
        return bool(user is not None and user.is_authenticated and user.is_superuser)
    return profile.role == Role.COUNTY_STAFF


def submit_unit_of(user) -> tuple[str, Region, Institution | None] | None:
    """The unit ``user`` submits for: a township doctor's township, hospital staff's
    institution; ``None`` for a role that does not submit."""
    profile = get_profile(user)
    if profile is None:
        return None
    if profile.role == Role.TOWNSHIP_DOCTOR and profile.region.level >= RegionLevel.TOWNSHIP:
        code = profile.region.code[: RegionLevel.TOWNSHIP].ljust(12, "0")
        township = profile.region if profile.region.code == code else Region.objects.get(pk=code)
        return UnitKind.TOWNSHIP, township, None
    if profile.role == Role.HOSPITAL_STAFF and profile.institution is not None:
        return UnitKind.INSTITUTION, profile.institution.region, profile.institution
    return None


def _step(approval: Approval, action: str, text: str, by) -> None:
    ApprovalStep.objects.create(
        approval=approval,
        action=action,
        by=by if by.is_authenticated else None,
        by_name=by.get_username() if by.is_authenticated else "system",
        text=text,
    )


@transaction.atomic
def approval_submit(*, period_kind: str, year: int, number: int, note: str = "", by) -> Approval:
    """Submit the user's unit's figures of a period; a returned submission is submitted again."""
    unit = submit_unit_of(by)
    if unit is None:
        raise PermissionDenied(_("Only township and hospital staff submit figures for approval."))
    unit_kind, region, institution = unit
    try:
        start, end = period_bounds(period_kind, year, number)
    except ValueError:
        raise ValidationError({"number": _("There is no such period.")}) from None
    if start > timezone.localdate():
        raise ValidationError({"number": _("A period that has not begun cannot be submitted.")})
    lookup = {"institution": institution} if institution else {"institution__isnull": True}
    approval = (
        Approval.objects.select_for_update()
        .filter(region=region, start=start, end=end, **lookup)
        .first()
    )
    now = timezone.now()
    if approval is None:
        approval = Approval.objects.create(
            unit_kind=unit_kind,
            region=region,
            institution=institution,
            period_kind=period_kind,
            year=year,
            number=number,
            start=start,
            end=end,
            status=ApprovalStatus.SUBMITTED,
            note=note,
            submitted_by=by,
            submitted_at=now,
            created_by=by,
        )
        audit.record_create(approval, by=by, message=_("submitted for approval"))
    else:
        if approval.status != ApprovalStatus.RETURNED:
            raise ValidationError(
                _("%(period)s of %(unit)s was already submitted (%(status)s).")
                % {
                    "period": approval.period_label,
                    "unit": approval.unit_name,
                    "status": approval.get_status_display(),
                }
            )
        before = audit.snapshot(approval)
        approval.status = ApprovalStatus.SUBMITTED
        approval.note = note
        approval.submitted_by = by
        approval.submitted_at = now
        approval.decided_by = None
        approval.decided_at = None
        approval.save()
        audit.record_update(approval, before, by=by, message=_("submitted again"))
    _step(approval, StepAction.SUBMIT, note, by)
    approvals_changed()
    return approval


def _decide(approval: Approval, *, status: str, action: str, comment: str, by, message: str):
    if not can_review(by):
        raise PermissionDenied(_("Only county bureau staff review submitted figures."))
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if approval.status != ApprovalStatus.SUBMITTED:
        raise ValidationError(
            _("Only submitted figures can be reviewed; these are: %(status)s.")
            % {"status": approval.get_status_display()}
        )
    before = audit.snapshot(approval)
    approval.status = status
    approval.comment = comment
    approval.decided_by = by
    approval.decided_at = timezone.now()
    approval.save()
    audit.record_update(approval, before, by=by, message=message)
    _step(approval, action, comment, by)
    approvals_changed()
    return approval


@transaction.atomic
def approval_return(*, approval: Approval, comment: str, by) -> Approval:
    """Return submitted figures to the unit, with a comment saying what to correct."""
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what has to be corrected.")})
    return _decide(
        approval,
        status=ApprovalStatus.RETURNED,
        action=StepAction.RETURN,
        comment=comment.strip(),
        by=by,
        message=_("returned for correction"),
    )


@transaction.atomic
def approval_approve(*, approval: Approval, comment: str = "", by) -> Approval:
    """Approve submitted figures: the unit's records of the period are locked from now on."""
    return _decide(
        approval,
        status=ApprovalStatus.APPROVED,
        action=StepAction.APPROVE,
        comment=(comment or "").strip(),
        by=by,
        message=_("approved"),
    )


# --- the lock on approved periods -------------------------------------------------------------


@dataclass(frozen=True)
class EditTarget:
    """A record about to be changed: its unit (a region code under a township, or an
    institution's id), the date that puts it in a period, and the record itself."""

    on: datetime.date
    record: object
    region_code: str | None = None
    institution_id: int | None = None
    target_type: str = ""
    """The record's type when ``record`` is not a model instance (an import's row)."""


def _township_code(region_code: str | None) -> str | None:
    if not region_code or len(region_code.rstrip("0")) < 7:
        return None
    return region_code[: RegionLevel.TOWNSHIP].ljust(12, "0")


def guard_edit(
    user,
    *,
    on: datetime.date,
    record,
    region_code: str | None = None,
    institution_id: int | None = None,
    action: str = AuditAction.UPDATE,
) -> None:
    """Refuse, or list on the approval, a change to a record of an approved unit and period.

    ``region_code`` is any code at or under the record's township (a village's, say);
    ``institution_id`` the institution whose settlements the record belongs to. One query when
    nothing is approved; raises :class:`ApprovalLocked` (a ``ValidationError``, in Chinese) for
    any role but county staff.
    """
    guard_edits(
        user,
        [EditTarget(on=on, record=record, region_code=region_code, institution_id=institution_id)],
        action=action,
    )


def guard_edits(user, targets: Iterable[EditTarget], *, action: str = AuditAction.UPDATE) -> None:
    """``guard_edit`` for many records at once (an import's rows): one query to find the
    approvals, one insert for the edits listed."""
    targets = [t for t in targets if t.on is not None]
    townships = {_township_code(t.region_code) for t in targets} - {None}
    institutions = {t.institution_id for t in targets if t.institution_id is not None}
    if not targets or not (townships or institutions):
        return
    days = [t.on for t in targets]
    approved = list(
        Approval.objects.filter(
            status=ApprovalStatus.APPROVED, start__lte=max(days), end__gte=min(days)
        )
        .filter(_unit_condition(townships, institutions))
        .select_related("region", "institution")
    )
    if not approved:
        return
    hits: list[tuple[Approval, EditTarget]] = []
    for target in targets:
        township = _township_code(target.region_code)
        for approval in approved:
            if not approval.start <= target.on <= approval.end:
                continue
            if (approval.institution_id is None and approval.region_id == township) or (
                approval.institution_id is not None
                and approval.institution_id == target.institution_id
            ):
                hits.append((approval, target))
                break
    if not hits:
        return
    if not (_is_operator(user) or get_profile(user).role == Role.COUNTY_STAFF):
        approval = hits[0][0]
        raise ApprovalLocked(
            _(
                "The figures of %(unit)s for %(period)s were approved on %(date)s; only county "
                "bureau staff may change them now."
            )
            % {
                "unit": approval.unit_name,
                "period": approval.period_label,
                "date": approval.decided_at.date().isoformat() if approval.decided_at else "",
            }
        )
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    ApprovalEdit.objects.bulk_create(
        [
            ApprovalEdit(
                approval=approval,
                by=user if authenticated else None,
                by_name=user.get_username() if authenticated else "system",
                action=action,
                target_type=target.target_type or _label(target.record),
                target_id="" if getattr(target.record, "pk", None) is None else target.record.pk,
                target_repr=str(target.record)[:255],
                record_date=target.on,
            )
            for approval, target in hits
        ]
    )


def _label(record) -> str:
    meta = getattr(record, "_meta", None)
    return meta.label_lower if meta is not None else type(record).__name__.lower()


def _unit_condition(townships: set[str], institutions: set[int]) -> Q:
    condition = Q(pk__in=[])
    if townships:
        condition |= Q(institution__isnull=True, region_id__in=sorted(townships))
    if institutions:
        condition |= Q(institution_id__in=sorted(institutions))
    return condition
