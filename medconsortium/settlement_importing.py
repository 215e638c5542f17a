"""The settlement import (结算明细): a hospital's or county's settlement file in, encounters and
settlements out, on the shared import framework (:mod:`healthaid.importing`).

Only what is this import's own is here: its columns (the 15 headers of the file), its cell
normalisers (encounter type, money), its plan (members found by ID number through the blind
index in one bulk look-up per thousand numbers, institutions by the county's resolver, the
rules of a settlement, the user's scope) and its writer (H5's bulk upsert,
:func:`~medconsortium.settlement_services.encounter_settlements_upsert_bulk`).

Rules: an ID number not in the registry is a row error; a name that disagrees with the
registry's is a warning (姓名 may be empty); an unknown institution is a row error naming it;
hospital staff may import only their own institution's rows; parts that do not add up to the
total are refused with the difference named.  Re-importing the same file changes nothing (an
encounter is keyed by institution, member, type and dates); a corrected row updates its
settlement with an audit row.  All or nothing unless ``skip_invalid``; a dry run writes
nothing (it runs the write and rolls it back, so its counts are exact).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthaid.choices import Role
from healthaid.idnumbers import IDNumberError, blind_indexer, normalize_id_number
from healthaid.importing.bulk import chunks, collector_paused, filter_in
from healthaid.importing.normalize import CellError, is_blank, to_bool, to_date, to_text
from healthaid.importing.reader import ColumnSpec, FileRefused, ParsedSheet, open_table
from healthaid.importing.results import ImportOutcome, RowError, RowWarning
from healthaid.models import Institution, Region
from healthaid.scoping import get_profile, scope_prefix_within, user_role
from households.models import Member
from medconsortium.choices import EncounterKind
from medconsortium.models.settlements import FEN
from medconsortium.settlement_services import (
    InstitutionResolver,
    SettlementRow,
    encounter_settlements_upsert_bulk,
    format_fen,
    parts_error,
)

__all__ = ["SETTLEMENT_COLUMNS", "SettlementImportResult", "settlement_import"]

IMPORT_ROLES = frozenset({Role.COUNTY_STAFF, Role.HOSPITAL_STAFF})

# fmt: off
SETTLEMENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("institution", ("医疗机构",), True),
    ColumnSpec("kind", ("就诊类型",), True),
    ColumnSpec("name", ("姓名",)),
    ColumnSpec("id_number", ("证件号码",), True),
    ColumnSpec("admitted_on", ("入院日期",), True),
    ColumnSpec("discharged_on", ("出院日期",), True),
    ColumnSpec("total", ("总费用",), True),
    ColumnSpec("pooled", ("基本医保统筹支付",), True),
    ColumnSpec("critical_illness", ("大病保险",), True),
    ColumnSpec("assistance", ("医疗救助",), True),
    ColumnSpec("other", ("其他保障",), True),
    ColumnSpec("out_of_pocket", ("个人自付",), True),
    ColumnSpec("non_reimbursable", ("目录外费用",), True),
    ColumnSpec("one_stop", ("一站式结算",), True),
    ColumnSpec("treat_first_pay_later", ("先诊疗后付费",), True),
)
# fmt: on
LABELS = {spec.key: spec.label for spec in SETTLEMENT_COLUMNS}
MONEY_COLUMNS = (
    "total",
    "pooled",
    "critical_illness",
    "assistance",
    "other",
    "out_of_pocket",
    "non_reimbursable",
)
PARTS = ("pooled", "critical_illness", "assistance", "other", "out_of_pocket")

KINDS = {
    "门诊": EncounterKind.OUTPATIENT,
    "普通门诊": EncounterKind.OUTPATIENT,
    "门诊就诊": EncounterKind.OUTPATIENT,
    "门急诊": EncounterKind.OUTPATIENT,
    "outpatient": EncounterKind.OUTPATIENT,
    "住院": EncounterKind.INPATIENT,
    "住院治疗": EncounterKind.INPATIENT,
    "住院就诊": EncounterKind.INPATIENT,
    "inpatient": EncounterKind.INPATIENT,
}
_KIND_VALUES = {key: str(value.value) for key, value in KINDS.items()}
_OUTPATIENT = str(EncounterKind.OUTPATIENT.value)
_MONEY_DROP = str.maketrans("", "", ",，元¥￥ ")
_LIMIT = Decimal("1e12")


# --- cells --------------------------------------------------------------------------------------


def to_kind(value: Any) -> str:
    text = to_text(value)
    if not text:
        raise CellError(_("This cell must not be empty."), "required")
    kind = _KIND_VALUES.get(text) or _KIND_VALUES.get(text.lower())
    if kind is None:
        raise CellError(
            _("“%(value)s” is not an encounter type; enter 门诊 or 住院.") % {"value": text},
            "invalid_choice",
        )
    return kind


def to_money(value: Any) -> Decimal:
    """123, 123.4, "1,234.50", "123.45元" → Decimal with 2 places; blank → 0.00.

    Excel keeps money as binary floats: their shortest text (``repr``) is what the cell shows,
    so 0.1 + 0.2 typed as 0.3 stays 0.30.  More than 2 decimal places, negative amounts and
    absurd ones are refused.
    """
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not an amount of money.") % {"value": value})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = to_text(value).translate(_MONEY_DROP)
        if not text:
            return Decimal("0.00")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(
                _("“%(value)s” is not an amount of money.") % {"value": to_text(value)}
            ) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s” is not an amount of money.") % {"value": to_text(value)})
    if number < 0:
        raise CellError(_("The amount is negative."), "negative")
    if number >= _LIMIT:
        raise CellError(_("The amount is too large."), "too_large")
    rounded = number.quantize(FEN)
    if rounded != number:
        raise CellError(_("The amount has more than 2 decimal places (fen)."), "decimal_places")
    return rounded


def _memo(fn: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, CellError | None]]:
    cache: dict[tuple[type, Any], tuple[Any, CellError | None]] = {}

    def call(value: Any) -> tuple[Any, CellError | None]:
        key = (value.__class__, value)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = (fn(value), None)
            except CellError as exc:
                hit = (None, exc)
            cache[key] = hit
        return hit

    return call


def _mask(value: Any) -> str:
    text = "".join(to_text(value).split())
    if len(text) >= 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return "*" * len(text)


def _show(value: Any) -> str:
    text = to_text(value)
    return text if len(text) <= 100 else text[:99] + "…"


# --- result -------------------------------------------------------------------------------------


@dataclass
class SettlementImportResult(ImportOutcome):
    """The shared outcome plus this import's counts of encounters (each with its settlement)."""

    created: int = 0
    updated: int = 0
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
            "updated": self.updated,
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
        lines = [
            _("%(rows)d rows read (header in row %(header)d).")
            % {"rows": self.total_rows, "header": self.header_row},
            _(
                "Encounters and settlements: %(created)d created, %(updated)d corrected, "
                "%(unchanged)d unchanged, %(skipped)d skipped."
            )
            % {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "skipped": self.skipped,
            },
        ]
        if self.errors:
            lines.append(
                _("%(errors)d errors in %(rows)d rows.")
                % {"errors": len(self.errors), "rows": self.error_row_count}
            )
        if self.warnings:
            lines.append(_("%(count)d warnings.") % {"count": len(self.warnings)})
        return lines


