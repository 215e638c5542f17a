"""The 问题清单 import (来源, 问题, 责任单位, 整改措施, 整改时限) on the shared import framework.

All or nothing unless ``skip_invalid``; a dry run checks everything and writes nothing. A
row whose finding is already held for the same unit and source is left as it is, so importing
a list again adds nothing. Each row's region is the township its 责任单位 names (元马镇卫生院 →
元马镇) when one of the county's townships is named, else the county (``--region``, or the
importing user's own county or township). An optional 发现时间 column gives the date each
finding was made; without it the finding is dated the day of the import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel
from healthaid.importing.normalize import CellError, to_date, to_text
from healthaid.importing.reader import ColumnSpec, FileRefused, read_table
from healthaid.importing.results import ImportOutcome, RowError
from healthaid.models import Region
from healthaid.scoping import get_profile
from rectification.choices import ItemStatus, Source
from rectification.models import RectificationItem
from rectification.services import can_edit

__all__ = [
    "COLUMNS",
    "RectificationImportResult",
    "error_file_name",
    "rectification_import",
]

COLUMNS = (
    ColumnSpec("source", ("来源", "问题来源"), required=True),
    ColumnSpec("finding", ("问题", "存在问题", "问题描述"), required=True),
    ColumnSpec("unit", ("责任单位",), required=True),
    ColumnSpec("measures", ("整改措施",), required=True),
    ColumnSpec("deadline", ("整改时限", "整改期限"), required=True),
    ColumnSpec("found_on", ("发现时间", "发现日期")),
)

# Words of the 来源 column, the longest first (a 省委巡视组's finding is a patrol's).
SOURCE_WORDS = (
    ("明察暗访", Source.UNANNOUNCED),
    ("暗访", Source.UNANNOUNCED),
    ("巡察", Source.PATROL),
    ("巡视", Source.PATROL),
    ("督查", Source.SUPERVISION),
    ("督导", Source.SUPERVISION),
    ("审计", Source.AUDIT),
    ("其他", Source.OTHER),
    ("其它", Source.OTHER),
)


def to_source(value: Any) -> str:
    text = to_text(value)
    if not text:
        raise CellError(_("is empty."), "required")
    for word, source in SOURCE_WORDS:
        if word in text:
            return source
    raise CellError(
        _("is not a known source (巡视, 督查, 明察暗访, 审计 or 其他)."), "invalid_choice"
    )


@dataclass
class RectificationImportResult(ImportOutcome):
    created: int = 0
    unchanged: int = 0
    skipped: int = 0
    extra_headers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "applied": self.applied,
            "total_rows": self.total_rows,
            "header_row": self.header_row,
            "created": self.created,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            **self.notes_dict(),
            "extra_headers": list(self.extra_headers),
            "file_error": self.file_error,
            "file_error_code": self.file_error_code,
            "error_rows": self.error_row_count,
        }

    def summary_lines(self) -> list[str]:
        if self.file_error:
            return [self.file_error]
        return [
            _("%(rows)d rows read (header in row %(header)d).")
            % {"rows": self.total_rows, "header": self.header_row},
            _(
                "Rectification items: %(created)d new, %(unchanged)d already held, %(skipped)d skipped."
            )
            % {"created": self.created, "unchanged": self.unchanged, "skipped": self.skipped},
        ]


def _scope_region(by, region_code: str | None) -> tuple[Region | None, str]:
    """The county (or township) the list belongs to, and a refusal message if there is none."""
    profile = get_profile(by) if by is not None else None
    if by is not None and not can_edit(by):
        return None, _("Only county bureau staff import rectification lists.")
    region = None
    if region_code:
        region = Region.objects.by_code(region_code)
        if region is None:
            return None, _("No region has the code %(code)s.") % {"code": region_code}
        if profile is not None and not region.code.startswith(profile.region.prefix):
            return None, _("%(region)s is outside your area.") % {"region": region.name}
    elif profile is not None:
        region = profile.region
    if region is None:
        return None, _("Say which county the list belongs to (--region CODE).")
    if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        return None, _("The list belongs to a county or a township, not to %(region)s.") % {
            "region": region.name
        }
    return region, ""


def rectification_import(
    *,
    source: bytes | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    by,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
    region_code: str | None = None,
) -> RectificationImportResult:
    """Import a 问题清单 (xlsx, xls or csv) into the county's (or township's) tracker."""
    name = os.path.basename(os.fspath(filename or getattr(source, "name", "") or ""))
    result = RectificationImportResult(filename=name, dry_run=dry_run, skip_invalid=skip_invalid)
    region, refusal = _scope_region(by, region_code)
    if refusal:
        result.file_error, result.file_error_code = refusal, "forbidden"
        return result
    try:
        sheet = read_table(source, filename, COLUMNS)
    except FileRefused as exc:
        result.file_error, result.file_error_code = exc.message, exc.code
        return result
    result.total_rows = len(sheet.rows)
    result.header_row = sheet.header_row_number
    result.header = sheet.header
    result.extra_headers = sheet.extra_headers
    labels = {spec.key: spec.label for spec in COLUMNS}
    townships = (
        list(Region.objects.within(region).filter(level=RegionLevel.TOWNSHIP))
        if region.level == RegionLevel.COUNTY
        else []
    )
    today = timezone.localdate()
    planned: list[tuple[int, RectificationItem]] = []
    for index, row in enumerate(sheet.rows):
        errors: list[RowError] = []

        def cell(key, convert, *, required=True, _row=row, _errors=errors):
            raw = _row.cells.get(key)
            try:
                value = convert(raw)
            except CellError as exc:
                _errors.append(
                    RowError(_row.number, labels[key], to_text(raw), exc.message, exc.code)
                )
                return None
            if required and value in (None, ""):
                _errors.append(RowError(_row.number, labels[key], "", _("is empty."), "required"))
            return value

        source_value = cell("source", to_source)
        finding = cell("finding", to_text)
        unit = cell("unit", to_text)
        measures = cell("measures", to_text)
        deadline = cell("deadline", to_date)
        found_given = cell("found_on", to_date, required=False)
        found_on = found_given or today
        if found_on > today:
            errors.append(
                RowError(
                    row.number, labels["found_on"], found_on.isoformat(), _("is in the future.")
                )
            )
        elif found_given is not None and deadline is not None and deadline < found_on:
            errors.append(
                RowError(
                    row.number,
                    labels["deadline"],
                    deadline.isoformat(),
                    _("comes before the finding (%(date)s).") % {"date": found_on.isoformat()},
                )
            )
        if errors:
            result.errors.extend(errors)
            message = "; ".join(f"{e.column}: {e.message}" for e in errors)
            result.rejected_rows.append((row.number, row.raw, message))
            continue
        item_region = next((t for t in townships if unit.startswith(t.name)), region)
        planned.append(
            (
                row.number,
                RectificationItem(
                    source=source_value,
                    found_on=found_on,
                    finding=finding,
                    responsible_unit=unit[:128],
                    region=item_region,
                    measures=measures,
                    deadline=deadline,
                    status=ItemStatus.OVERDUE if deadline < today else ItemStatus.OPEN,
                    created_by=by if by is not None and by.is_authenticated else None,
                ),
            )
        )
        if progress is not None:
            progress(index + 1, len(sheet.rows))
    result.skipped = result.error_row_count
    if result.errors and not skip_invalid and not dry_run:
        return result
    held = set(
        RectificationItem.objects.filter(region__code__startswith=region.prefix).values_list(
            "region_id", "source", "responsible_unit", "finding"
        )
    )
    new = []
    for _number, item in planned:
        key = (item.region_id, item.source, item.responsible_unit, item.finding)
        if key in held:
            result.unchanged += 1
            continue
        held.add(key)
        new.append(item)
    result.created = len(new)
    if dry_run or (result.errors and not skip_invalid):
        return result
    with transaction.atomic():
        created = RectificationItem.objects.bulk_create(new)
        audit.record_many(
            audit.build(
                action=AuditAction.CREATE,
                by=by,
                instance=item,
                after=audit.snapshot(item),
                message=_("Imported from %(file)s") % {"file": name},
            )
            for item in created
        )
    result.applied = True
    return result


def error_file_name(input_name: str) -> str:
    stem = os.path.splitext(os.path.basename(input_name or ""))[0] or "rectification"
    return _("%(name)s-rows-with-errors.xlsx") % {"name": stem}
