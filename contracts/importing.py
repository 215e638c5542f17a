"""Import existing contracts and follow-ups from the spreadsheets townships keep.

The rules are the roster import's: the file is read by the registry's reader (header found
wherever it is, GBK CSV, dates as Excel shows them), every error is reported with the row
number Excel shows, nothing is written when any row is wrong unless ``skip_invalid``, and
re-importing the same file changes nothing (contracts are keyed by ID number and signing
date, follow-ups by ID number, visit date and disease).

Members are found by ID number in bulk: the blind index of every row is computed first,
then looked up in a few ``IN`` queries (chunks keep SQLite under its variable limit).
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.choices import ContractStatus, FollowUpPlace, ServicePackage
from contracts.models import Contract, DoctorTeam, FollowUp
from contracts.owed import refresh_owed
from contracts.services import (
    control_status_for,
    default_valid_to,
    measurement_errors,
)
from contracts.signals import contracts_changed
from healthaid import audit
from healthaid.choices import AuditAction
from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.importing.normalize import CellError, is_blank, to_choice, to_date, to_text
from healthaid.importing.reader import ColumnSpec, FileRefused, ParsedSheet, read_table
from healthaid.importing.results import ImportOutcome, RowError
from households.catalogue import match_disease
from households.models import Disease, Member, MemberDisease

MAX_IMPORT_BYTES = 20 * 1024 * 1024
LOOKUP_CHUNK = 2000
MAX_REPORTED_ERRORS = 1000

ID_HEADERS = ("证件号码", "身份证号", "身份证号码", "公民身份号码", "身份证件号码", "id_number")

# fmt: off
CONTRACT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id_number", ID_HEADERS, True),
    ColumnSpec("team", ("团队", "签约团队", "家庭医生团队", "服务团队", "team"), True),
    ColumnSpec("doctor", ("签约医生", "责任医生", "家庭医生", "doctor"), True),
    ColumnSpec("signed_on", ("签约日期", "签约时间", "signed_on"), True),
    ColumnSpec("package", ("服务包", "签约服务包", "服务包类型", "package")),
    ColumnSpec("name", ("姓名", "name")),
)
FOLLOWUP_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id_number", ID_HEADERS, True),
    ColumnSpec("visited_on", ("随访日期", "随访时间", "visited_on"), True),
    ColumnSpec("disease", ("随访疾病", "疾病", "disease")),
    ColumnSpec("place", ("随访方式", "方式", "place")),
    ColumnSpec("systolic", ("收缩压", "收缩压(mmHg)", "systolic")),
    ColumnSpec("diastolic", ("舒张压", "舒张压(mmHg)", "diastolic")),
    ColumnSpec("fasting_glucose", ("空腹血糖", "空腹血糖(mmol/L)", "血糖", "fasting_glucose")),
    ColumnSpec("doctor", ("随访医生", "医生", "doctor")),
    ColumnSpec("name", ("姓名", "name")),
)
# fmt: on

PACKAGES = {
    "": ServicePackage.BASIC,
    "基础包": ServicePackage.BASIC,
    "基本包": ServicePackage.BASIC,
    "基础服务包": ServicePackage.BASIC,
    "基本服务包": ServicePackage.BASIC,
    "免费基础包": ServicePackage.BASIC,
    "免费包": ServicePackage.BASIC,
    "basic": ServicePackage.BASIC,
    "个性化包": ServicePackage.PERSONALISED,
    "个性化服务包": ServicePackage.PERSONALISED,
    "个性包": ServicePackage.PERSONALISED,
    "personalised": ServicePackage.PERSONALISED,
}
PLACES = {
    "": FollowUpPlace.HOME,
    "入户": FollowUpPlace.HOME,
    "入户随访": FollowUpPlace.HOME,
    "上门": FollowUpPlace.HOME,
    "家庭": FollowUpPlace.HOME,
    "家访": FollowUpPlace.HOME,
    "home": FollowUpPlace.HOME,
    "门诊": FollowUpPlace.CLINIC,
    "门诊随访": FollowUpPlace.CLINIC,
    "诊室": FollowUpPlace.CLINIC,
    "clinic": FollowUpPlace.CLINIC,
    "电话": FollowUpPlace.PHONE,
    "电话随访": FollowUpPlace.PHONE,
    "phone": FollowUpPlace.PHONE,
}


ImportRefused = FileRefused
"""The file as a whole cannot be used (not a spreadsheet, no header ...): the framework's
:class:`~healthaid.importing.reader.FileRefused`, under the name this module's callers know."""


