"""The filtered member and household lists as xlsx, in the roster's own columns.

The headers are the ones the national poverty-alleviation system exports and the roster
import reads (县, 乡镇, 村, 户编号, 姓名, ...), so an export can be edited and imported
again. They and the cell values are the Chinese of that file format, whatever the page
language: they are data at the border, not interface text.

ID numbers are masked unless the user may reveal them and asked for full numbers; then one
audit row of action "export" says how many were revealed (every export is audited). Rows are
streamed from the database in chunks (``iterator(chunk_size=...)`` with prefetching, so a
fixed number of queries per 2,000 rows) into openpyxl's write-only workbook, saved to a
temporary file: memory stays flat whatever the size (a prefecture's 500,000 members).

An export runs as a background job (``households.tasks.export_task``), never inside the
request: the page starts it, shows its progress and then offers the file, which is deleted
with the other job files after ``JOB_FILES_RETENTION_DAYS``. ``run_export_job`` is the job's
work: the list's filters are stored with the job and applied again to the user's scope.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from django.core.files import File
from django.db.models import Count, Prefetch
from django.http import FileResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from healthaid import audit
from healthaid.choices import AuditAction, Role
from healthaid.idnumbers import decrypt_id_number
from healthaid.scoping import can_reveal_id, get_profile, user_role
from households.choices import (
    ATTRIBUTE_LABELS,
    CAUSE_LABELS,
    RELATION_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
    Relation,
)
from households.models import Household, Member, MemberDisease, SpecialCard

try:
    from healthaid.importing.errorfile import safe_cell
except ImportError:  # the import package is optional for exports
    _FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

    def safe_cell(value: Any) -> Any:
        """Text that Excel would run as a formula gets a leading apostrophe."""
        if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
            return "'" + value
        return value


__all__ = [
    "EXPORT_KINDS",
    "HOUSEHOLD_EXTRA_HEADERS",
    "ROSTER_HEADERS",
    "export_households",
    "export_members",
    "household_rows",
    "member_rows",
    "run_export_job",
    "xlsx_response",
]

CHUNK_SIZE = 2000

ROSTER_HEADERS: tuple[str, ...] = (
    "县",
    "乡镇",
    "村",
    "户编号",
    "姓名",
    "性别",
    "证件号码",
    "与户主关系",
    "民族",
    "联系电话",
    "贫困户属性",
    "主要致贫原因",
    "是否因病致贫",
    "脱贫年度",
    "患病情况",
    "慢病卡号",
)
# The household list: one row per household, the head in the member columns, then these.
HOUSEHOLD_EXTRA_HEADERS: tuple[str, ...] = ("家庭人口数", "贫困状态", "是否因病返贫", "地址")

NO_DISEASE = "健康"


def _yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def _place(household: Household) -> list[str]:
    """County, township and village names from the village's full name."""
    parts = household.village.path.split("/")
    parts = [""] * (3 - len(parts)) + parts
    return parts[-3:]


class _IdNumbers:
    """Masked numbers, or full ones (counted) when the export reveals them."""

    def __init__(self, reveal: bool):
        self.reveal = reveal
        self.revealed = 0

    def __call__(self, member: Member) -> str:
        if not self.reveal:
            return member.id_number_masked
        self.revealed += 1
        return decrypt_id_number(member.id_number_cipher)


def _member_cells(member: Member, household: Household, ids: _IdNumbers) -> list[Any]:
    diseases = [md.disease.name for md in member.disease_rows]
    cards = [card.number for card in member.card_rows]
    return [
        *_place(household),
        household.number,
        member.name,
        SEX_LABELS.get(member.sex, member.sex),
        ids(member),
        RELATION_LABELS.get(member.relation, member.relation),
        member.ethnicity,
        member.phone,
        *_household_cells(household),
        "、".join(diseases) or NO_DISEASE,
        "、".join(cards),
    ]


def _household_cells(household: Household) -> list[Any]:
    return [
        ATTRIBUTE_LABELS.get(household.poverty_attribute, household.poverty_attribute),
        CAUSE_LABELS.get(household.poverty_cause, household.poverty_cause),
        _yes_no(household.illness_caused),
        household.lifted_year or "",
    ]


def _member_prefetches() -> list[Prefetch]:
    return [
        Prefetch(
            "member_diseases",
            queryset=MemberDisease.objects.select_related("disease").order_by(
                "disease__sort_order", "disease__code"
            ),
            to_attr="disease_rows",
        ),
        Prefetch(
            "special_cards", queryset=SpecialCard.objects.order_by("number"), to_attr="card_rows"
        ),
    ]


def member_rows(queryset, ids: _IdNumbers) -> Iterator[list[Any]]:
    """Roster rows of the members in ``queryset`` (already scoped and filtered)."""
    members = (
        queryset.select_related("household", "household__village")
        .prefetch_related(*_member_prefetches())
        .order_by("household__village_id", "household__number", "id")
    )
    for member in members.iterator(chunk_size=CHUNK_SIZE):
        yield _member_cells(member, member.household, ids)