# --- the import ---------------------------------------------------------------------------------


VALUE_KEYS = (
    "kind",
    "admitted_on",
    "discharged_on",
    *MONEY_COLUMNS,
    "one_stop",
    "treat_first_pay_later",
)
"""The order of a row's normalised values in :attr:`_Row.values`."""


@dataclass(slots=True)
class _Row:
    """One settlement row as normalised.  A prefecture's half-year file is 500,000 rows, all
    held until the plan is made: ``values`` is a tuple in :data:`VALUE_KEYS` order (a dict a
    row took some 650 bytes), kept only for rows without errors, and the texts that repeat
    (names, institutions, a person's index and masked number) are shared between rows."""

    number: int
    source: Any
    error: bool = False
    index: str = ""
    masked: str = ""
    name: str = ""
    institution_text: str = ""
    values: tuple[Any, ...] | None = None
    member: dict[str, Any] | None = None
    institution_id: int | None = None


class _Scope:
    """Who imports: the county the institutions and members are looked up in, and for
    hospital staff the one institution whose rows they may import."""

    def __init__(self, by) -> None:
        self.prefix = ""
        self.institution: Institution | None = None
        self.refusal = ""
        if by is None:  # an operator's command-line run: unscoped
            return
        role = user_role(by)
        if role not in IMPORT_ROLES:
            self.refusal = _("Your role may not import settlements.")
            return
        profile = get_profile(by)
        if role == Role.HOSPITAL_STAFF:
            self.institution = profile.institution if profile is not None else None
            if self.institution is None:
                self.refusal = _("Your account has no institution assigned.")
                return
            # A county hospital's patients are the county's; a prefecture hospital's, the
            # prefecture's (its region's prefix: 6 or 4 digits).
            self.prefix = self.institution.region.prefix[:6]
        else:
            prefix = scope_prefix_within(by)
            if prefix is None:
                self.refusal = _("Your account has no area assigned.")
                return
            self.prefix = prefix[:6]

    def resolver(self) -> InstitutionResolver:
        if self.prefix:
            return InstitutionResolver.for_county(self.prefix)
        counties = list(Region.objects.filter(level=6).values_list("name", flat=True))
        return InstitutionResolver.build(Institution.objects.order_by("code"), (), counties)