@dataclass
class ImportResult(ImportOutcome):
    """A contracts or follow-ups import: the shared outcome plus this import's counts."""

    kind: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.total_rows

    @total.setter
    def total(self, value: int) -> None:
        self.total_rows = value

    @property
    def error_file(self) -> bytes | None:
        """The rejected rows with an error column, as xlsx (None without rejected rows)."""
        return self.error_workbook()

    @property
    def refused(self) -> bool:
        return bool(self.errors) and not self.applied and not self.dry_run

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "total": self.total,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "header_row": self.header_row,
            "error_count": len(self.errors),
            "error_rows": self.error_row_count,
            "errors": [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]],
            "file_error": self.file_error,
            "file_error_code": self.file_error_code,
        }

    as_dict = summary

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportResult:
        # Jobs stored before "total_rows" have the row count as "total".
        return super().from_dict({"total_rows": data.get("total", 0), **data})

    def summary_lines(self) -> list[str]:
        # The commands' historic wording (English, as scripts and operators know it).
        lines = [
            f"{self.total} rows: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        ]
        if self.errors:
            lines.append(f"{len(self.errors)} errors in {self.error_row_count} rows.")
        return lines

    def refusal_line(self) -> str:
        # The commands' historic wording, kept as scripts and operators know it.
        return (
            f"Refused, nothing written: {len(self.errors)} errors in {self.error_row_count} "
            "rows. Fix them or use --skip-invalid."
        )


# --- cells ------------------------------------------------------------------------------------


def to_int(value: Any) -> int | None:
    """160, 160.0, "160", "160mmHg" → 160; blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = to_text(value).lower().removesuffix("mmhg").strip()
    if text.isdigit():
        return int(text)
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": to_text(value)})


def to_decimal(value: Any, places: str = "0.1") -> Decimal | None:
    """6.1, "6.1", "6.1mmol/L" → Decimal("6.1"); blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a number.") % {"value": value})
    text = to_text(value).lower().removesuffix("mmol/l").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": to_text(value)}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": to_text(value)})
    return number.quantize(Decimal(places))


def _name(filename: str | None) -> str:
    return os.path.basename(os.fspath(filename or ""))


def _text(value: Any) -> str:
    return "" if value is None else to_text(value)


def _scoped(queryset, user):
    """The whole table for the command line run without ``--user``; the user's scope otherwise."""
    return queryset if user is None else queryset.visible_to(user)


# --- shared steps -----------------------------------------------------------------------------


class _Rows:
    """Errors by row, with the label of each column for messages."""

    def __init__(self, columns: tuple[ColumnSpec, ...], sheet: ParsedSheet) -> None:
        self.labels = {spec.key: spec.label for spec in columns}
        self.sheet = sheet
        self.errors: dict[int, list[RowError]] = defaultdict(list)

    def add(self, row, key: str, message: str) -> None:
        label = self.labels.get(key, key)
        self.errors[row.number].append(
            RowError(row.number, label, _text(row.cells.get(key)), str(message))
        )

    def ok(self, row) -> bool:
        return row.number not in self.errors

    def all(self) -> list[RowError]:
        return [error for number in sorted(self.errors) for error in self.errors[number]]


def _read(source, filename: str | None, columns) -> ParsedSheet:
    return read_table(source, filename, columns, max_bytes=MAX_IMPORT_BYTES)


def _members_by_index(indexes: set[str], user) -> dict[str, dict]:
    """Blind index → member row, in a few chunked ``IN`` queries."""
    found: dict[str, dict] = {}
    ordered = sorted(indexes)
    for offset in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[offset : offset + LOOKUP_CHUNK]
        for row in (
            _scoped(Member.objects, user)
            .filter(id_number_index__in=chunk)
            .values("pk", "id_number_index", "name", "household__village_id")
        ):
            found[row["id_number_index"]] = row
    return found