def household_rows(queryset, ids: _IdNumbers, user=None) -> Iterator[list[Any]]:
    """One row per household of ``queryset``: the head in the member columns, then extras.

    With ``user``, the head and the count are of the members that user sees (hospital staff see
    only the members their institution's records involve: another head stays out of the file).
    """
    from households.selectors import household_member_count, members_seen_by

    members = members_seen_by(user)
    heads = members.filter(relation=Relation.HEAD).prefetch_related(*_member_prefetches())
    households = (
        queryset.select_related("village")
        .prefetch_related(
            Prefetch("members", queryset=heads, to_attr="heads"),
        )
        .order_by("village_id", "number")
    )
    if user_role(user) == Role.HOSPITAL_STAFF:
        households = households.annotate(people=household_member_count(members))
    else:
        households = households.annotate(people=Count("members"))
    for household in households.iterator(chunk_size=CHUNK_SIZE):
        head = household.heads[0] if household.heads else None
        if head is not None:
            cells = _member_cells(head, household, ids)
        else:
            cells = [
                *_place(household),
                household.number,
                *[""] * 6,
                *_household_cells(household),
                "",
                "",
            ]
        yield [
            *cells,
            household.people,
            STATUS_LABELS.get(household.status, household.status),
            _yes_no(household.illness_returned),
            household.address,
        ]


def _write(
    headers: Iterable[str],
    rows: Iterable[list[Any]],
    title: str,
    progress: Callable[[int], None] | None = None,
):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    widths = (8, 10, 14, 20, 10, 6, 21, 10, 8, 14)
    for column, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
        count += 1
        if progress is not None and count % CHUNK_SIZE == 0:
            progress(count)
    # Closed by the FileResponse once sent; the file has no name on disk meanwhile.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    book.save(handle)
    handle.seek(0)
    return handle, count


def _audit_export(*, by, kind: str, rows: int, revealed: int) -> None:
    profile = get_profile(by)
    audit.record(
        action=AuditAction.EXPORT,
        by=by,
        target_type=f"households.{kind}",
        target_repr=_("Household list") if kind == "household" else _("Member list"),
        message=_("Exported %(rows)d rows to Excel; %(revealed)d full ID numbers revealed.")
        % {"rows": rows, "revealed": revealed},
        region_code=profile.region_id if profile else "",
    )


def export_members(queryset, *, by, full_ids: bool = False, progress=None):
    """(file, row count) of the members in ``queryset``; audited."""
    ids = _IdNumbers(reveal=full_ids and can_reveal_id(by))
    handle, count = _write(ROSTER_HEADERS, member_rows(queryset, ids), "建档立卡人员", progress)
    _audit_export(by=by, kind="member", rows=count, revealed=ids.revealed)
    return handle, count


def export_households(queryset, *, by, full_ids: bool = False, progress=None):
    """(file, row count) of the households in ``queryset``; audited."""
    ids = _IdNumbers(reveal=full_ids and can_reveal_id(by))
    handle, count = _write(
        (*ROSTER_HEADERS, *HOUSEHOLD_EXTRA_HEADERS),
        household_rows(queryset, ids, by),
        "建档立卡户",
        progress,
    )
    _audit_export(by=by, kind="household", rows=count, revealed=ids.revealed)
    return handle, count


def xlsx_response(handle, stem: str) -> FileResponse:
    filename = f"{stem}_{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return response


# --- as a background job -------------------------------------------------------------------------

# Job kinds, by what is exported.
EXPORT_KINDS = {"household": "households.household_export", "member": "households.member_export"}


def export_kind(job) -> str:
    """``household`` or ``member``, from the job's kind."""
    return next(kind for kind, job_kind in EXPORT_KINDS.items() if job_kind == job.kind)


def export_file_name(kind: str, day) -> str:
    stem = _("households") if kind == "household" else _("members")
    return f"{stem}_{day:%Y%m%d}.xlsx"


def export_queryset(kind: str, user, query: str):
    """The list the user saw: their scope, filtered by the list's query string."""
    from households.filtersets import HouseholdFilterSet, MemberFilterSet

    model, filterset_class = (
        (Household, HouseholdFilterSet) if kind == "household" else (Member, MemberFilterSet)
    )
    queryset = model.objects.visible_to(user)
    data = QueryDict(query or "")
    filterset = filterset_class(data or None, queryset=queryset, request=SimpleNamespace(user=user))
    if filterset.is_bound and not filterset.is_valid():
        return queryset.none()
    return filterset.qs


def run_export_job(job, *, user, progress: Callable[[int, int], None]) -> dict:
    """Write the job's export to its result file; the summary for ``job.result``."""
    kind = export_kind(job)
    queryset = export_queryset(kind, user, job.params.get("query", ""))
    total = queryset.count()
    progress(0, total)
    export = export_households if kind == "household" else export_members
    handle, count = export(
        queryset,
        by=user,
        full_ids=bool(job.params.get("full_ids")),
        progress=lambda done: progress(done, total),
    )
    with handle:
        job.result_file.save(export_file_name(kind, timezone.localdate()), File(handle), save=False)
    return {"rows": count, "full_ids": bool(job.params.get("full_ids"))}