class SettlementImport:
    def __init__(self, sheet: ParsedSheet, *, by, result: SettlementImportResult, progress):
        self.sheet = sheet
        self.by = by
        self.scope = _Scope(by)
        self.result = result
        self.progress = progress
        self.rows: list[_Row] = []
        result.total_rows = len(sheet.rows)
        result.header_row = sheet.header_row_number
        result.header = list(sheet.header)
        result.extra_headers = list(sheet.extra_headers)

    def _error(self, row: _Row, key: str, value: str, message: str, code: str = "invalid"):
        self.result.errors.append(RowError(row.number, LABELS.get(key, key), value, message, code))
        row.error = True

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def normalise(self) -> None:
        """Every cell through the normalisers; no queries."""
        today = timezone.localdate()
        index_of = blind_indexer()
        kind_of = _memo(to_kind)
        date_of = _memo(to_date)
        money_of = _memo(to_money)
        flag_of = _memo(to_bool)
        error = self._error
        people: dict[Any, tuple[tuple[str, str] | None, IDNumberError | None]] = {}
        share = {}.setdefault  # equal texts, one object
        total = len(self.sheet.rows)
        for done, source in enumerate(self.sheet.rows, start=1):
            cells = source.cells
            # The row as read is not kept (rejected rows are read again for the error file).
            row = _Row(source.number, None)
            self.rows.append(row)
            values: dict[str, Any] = {}

            text = to_text(cells.get("institution"))
            if not text:
                error(row, "institution", "", _("This cell must not be empty."), "required")
            row.institution_text = share(text, text)

            raw = cells.get("kind")
            values["kind"], exc = kind_of(raw)
            if exc is not None:
                error(row, "kind", _show(raw), exc.message, exc.code)

            name = to_text(cells.get("name"))
            row.name = share(name, name)

            raw = cells.get("id_number")
            if is_blank(raw):
                error(row, "id_number", "", _("This cell must not be empty."), "required")
            else:
                # A half-year file names each person several times: one check per number.
                found = people.get(raw)
                if found is None:
                    try:
                        canonical = normalize_id_number(raw, today=today)
                    except IDNumberError as exc:
                        found = people[raw] = (None, exc)
                    else:
                        masked = f"{canonical[:6]}********{canonical[14:]}"
                        found = people[raw] = ((index_of(canonical), masked), None)
                value, exc = found
                if exc is not None:
                    error(row, "id_number", _mask(raw), exc.message, f"id_{exc.code}")
                else:
                    row.index, row.masked = value

            for key in ("admitted_on", "discharged_on"):
                raw = cells.get(key)
                values[key] = None
                if is_blank(raw):
                    # An outpatient visit has one date: 出院日期 may be left empty.
                    if key == "admitted_on" or values["kind"] != _OUTPATIENT:
                        error(row, key, "", _("This cell must not be empty."), "required")
                    continue
                value, exc = date_of(raw)
                if exc is not None:
                    error(row, key, _show(raw), exc.message, exc.code)
                values[key] = value
            if values["discharged_on"] is None and values["kind"] == _OUTPATIENT:
                values["discharged_on"] = values["admitted_on"]

            for key in MONEY_COLUMNS:
                raw = cells.get(key)
                values[key], exc = money_of(raw)
                if exc is not None:
                    error(row, key, _show(raw), exc.message, exc.code)
            if is_blank(cells.get("total")):
                error(row, "total", "", _("This cell must not be empty."), "required")

            for key in ("one_stop", "treat_first_pay_later"):
                raw = cells.get(key)
                value, exc = flag_of(raw)
                if exc is not None:
                    error(row, key, _show(raw), exc.message, exc.code)
                values[key] = bool(value)

            if not row.error:
                self._check_rules(row, values)
            if not row.error:
                row.values = tuple([values[key] for key in VALUE_KEYS])
            if done % 1000 == 0:
                self._report(done, total)
        self._report(total, total)

    def _check_rules(self, row: _Row, values: dict[str, Any]) -> None:
        """A settlement's own rules: dates in order, one date for a visit, parts adding up."""
        admitted, discharged = values["admitted_on"], values["discharged_on"]
        if discharged < admitted:
            self._error(
                row,
                "discharged_on",
                discharged.isoformat(),
                _("The discharge date is before the admission date."),
                "date_order",
            )
        elif values["kind"] == _OUTPATIENT and discharged != admitted:
            self._error(
                row,
                "discharged_on",
                discharged.isoformat(),
                _("An outpatient visit has one date: admission and discharge must agree."),
                "outpatient_dates",
            )
        total = values["total"]
        if sum(values[key] for key in PARTS) != total:
            message = parts_error(total, {key: values[key] for key in PARTS})
            self._error(row, "total", format_fen(total), message, "parts")
        if values["non_reimbursable"] > total:
            self._error(
                row,
                "non_reimbursable",
                format_fen(values["non_reimbursable"]),
                _("The non-reimbursable cost is larger than the total."),
                "non_reimbursable",
            )

    def plan(self) -> list[SettlementRow]:
        """Members in bulk by blind index, institutions by the resolver, scope, duplicates."""
        members = self._members()
        resolver = self.scope.resolver()
        resolved: dict[str, Institution | None] = {}
        own = self.scope.institution
        planned: list[SettlementRow] = []
        seen: dict[tuple, int] = {}
        for row in self.rows:
            if row.index:
                member = members.get(row.index)
                if member is None:
                    self._error(
                        row,
                        "id_number",
                        row.masked,
                        _("No member of the registry has this ID number."),
                        "unknown_member",
                    )
                elif row.name and to_text(member["name"]) != row.name:
                    self.result.warnings.append(
                        RowWarning(
                            row.number,
                            LABELS["name"],
                            row.name,
                            _(
                                "The name differs from the registry's for this ID number; the "
                                "ID number is used."
                            ),
                            "name_mismatch",
                        )
                    )
                row.member = member
            if row.institution_text:
                if row.institution_text not in resolved:
                    resolved[row.institution_text] = resolver.resolve(row.institution_text)
                institution = resolved[row.institution_text]
                if institution is None:
                    self._error(
                        row,
                        "institution",
                        row.institution_text,
                        resolver.why_not(row.institution_text),
                        "unknown_institution",
                    )
                elif own is not None and institution.pk != own.pk:
                    self._error(
                        row,
                        "institution",
                        row.institution_text,
                        _("You may import only the rows of your own institution, %(own)s.")
                        % {"own": own.name},
                        "other_institution",
                    )
                else:
                    row.institution_id = institution.pk
            if row.error:
                continue
            values = dict(zip(VALUE_KEYS, row.values, strict=True))
            row.values = None  # now the settlement's: not held twice
            settlement = SettlementRow(
                member_id=row.member["id"],
                institution_id=row.institution_id,
                kind=values["kind"],
                admitted_on=values["admitted_on"],
                discharged_on=values["discharged_on"],
                total=values["total"],
                pooled=values["pooled"],
                critical_illness=values["critical_illness"],
                assistance=values["assistance"],
                other=values["other"],
                out_of_pocket=values["out_of_pocket"],
                non_reimbursable=values["non_reimbursable"],
                one_stop=values["one_stop"],
                treat_first_pay_later=values["treat_first_pay_later"],
                settled_on=values["discharged_on"],
                village_id=row.member["village"],
            )
            first = seen.get(settlement.key)
            if first is not None:
                self._error(
                    row,
                    "id_number",
                    row.masked,
                    _(
                        "The same encounter (institution, person, type and dates) is also in "
                        "row %(row)d."
                    )
                    % {"row": first},
                    "duplicate",
                )
                continue
            seen[settlement.key] = row.number
            planned.append(settlement)
        self._finish_report()
        return planned

    def _members(self) -> dict[str, dict[str, Any]]:
        indexes = sorted({row.index for row in self.rows if row.index})
        queryset = Member.objects.all()
        if self.scope.prefix:
            queryset = queryset.filter(household__village__code__startswith=self.scope.prefix)
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(indexes):
            for pk, index, name, village in filter_in(
                queryset, "id_number_index", chunk
            ).values_list("id", "id_number_index", "name", "household__village_id"):
                found[index] = {"id": pk, "name": name, "village": village}
        return found

    def _finish_report(self) -> None:
        result = self.result
        result.errors.sort(key=lambda e: e.row)
        result.warnings.sort(key=lambda w: w.row)
        by_row: dict[int, list[RowError]] = {}
        for error in result.errors:
            by_row.setdefault(error.row, []).append(error)
        rejected = []
        for row in self.rows:
            errors = by_row.get(row.number)
            if errors:
                rejected.append((row.number, "; ".join(f"{e.column}: {e.message}" for e in errors)))
        if rejected:
            raw = self.sheet.rows.raw_rows(number for number, _m in rejected)
            result.rejected_rows.extend((number, raw[number], m) for number, m in rejected)
        result.skipped = len(by_row)