def _parse_id(rows: _Rows, row) -> str | None:
    raw = row.cells.get("id_number")
    if is_blank(raw):
        rows.add(row, "id_number", _("The ID number is missing."))
        return None
    try:
        return blind_index(normalize_id_number(raw))
    except IDNumberError as exc:
        rows.add(row, "id_number", exc.message)
        return None


def _stops_before_writing(
    result: ImportResult,
    rows: _Rows,
    sheet: ParsedSheet,
    creates: list,
    updates: list,
    skip_invalid: bool,
    dry_run: bool,
) -> bool:
    """Close the checks (errors in row order, rows skipped) and say whether the import ends
    here: a dry run, or errors without ``skip_invalid`` (then nothing is written)."""
    _finish(result, rows, sheet)
    result.skipped = len({e.row for e in result.errors})
    if (result.errors and not skip_invalid) or dry_run:
        result.created, result.updated = len(creates), len(updates)
        return True
    return False


def _audit_created(target_type: str, pairs, describe, by) -> None:
    """An audit row for each record an import created: ``pairs`` of (record, its planned
    values with the member's ``name`` and ``village``)."""
    audit.record_many(
        audit.build(
            action=AuditAction.CREATE,
            by=by,
            target_type=target_type,
            target_id=record.pk,
            target_repr=f"{item['name']} · {describe(record)}",
            after=audit.snapshot(record),
            message=_("Imported from a spreadsheet"),
            region_code=item["village"],
        )
        for record, item in pairs
    )


def _first_time(seen: dict[tuple, int], key: tuple, rows: _Rows, row, message: str) -> None:
    """Remember the row that first holds ``key``; a later row with it is an error naming that
    row (``message`` has ``%(row)d``)."""
    if key in seen:
        rows.add(row, "id_number", message % {"row": seen[key]})
    else:
        seen[key] = row.number


def _user_names(user_rows) -> dict[str, set[int]]:
    names: dict[str, set[int]] = defaultdict(set)
    for pk, username, first, last in user_rows:
        for name in {username, first, f"{last}{first}".strip(), f"{first}{last}".strip()}:
            if name:
                names[to_text(name)].add(pk)
    return names


def _finish(result: ImportResult, rows: _Rows, sheet: ParsedSheet) -> None:
    result.errors = rows.all()
    result.header = list(sheet.header)
    result.rejected_rows = [
        (row.number, row.raw, "；".join(e.message for e in rows.errors[row.number]))
        for row in sheet.rows
        if not rows.ok(row)
    ]


def _import_audit(*, kind: str, result: ImportResult, by, filename: str) -> None:
    audit.record(
        action=AuditAction.IMPORT,
        by=by,
        target_type=f"contracts.{kind}",
        target_repr=(filename or kind)[:255],
        after={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
        },
        message=f"import {kind}",
    )


# --- contracts --------------------------------------------------------------------------------


