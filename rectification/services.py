"""Writes of the rectification tracker: record, edit, move the status, close (销号), flag
overdue, attach evidence. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthaid import audit
from healthaid.choices import RegionLevel, Role
from healthaid.models import Region
from healthaid.scoping import get_profile
from rectification.choices import ItemStatus
from rectification.models import Evidence, RectificationItem

__all__ = [
    "EDIT_ROLES",
    "EVIDENCE_MAX_BYTES",
    "can_close",
    "can_edit",
    "evidence_add",
    "evidence_check",
    "item_close",
    "item_create",
    "item_set_status",
    "item_update",
    "items_flag_overdue",
]

# County staff record and edit the county's findings; a township's doctors report progress
# on their township's (in progress, done awaiting check). Closing is the county's alone.
EDIT_ROLES = frozenset({Role.COUNTY_STAFF})
PROGRESS_ROLES = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR})
EDITABLE_FIELDS = (
    "source",
    "found_on",
    "finding",
    "responsible_unit",
    "region",
    "measures",
    "deadline",
)


def _role(user) -> str | None:
    profile = get_profile(user)
    if profile is None:
        return Role.COUNTY_STAFF if user is None or user.is_superuser else None
    return profile.role


def can_edit(user) -> bool:
    return _role(user) in EDIT_ROLES


def can_report_progress(user) -> bool:
    return _role(user) in PROGRESS_ROLES


def can_close(user) -> bool:
    return _role(user) == Role.COUNTY_STAFF


def _check_region(region: Region) -> None:
    if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        raise ValidationError({"region": _("Choose a county or a township.")})


def _check_dates(found_on: datetime.date, deadline: datetime.date) -> None:
    if found_on > timezone.localdate():
        raise ValidationError({"found_on": _("A finding cannot be dated in the future.")})
    if deadline < found_on:
        raise ValidationError({"deadline": _("The deadline cannot come before the finding.")})


def _status_for(deadline: datetime.date, status: str, today: datetime.date) -> str:
    """An item not closed whose deadline has passed is overdue; one whose deadline moved
    back into the future is open again."""
    if status == ItemStatus.CLOSED:
        return status
    if deadline < today and status in (ItemStatus.OPEN, ItemStatus.IN_PROGRESS):
        return ItemStatus.OVERDUE
    if deadline >= today and status == ItemStatus.OVERDUE:
        return ItemStatus.OPEN
    return status


@transaction.atomic
def item_create(
    *,
    source: str,
    found_on: datetime.date,
    finding: str,
    responsible_unit: str,
    region: Region,
    deadline: datetime.date,
    measures: str = "",
    by,
) -> RectificationItem:
    """Record a finding to rectify; overdue at once if its deadline has already passed."""
    if not can_edit(by):
        raise PermissionDenied(_("Only county bureau staff record findings."))
    _check_region(region)
    _check_dates(found_on, deadline)
    item = RectificationItem.objects.create(
        source=source,
        found_on=found_on,
        finding=finding.strip(),
        responsible_unit=responsible_unit.strip(),
        region=region,
        measures=(measures or "").strip(),
        deadline=deadline,
        status=_status_for(deadline, ItemStatus.OPEN, timezone.localdate()),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    audit.record_create(item, by=by)
    return item


@transaction.atomic
def item_update(*, item: RectificationItem, by, **values) -> RectificationItem:
    """Change a finding's particulars (not its status: see ``item_set_status``)."""
    if not can_edit(by):
        raise PermissionDenied(_("Only county bureau staff edit findings."))
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = audit.snapshot(item)
    for name, value in values.items():
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    _check_region(item.region)
    _check_dates(item.found_on, item.deadline)
    item.status = _status_for(item.deadline, item.status, timezone.localdate())
    item.save()
    audit.record_update(item, before, by=by)
    return item


# Who may move an item to which status, from which.
_MOVES = {
    ItemStatus.IN_PROGRESS: {ItemStatus.OPEN, ItemStatus.OVERDUE, ItemStatus.AWAITING_CHECK},
    ItemStatus.AWAITING_CHECK: {ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.OVERDUE},
}