def _refuse(result: SettlementImportResult, message: str, code: str) -> SettlementImportResult:
    result.file_error, result.file_error_code = message, code
    return result


def settlement_import(
    *,
    source: bytes | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    by,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SettlementImportResult:
    """Import a settlement file (xlsx, xls or csv): all or nothing unless ``skip_invalid``.

    ``by`` is the user who imports (``None`` for an operator's command-line run, unscoped):
    county staff within their county, hospital staff their own institution's rows only.
    """
    from django.conf import settings

    name = os.path.basename(os.fspath(filename or getattr(source, "name", "") or ""))
    result = SettlementImportResult(filename=name, dry_run=dry_run, skip_invalid=skip_invalid)
    scope = _Scope(by)
    if scope.refusal:
        return _refuse(result, scope.refusal, "forbidden")
    with collector_paused():
        try:
            # Streamed: rows are checked as they are read (see open_table).
            sheet = open_table(
                source, filename, SETTLEMENT_COLUMNS, max_bytes=settings.ROSTER_MAX_BYTES
            )
        except FileRefused as exc:
            return _refuse(result, exc.message, exc.code)
        job = SettlementImport(sheet, by=by, result=result, progress=progress)
        try:
            job.normalise()
        except FileRefused as exc:  # a workbook that breaks off mid-way
            return _refuse(result, exc.message, exc.code)
        result.total_rows = len(job.rows)
        planned = job.plan()
        if result.errors and not skip_invalid and not dry_run:
            return result
        # The rows as normalised are not needed to write (errors, warnings and the rejected
        # rows are in the result): 500,000 of them are 60 MB.
        job.rows = []
        message = _("Imported from %(file)s") % {"file": name} if name else ""
        with transaction.atomic():
            # Every rule was checked above, with the cells named: not checked twice.
            done = encounter_settlements_upsert_bulk(
                rows=planned, by=by, message=message, checked=True
            )
            if dry_run:
                transaction.set_rollback(True)
        result.created = len(done.created)
        result.updated = len(done.updated)
        result.unchanged = len(done.unchanged)
        result.applied = not dry_run
        return result


def error_file_name(input_name: str) -> str:
    stem = os.path.splitext(os.path.basename(input_name or ""))[0] or "settlements"
    return _("%(name)s-rows-with-errors.xlsx") % {"name": stem}