def import_contracts(
    source,
    filename: str | None = None,
    *,
    by=None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import contracts (证件号码, 团队, 签约医生, 签约日期, 服务包); see the module docstring.

    ``by`` is the acting user: members and teams are looked up in their scope (``None``, for
    the command line, means the whole database). Raises ``ImportRefused`` for a file that
    cannot be read at all.
    """
    today = today or timezone.localdate()
    sheet = _read(source, filename, CONTRACT_COLUMNS)
    rows = _Rows(CONTRACT_COLUMNS, sheet)
    result = ImportResult(
        kind="contracts",
        filename=_name(filename),
        total_rows=len(sheet.rows),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
    result.header_row = sheet.header_row_number
    report = progress or (lambda done, total: None)

    parsed: dict[int, dict] = {}
    seen: dict[tuple[str, datetime.date], int] = {}
    for position, row in enumerate(sheet.rows, start=1):
        index = _parse_id(rows, row)
        values: dict[str, Any] = {"index": index}
        for key in ("team", "doctor"):
            values[key] = _text(row.cells.get(key))
            if not values[key]:
                rows.add(row, key, _("This column is required."))
        try:
            values["signed_on"] = to_date(row.cells.get("signed_on"))
            if values["signed_on"] is None:
                rows.add(row, "signed_on", _("The signing date is missing."))
            elif values["signed_on"] > today:
                rows.add(row, "signed_on", _("The signing date is in the future."))
        except CellError as exc:
            rows.add(row, "signed_on", exc.message)
            values["signed_on"] = None
        try:
            values["package"] = to_choice(row.cells.get("package"), PACKAGES)
        except CellError as exc:
            rows.add(row, "package", exc.message)
        if index and values.get("signed_on"):
            _first_time(
                seen,
                (index, values["signed_on"]),
                rows,
                row,
                _("This person and signing date already appear in row %(row)d."),
            )
        parsed[row.number] = values
        if position % 1000 == 0:
            report(position, result.total)

    members = _members_by_index({v["index"] for v in parsed.values() if v["index"]}, by)
    teams: dict[str, list[DoctorTeam]] = defaultdict(list)
    for team in _scoped(DoctorTeam.objects, by).only("pk", "name", "leader_id"):
        teams[to_text(team.name)].append(team)
    team_ids = [t.pk for group in teams.values() for t in group]
    staff: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in DoctorTeam.members.through.objects.filter(
        doctorteam_id__in=team_ids
    ).values_list("doctorteam_id", "user_id"):
        staff[team_id].add(user_id)
    for group in teams.values():
        for team in group:
            if team.leader_id:
                staff[team.pk].add(team.leader_id)
    from django.contrib.auth import get_user_model

    names = _user_names(
        get_user_model()
        .objects.filter(pk__in={u for users in staff.values() for u in users})
        .values_list("pk", "username", "first_name", "last_name")
    )
    member_ids = [m["pk"] for m in members.values()]
    existing: dict[int, list[dict]] = defaultdict(list)
    for offset in range(0, len(member_ids), LOOKUP_CHUNK):
        for contract in Contract.objects.filter(
            member_id__in=member_ids[offset : offset + LOOKUP_CHUNK]
        ).values(
            "pk",
            "member_id",
            "signed_on",
            "valid_from",
            "valid_to",
            "terminated_on",
            "status",
            "team_id",
            "doctor_id",
            "package",
        ):
            existing[contract["member_id"]].append(contract)

    creates: list[dict] = []
    updates: list[tuple[int, dict]] = []
    new_by_member: dict[int, list[tuple[datetime.date, datetime.date, int]]] = defaultdict(list)
    for row in sheet.rows:
        values = parsed[row.number]
        member = members.get(values["index"]) if values["index"] else None
        if values["index"] and member is None:
            rows.add(
                row,
                "id_number",
                _("No registered member in your area has this ID number."),
            )
        team = None
        if values["team"]:
            candidates = teams.get(values["team"], [])
            if not candidates:
                rows.add(row, "team", _("Unknown team “%(team)s”.") % {"team": values["team"]})
            elif len(candidates) > 1:
                rows.add(
                    row,
                    "team",
                    _("Several teams are named “%(team)s”; rename one of them.")
                    % {"team": values["team"]},
                )
            else:
                team = candidates[0]
        doctor_id = None
        if team is not None and values["doctor"]:
            matches = names.get(values["doctor"], set()) & staff[team.pk]
            if not matches:
                rows.add(
                    row,
                    "doctor",
                    _("Unknown doctor “%(doctor)s” (not a member of the team %(team)s).")
                    % {"doctor": values["doctor"], "team": team.name},
                )
            elif len(matches) > 1:
                rows.add(
                    row,
                    "doctor",
                    _("Several members of the team are called “%(doctor)s”; use the user name.")
                    % {"doctor": values["doctor"]},
                )
            else:
                doctor_id = next(iter(matches))
        if not rows.ok(row) or member is None or team is None or doctor_id is None:
            continue
        signed_on = values["signed_on"]
        same = next((c for c in existing[member["pk"]] if c["signed_on"] == signed_on), None)
        wanted = {"team_id": team.pk, "doctor_id": doctor_id, "package": values["package"]}
        if same is not None:
            if any(same[k] != v for k, v in wanted.items()):
                updates.append((same["pk"], wanted))
            else:
                result.unchanged += 1
            continue
        valid_to = default_valid_to(signed_on)
        clash = next(
            (
                c
                for c in existing[member["pk"]]
                if c["status"] != ContractStatus.TERMINATED
                and c["valid_from"] <= valid_to
                and c["valid_to"] >= signed_on
            ),
            None,
        )
        other_new = next(
            (n for n in new_by_member[member["pk"]] if n[0] <= valid_to and n[1] >= signed_on),
            None,
        )
        if clash is not None or other_new is not None:
            start, end = (
                (clash["valid_from"], clash["valid_to"]) if clash else (other_new[0], other_new[1])
            )
            rows.add(
                row,
                "signed_on",
                _("This contract would overlap the member's contract of %(start)s to %(end)s.")
                % {"start": start, "end": end},
            )
            continue
        new_by_member[member["pk"]].append((signed_on, valid_to, row.number))
        creates.append(
            {
                "member_id": member["pk"],
                "village": member["household__village_id"],
                "name": member["name"],
                "signed_on": signed_on,
                "valid_to": valid_to,
                **wanted,
            }
        )
    report(result.total, result.total)
    if _stops_before_writing(result, rows, sheet, creates, updates, skip_invalid, dry_run):
        return result

    with transaction.atomic():
        changed = _write_contracts(creates, updates, existing, by=by, today=today)
        result.created, result.updated = len(creates), len(updates)
        result.applied = True
        _import_audit(kind="contract", result=result, by=by, filename=filename or "")
        refresh_owed(changed)  # and the figures versions of the counties concerned
        contracts_changed.send(sender=Contract, member_ids=sorted(changed))
    return result


def _write_contracts(creates, updates, existing, *, by, today) -> set[int]:
    """Write the rows; returns the ids of the members whose contracts changed."""
    creator = by if getattr(by, "is_authenticated", False) else None
    latest_new: dict[int, datetime.date] = {}
    for item in creates:
        latest_new[item["member_id"]] = max(
            item["signed_on"], latest_new.get(item["member_id"], item["signed_on"])
        )
    # A newer imported contract supersedes the member's active one; close that first, so the
    # one-active-contract constraint holds at every step.
    superseded = [
        c["pk"]
        for member_id, newest in latest_new.items()
        for c in existing[member_id]
        if c["status"] == ContractStatus.ACTIVE and c["valid_from"] < newest
    ]
    if superseded:
        Contract.objects.filter(pk__in=superseded).update(
            status=ContractStatus.EXPIRED, updated_at=timezone.now()
        )
    still_active = {
        c["member_id"]
        for member_id in latest_new
        for c in existing[member_id]
        if c["status"] == ContractStatus.ACTIVE and c["pk"] not in superseded
    }
    objects = []
    for item in creates:
        member_id = item["member_id"]
        active = (
            item["signed_on"] == latest_new[member_id]
            and item["valid_to"] >= today
            and member_id not in still_active
        )
        objects.append(
            Contract(
                member_id=member_id,
                team_id=item["team_id"],
                doctor_id=item["doctor_id"],
                signed_on=item["signed_on"],
                valid_from=item["signed_on"],
                valid_to=item["valid_to"],
                package=item["package"],
                status=ContractStatus.ACTIVE if active else ContractStatus.EXPIRED,
                created_by=creator,
            )
        )
    created = Contract.objects.bulk_create(objects, batch_size=2000)
    if updates:
        rows = {c.pk: c for c in Contract.objects.filter(pk__in=[pk for pk, _v in updates])}
        for pk, values in updates:
            for key, value in values.items():
                setattr(rows[pk], key, value)
        Contract.objects.bulk_update(
            list(rows.values()), ["team_id", "doctor_id", "package"], batch_size=2000
        )
    else:
        rows = {}
    _audit_created(
        "contracts.contract",
        zip(created, creates, strict=True),
        lambda contract: f"{contract.valid_from}–{contract.valid_to}",
        by,
    )
    return {item["member_id"] for item in creates} | {c.member_id for c in rows.values()}


# --- follow-ups -------------------------------------------------------------------------------


def import_followups(
    source,
    filename: str | None = None,
    *,
    by=None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: datetime.date | None = None,
) -> ImportResult:
    """Import follow-ups (证件号码, 随访日期, 随访疾病, 随访方式, 收缩压, 舒张压, 空腹血糖).

    The control status is derived from the measurements, as when a doctor records a visit.
    """
    today = today or timezone.localdate()
    sheet = _read(source, filename, FOLLOWUP_COLUMNS)
    rows = _Rows(FOLLOWUP_COLUMNS, sheet)
    result = ImportResult(
        kind="followups",
        filename=_name(filename),
        total_rows=len(sheet.rows),
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
    result.header_row = sheet.header_row_number
    report = progress or (lambda done, total: None)
    diseases = {d.code: d for d in Disease.objects.all()}

    parsed: dict[int, dict] = {}
    seen: dict[tuple, int] = {}
    for position, row in enumerate(sheet.rows, start=1):
        values: dict[str, Any] = {"index": _parse_id(rows, row)}
        try:
            values["visited_on"] = to_date(row.cells.get("visited_on"))
            if values["visited_on"] is None:
                rows.add(row, "visited_on", _("The visit date is missing."))
            elif values["visited_on"] > today:
                rows.add(row, "visited_on", _("The visit date is in the future."))
        except CellError as exc:
            rows.add(row, "visited_on", exc.message)
            values["visited_on"] = None
        disease_text = _text(row.cells.get("disease"))
        values["disease"] = None
        if disease_text:
            spec = match_disease(disease_text)
            if spec is None or spec.code not in diseases:
                rows.add(
                    row,
                    "disease",
                    _("Unknown disease “%(disease)s”.") % {"disease": disease_text},
                )
            else:
                values["disease"] = diseases[spec.code]
        try:
            values["place"] = to_choice(row.cells.get("place"), PLACES)
        except CellError as exc:
            rows.add(row, "place", exc.message)
        for key, parse in (
            ("systolic", to_int),
            ("diastolic", to_int),
            ("fasting_glucose", to_decimal),
        ):
            try:
                values[key] = parse(row.cells.get(key))
            except CellError as exc:
                rows.add(row, key, exc.message)
                values[key] = None
        for key, message in measurement_errors(values).items():
            rows.add(row, key, message)
        values["doctor"] = _text(row.cells.get("doctor"))
        if values["index"] and values["visited_on"]:
            disease = values["disease"]
            _first_time(
                seen,
                (values["index"], values["visited_on"], disease.pk if disease else None),
                rows,
                row,
                _("This person, date and disease already appear in row %(row)d."),
            )
        parsed[row.number] = values
        if position % 1000 == 0:
            report(position, result.total)

    members = _members_by_index({v["index"] for v in parsed.values() if v["index"]}, by)
    member_ids = [m["pk"] for m in members.values()]
    existing: dict[tuple, dict] = {}
    contracts: dict[int, list[dict]] = defaultdict(list)
    codes: dict[int, set[str]] = defaultdict(set)
    for offset in range(0, len(member_ids), LOOKUP_CHUNK):
        chunk = member_ids[offset : offset + LOOKUP_CHUNK]
        for item in FollowUp.objects.filter(member_id__in=chunk).values(
            "pk",
            "member_id",
            "visited_on",
            "disease_id",
            "place",
            "systolic",
            "diastolic",
            "fasting_glucose",
            "doctor_id",
        ):
            existing[(item["member_id"], item["visited_on"], item["disease_id"])] = item
        for item in Contract.objects.filter(member_id__in=chunk).values(
            "pk", "member_id", "valid_from", "valid_to", "terminated_on", "doctor_id"
        ):
            contracts[item["member_id"]].append(item)
        for member_id, code in MemberDisease.objects.filter(member_id__in=chunk).values_list(
            "member_id", "disease__code"
        ):
            codes[member_id].add(code)
    doctor_names: dict[str, set[int]] = {}
    if any(v["doctor"] for v in parsed.values()):
        teams = _scoped(DoctorTeam.objects, by)
        from django.contrib.auth import get_user_model

        doctor_names = _user_names(
            get_user_model()
            .objects.filter(Q(doctor_teams__in=teams) | Q(pk__in=teams.values("leader_id")))
            .distinct()
            .values_list("pk", "username", "first_name", "last_name")
        )

    creates: list[dict] = []
    updates: list[tuple[int, dict]] = []
    for row in sheet.rows:
        values = parsed[row.number]
        member = members.get(values["index"]) if values["index"] else None
        if values["index"] and member is None:
            rows.add(row, "id_number", _("No registered member in your area has this ID number."))
        doctor_id = None
        if values["doctor"]:
            matches = doctor_names.get(values["doctor"], set())
            if len(matches) != 1:
                rows.add(
                    row,
                    "doctor",
                    _("Unknown doctor “%(doctor)s”.") % {"doctor": values["doctor"]},
                )
            else:
                doctor_id = next(iter(matches))
        if not rows.ok(row) or member is None:
            continue
        visited_on = values["visited_on"]
        contract = max(
            (
                c
                for c in contracts[member["pk"]]
                if c["valid_from"] <= visited_on
                and min(c["valid_to"], c["terminated_on"] or c["valid_to"]) >= visited_on
            ),
            key=lambda c: c["valid_from"],
            default=None,
        )
        disease = values["disease"]
        member_codes = set(codes[member["pk"]])
        if disease is not None:
            member_codes.add(disease.code)
        wanted = {
            "place": values["place"],
            "systolic": values["systolic"],
            "diastolic": values["diastolic"],
            "fasting_glucose": values["fasting_glucose"],
            "doctor_id": doctor_id or (contract["doctor_id"] if contract else None),
        }
        control = control_status_for(
            disease_codes=member_codes,
            systolic=values["systolic"],
            diastolic=values["diastolic"],
            fasting_glucose=values["fasting_glucose"],
        )
        same = existing.get((member["pk"], visited_on, disease.pk if disease else None))
        if same is not None:
            if any(same[k] != v for k, v in wanted.items()):
                updates.append((same["pk"], {**wanted, "control_status": control}))
            else:
                result.unchanged += 1
            continue
        creates.append(
            {
                "member_id": member["pk"],
                "village": member["household__village_id"],
                "name": member["name"],
                "visited_on": visited_on,
                "disease_id": disease.pk if disease else None,
                "contract_id": contract["pk"] if contract else None,
                "control_status": control,
                **wanted,
            }
        )
    report(result.total, result.total)
    if _stops_before_writing(result, rows, sheet, creates, updates, skip_invalid, dry_run):
        return result

    with transaction.atomic():
        creator = by if getattr(by, "is_authenticated", False) else None
        objects = [
            FollowUp(
                created_by=creator,
                **{k: v for k, v in item.items() if k not in ("village", "name")},
            )
            for item in creates
        ]
        created = FollowUp.objects.bulk_create(objects, batch_size=2000)
        if updates:
            by_pk = {f.pk: f for f in FollowUp.objects.filter(pk__in=[pk for pk, _v in updates])}
            for pk, values in updates:
                for key, value in values.items():
                    setattr(by_pk[pk], key, value)
            FollowUp.objects.bulk_update(
                list(by_pk.values()),
                [
                    "place",
                    "systolic",
                    "diastolic",
                    "fasting_glucose",
                    "doctor_id",
                    "control_status",
                ],
                batch_size=2000,
            )
        _audit_created(
            "contracts.followup",
            zip(created, creates, strict=True),
            lambda follow_up: str(follow_up.visited_on),
            by,
        )
        result.created, result.updated = len(creates), len(updates)
        result.applied = True
        _import_audit(kind="followup", result=result, by=by, filename=filename or "")
        # Updates change measurements, not dates: only new visits move the figures.
        refresh_owed({follow_up.member_id for follow_up in created})  # and the versions
    return result


IMPORTERS = {"contracts": import_contracts, "followups": import_followups}