@transaction.atomic
def item_set_status(
    *, item: RectificationItem, status: str, by, note: str = ""
) -> RectificationItem:
    """Report progress: in progress, or done and awaiting the county's check. County staff
    may also send an item awaiting check back to in progress."""
    if not can_report_progress(by):
        raise PermissionDenied(_("Your role does not report rectification progress."))
    if status not in _MOVES or item.status not in _MOVES[status]:
        raise ValidationError(
            {
                "status": _("An item that is “%(current)s” cannot be set to “%(new)s”.")
                % {"current": item.get_status_display(), "new": ItemStatus(status).label}
            }
        )
    if (
        item.status == ItemStatus.AWAITING_CHECK
        and status == ItemStatus.IN_PROGRESS
        and not can_close(by)
    ):
        raise PermissionDenied(_("Only county bureau staff send a checked item back."))
    before = audit.snapshot(item)
    item.status = status
    if status == ItemStatus.IN_PROGRESS:
        item.status = _status_for(item.deadline, status, timezone.localdate())
    item.save(update_fields=["status", "updated_at"])
    audit.record_update(item, before, by=by, message=note[:255])
    return item


@transaction.atomic
def item_close(
    *, item: RectificationItem, by, closed_on: datetime.date | None = None, note: str = ""
) -> RectificationItem:
    """销号: county staff close an item whose rectification is done and awaiting their check."""
    if not can_close(by):
        raise PermissionDenied(_("Only county bureau staff close rectification items."))
    if item.status != ItemStatus.AWAITING_CHECK:
        raise ValidationError({"status": _("Only an item done and awaiting check can be closed.")})
    closed_on = closed_on or timezone.localdate()
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("An item cannot be closed in the future.")})
    if closed_on < item.found_on:
        raise ValidationError({"closed_on": _("An item cannot be closed before it was found.")})
    before = audit.snapshot(item)
    item.status = ItemStatus.CLOSED
    item.closed_on = closed_on
    item.closed_by = by if by is not None and by.is_authenticated else None
    item.save(update_fields=["status", "closed_on", "closed_by", "updated_at"])
    audit.record_update(item, before, by=by, message=note[:255] or _("closed"))
    return item


@transaction.atomic
def items_flag_overdue(*, today: datetime.date | None = None) -> int:
    """The daily beat's work: open and in-progress items past their deadline become overdue.

    One UPDATE, and one audit row per item flagged (written in bulk)."""
    today = today or timezone.localdate()
    due = list(
        RectificationItem.objects.filter(
            status__in=(ItemStatus.OPEN, ItemStatus.IN_PROGRESS), deadline__lt=today
        ).values_list("pk", "status", "region_id", "responsible_unit")
    )
    if not due:
        return 0
    RectificationItem.objects.filter(pk__in=[pk for pk, *_rest in due]).update(
        status=ItemStatus.OVERDUE, updated_at=timezone.now()
    )
    audit.record_many(
        audit.build(
            action="update",
            by=None,
            target_type=RectificationItem._meta.label_lower,
            target_id=pk,
            target_repr=unit,
            before={"status": status},
            after={"status": ItemStatus.OVERDUE.value},
            message=_("past its deadline"),
            region_code=region,
        )
        for pk, status, region, unit in due
    )
    return len(due)


# --- evidence ---------------------------------------------------------------------------------

# Scans, photos and PDFs, judged by their first bytes as well as their name (like the
# consortium agreements), at most 10 MB each.
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def evidence_check(upload):
    """The upload if it is a PDF, JPEG or PNG of at most 10 MB; else ``ValidationError``."""
    name = str(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    if ext not in EVIDENCE_SIGNATURES:
        raise ValidationError({"file": _("Upload a PDF, JPEG or PNG file (.pdf, .jpg, .png).")})
    size = getattr(upload, "size", None) or 0
    if size > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)d MB.")
                % {"limit": EVIDENCE_MAX_BYTES // 2**20}
            }
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES[ext]):
        raise ValidationError(
            {"file": _("The file's content is not a %(ext)s file.") % {"ext": ext}}
        )
    return upload


@transaction.atomic
def evidence_add(*, item: RectificationItem, upload, note: str = "", by) -> Evidence:
    """Attach a file that shows the rectification (a closed item keeps its evidence as is)."""
    if not can_report_progress(by):
        raise PermissionDenied(_("Your role does not report rectification progress."))
    if item.status == ItemStatus.CLOSED:
        raise ValidationError({"file": _("The item is closed; its evidence can no longer change.")})
    evidence_check(upload)
    name = os.path.basename(str(upload.name))[:255]
    evidence = Evidence(
        item=item,
        name=name,
        note=(note or "")[:255],
        created_by=by if by is not None and by.is_authenticated else None,
    )
    evidence.file.save(name, upload, save=False)
    evidence.save()
    audit.record_create(evidence, by=by)
    return evidence
