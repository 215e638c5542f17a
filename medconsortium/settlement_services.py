"""Writes of encounters and settlements, and the institution resolver the imports use.

Two writers share one set of rules (:func:`settlement_row_errors`):

* :func:`encounter_settlement_upsert` writes one row through the ORM, with an audit row per
  created or changed record (the API and the pages use it);
* :func:`encounter_settlements_upsert_bulk` writes a validated file's rows in batches for the
  settlement import: one read of the encounters already held for the file's institutions and
  period, then plain multi-row INSERTs and a few UPDATEs.

Both are idempotent: an encounter is keyed by (institution, member, kind, admitted on,
discharged on), so re-importing the same data changes nothing, and a corrected row updates
its settlement and writes an audit row with the fields that changed (in the same transaction).
"""

from __future__ import annotations

import datetime
import operator
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services import EditTarget, guard_edit, guard_edits
from healthaid import audit
from healthaid.choices import AuditAction
from healthaid.importing.bulk import BulkTable
from healthaid.models import Institution, Region
from healthaid.scoping import ancestor_codes
from households.models import Member
from medconsortium import settlement_selectors
from medconsortium.choices import EncounterKind
from medconsortium.models import Encounter, InstitutionAlias, Settlement, SettlementPolicy
from medconsortium.models.settlements import FEN, MONEY_PARTS, parts_difference

__all__ = [
    "SETTLEMENT_FIELDS",
    "InstitutionResolver",
    "SettlementRow",
    "SettlementRowError",
    "UpsertResult",
    "encounter_settlement_upsert",
    "encounter_settlements_upsert_bulk",
    "institution_alias_create",
    "institution_alias_delete",
    "settlement_row_errors",
]

# The settlement's own values, compared on re-import and written on correction.
SETTLEMENT_FIELDS: tuple[str, ...] = (
    "total",
    *MONEY_PARTS,
    "non_reimbursable",
    "one_stop",
    "treat_first_pay_later",
    "settled_on",
)
MONEY_FIELDS: tuple[str, ...] = ("total", *MONEY_PARTS, "non_reimbursable")
_settlement_values_of = operator.attrgetter(*SETTLEMENT_FIELDS)
"""A row's (or a settlement's) values of ``SETTLEMENT_FIELDS``, as a tuple, picked in C."""


# ---------------------------------------------------------------------------------------------
# Rows and their rules
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SettlementRow:
    """One validated encounter with its settlement, keyed by ids (the import resolved them).

    ``village_id`` is the member's village; the bulk writer looks up the ones left empty.
    """

    member_id: int
    institution_id: int
    kind: str
    admitted_on: datetime.date
    discharged_on: datetime.date
    total: Decimal
    pooled: Decimal = Decimal("0.00")
    critical_illness: Decimal = Decimal("0.00")
    assistance: Decimal = Decimal("0.00")
    other: Decimal = Decimal("0.00")
    out_of_pocket: Decimal = Decimal("0.00")
    non_reimbursable: Decimal = Decimal("0.00")
    one_stop: bool = False
    treat_first_pay_later: bool = False
    settled_on: datetime.date | None = None
    diagnosis_id: int | None = None
    village_id: str | None = None

    @property
    def key(self) -> tuple:
        return (
            self.institution_id,
            self.member_id,
            self.kind,
            self.admitted_on,
            self.discharged_on,
        )

    def settlement_values(self) -> tuple:
        return _settlement_values_of(self)


class SettlementRowError(ValueError):
    """A row that breaks the settlement rules; ``errors`` lists every reason."""

    def __init__(self, errors: Sequence[str], *, index: int | None = None) -> None:
        self.errors = list(errors)
        self.index = index
        where = f"row {index}: " if index is not None else ""
        super().__init__(where + "; ".join(self.errors))


def format_fen(value: Decimal) -> str:
    return f"{value.quantize(FEN):,.2f}"


def parts_error(total: Decimal, parts: dict[str, Decimal]) -> str | None:
    """The refusal for parts that do not add up to the total, naming the difference."""
    difference = parts_difference(total, parts)
    if not difference:
        return None
    summed = total - difference
    return _(
        "the parts add up to %(sum)s yuan but the total is %(total)s yuan "
        "(difference %(difference)s yuan)"
    ) % {
        "sum": format_fen(summed),
        "total": format_fen(total),
        "difference": format_fen(difference),
    }


def settlement_row_errors(row: SettlementRow) -> list[str]:
    """Every rule ``row`` breaks, as sentences for the user; empty when it may be written."""
    errors: list[str] = []
    if row.kind not in EncounterKind.values:
        errors.append(_("unknown encounter type %(kind)r") % {"kind": row.kind})
    if row.discharged_on < row.admitted_on:
        errors.append(_("the discharge date is before the admission date"))
    elif row.kind == EncounterKind.OUTPATIENT and row.discharged_on != row.admitted_on:
        errors.append(_("an outpatient visit has one date: admission and discharge must agree"))
    for name in MONEY_FIELDS:
        value = getattr(row, name)
        if value != value.quantize(FEN):
            errors.append(
                _("%(field)s has more than 2 decimal places: %(value)s")
                % {"field": Settlement._meta.get_field(name).verbose_name, "value": value}
            )
        if value < 0:
            errors.append(
                _("%(field)s is negative: %(value)s")
                % {"field": Settlement._meta.get_field(name).verbose_name, "value": value}
            )
        if abs(value) >= Decimal("1e12"):
            errors.append(
                _("%(field)s is too large: %(value)s")
                % {"field": Settlement._meta.get_field(name).verbose_name, "value": value}
            )
    message = parts_error(row.total, {name: getattr(row, name) for name in MONEY_PARTS})
    if message:
        errors.append(message)
    if row.non_reimbursable > row.total:
        errors.append(
            _("the non-reimbursable cost %(nr)s yuan exceeds the total %(total)s yuan")
            % {"nr": format_fen(row.non_reimbursable), "total": format_fen(row.total)}
        )
    return errors


_ZERO = Decimal("0.00")
_LIMIT = Decimal("1e12")
_KINDS = frozenset(EncounterKind.values)


def _plainly_valid(row: SettlementRow) -> bool:
    """The rules of :func:`settlement_row_errors` without building messages (the bulk path:
    a few µs a row where composing the sentences costs 50)."""
    total = row.total
    amounts = (
        total,
        row.pooled,
        row.critical_illness,
        row.assistance,
        row.other,
        row.out_of_pocket,
        row.non_reimbursable,
    )
    for value in amounts:
        if value < _ZERO or value >= _LIMIT or value != value.quantize(FEN):
            return False
    if row.pooled + row.critical_illness + row.assistance + row.other + row.out_of_pocket != total:
        return False
    if row.non_reimbursable > total or row.kind not in _KINDS:
        return False
    if row.kind == EncounterKind.OUTPATIENT:
        return row.admitted_on == row.discharged_on
    return row.discharged_on >= row.admitted_on


def _check(rows: Sequence[SettlementRow]) -> None:
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        errors = [] if _plainly_valid(row) else settlement_row_errors(row)
        if row.key in seen:
            errors.append(
                _("the same encounter as row %(other)d (institution, member, type and dates)")
                % {"other": seen[row.key]}
            )
        if errors:
            raise SettlementRowError(errors, index=index)
        seen[row.key] = index


# ---------------------------------------------------------------------------------------------
# One row, through the ORM
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def encounter_settlement_upsert(*, row: SettlementRow, by) -> tuple[Settlement, str]:
    """Create or correct one encounter and its settlement; returns it and what happened.

    What happened is ``"created"``, ``"updated"`` (an audit row names the changed fields)
    or ``"unchanged"``.  Raises :class:`SettlementRowError` for a row that breaks the rules.
    """
    _check([row])
    village_id = (
        row.village_id
        or (
            Member.objects.filter(pk=row.member_id).values_list("household__village_id", flat=True)
        ).get()
    )
    encounter = (
        Encounter.objects.select_for_update()
        .filter(
            institution_id=row.institution_id,
            member_id=row.member_id,
            kind=row.kind,
            admitted_on=row.admitted_on,
            discharged_on=row.discharged_on,
        )
        .first()
    )
    if encounter is None:
        encounter = Encounter.objects.create(
            member_id=row.member_id,
            institution_id=row.institution_id,
            kind=row.kind,
            admitted_on=row.admitted_on,
            discharged_on=row.discharged_on,
            diagnosis_id=row.diagnosis_id,
            village_id=village_id,
            created_by=_user(by),
        )
        settlement = Settlement.objects.create(
            encounter=encounter,
            created_by=_user(by),
            **{name: getattr(row, name) for name in SETTLEMENT_FIELDS},
        )
        audit.record_create(encounter, by=by)
        audit.record_create(settlement, by=by)
        guard_edit(
            by,
            institution_id=row.institution_id,
            on=row.discharged_on,
            record=settlement,
            action="create",
        )
        return settlement, "created"

    changed = False
    before = audit.snapshot(encounter)
    if (row.diagnosis_id is not None and encounter.diagnosis_id != row.diagnosis_id) or (
        encounter.village_id != village_id
    ):
        if row.diagnosis_id is not None:
            encounter.diagnosis_id = row.diagnosis_id
        encounter.village_id = village_id
        encounter.save(update_fields=["diagnosis", "village", "updated_at"])
        audit.record_update(encounter, before, by=by)
        changed = True
    settlement = Settlement.objects.filter(encounter=encounter).first()
    if settlement is None:
        settlement = Settlement.objects.create(
            encounter=encounter,
            created_by=_user(by),
            **{name: getattr(row, name) for name in SETTLEMENT_FIELDS},
        )
        audit.record_create(settlement, by=by)
        guard_edit(
            by,
            institution_id=row.institution_id,
            on=row.discharged_on,
            record=settlement,
            action="create",
        )
        return settlement, "created"
    settlement.encounter = encounter
    if _settlement_values(settlement) != row.settlement_values():
        before = audit.snapshot(settlement)
        for name in SETTLEMENT_FIELDS:
            setattr(settlement, name, getattr(row, name))
        settlement.save(update_fields=[*SETTLEMENT_FIELDS, "updated_at"])
        audit.record_update(settlement, before, by=by, message=_("settlement corrected"))
        changed = True
    if changed:
        guard_edit(by, institution_id=row.institution_id, on=row.discharged_on, record=settlement)
    return settlement, "updated" if changed else "unchanged"


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def _settlement_values(settlement: Settlement) -> tuple:
    return tuple(_normal(name, getattr(settlement, name)) for name in SETTLEMENT_FIELDS)


def _normal(name: str, value):
    """A stored value as the row carries it (SQLite hands decimals back as floats' text)."""
    if name in MONEY_FIELDS:
        return Decimal(value).quantize(FEN)
    return value


# ---------------------------------------------------------------------------------------------
# Many rows, for the import
# ---------------------------------------------------------------------------------------------


@dataclass
class UpsertResult:
    """What a bulk upsert did: counts, and the index of each row by outcome."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


BATCH_SIZE = 2000
GUARD_BATCH = 50_000
"""Rows checked against approved periods at a time (``guard_edits``: a query each)."""
_ENCOUNTER_COLUMNS = (
    "created_at",
    "updated_at",
    "created_by_id",
    "member_id",
    "institution_id",
    "kind",
    "admitted_on",
    "discharged_on",
    "diagnosis_id",
    "village_id",
)
_encounter_values_of = operator.attrgetter(*_ENCOUNTER_COLUMNS[3:])
"""A row's values of the encounter's columns after the timestamps and creator."""
_SETTLEMENT_COLUMNS = (
    "encounter_id",
    "created_at",
    "updated_at",
    "created_by_id",
    *SETTLEMENT_FIELDS,
)


@transaction.atomic
def encounter_settlements_upsert_bulk(
    *,
    rows: Sequence[SettlementRow],
    by,
    batch_size: int = BATCH_SIZE,
    message: str = "",
    checked: bool = False,
) -> UpsertResult:
    """Write a file's validated rows: new encounters created, corrected settlements updated.

    All or nothing (one transaction).  Raises :class:`SettlementRowError` naming the first
    row that breaks the rules or repeats another's encounter; ``checked`` says the caller has
    already refused such rows (the settlement import does, cell by cell, with row numbers),
    so they are not checked twice.  Audit: one row per corrected settlement or encounter
    (fields before and after), and one import row summing up what was created (each created
    record carries ``created_by``).

    Queries: one read of the encounters already held for the file's institutions and
    period (streamed, and compared with the rows as it comes: :func:`_compare_held`), the
    members' villages where the rows did not carry them, the new encounters'
    keys reserved, then per batch of ``batch_size`` the encounters and their settlements
    (COPY on PostgreSQL, ``executemany`` on SQLite); corrections go through ``bulk_update``.
    """
    rows = list(rows)
    result = UpsertResult()
    if not rows:
        return result
    if not checked:
        _check(rows)
    now = timezone.now()
    stamp = _db_now(now)
    user = _user(by)
    user_id = user.pk if user is not None else None
    _fill_villages(rows)

    states, differing = _compare_held(rows)
    new_rows: list[tuple[int, SettlementRow]] = []
    settlement_updates: list[tuple[int, int, dict, dict]] = []
    encounter_updates: list[tuple[int, str, int | None, dict, dict]] = []
    missing_settlements: list[tuple[int, int]] = []
    for index, row in enumerate(rows):
        state = states[index]
        if state == _NEW:
            new_rows.append((index, row))
            continue
        if state == _SAME:
            result.unchanged.append(index)
            continue
        encounter_id, village_id, diagnosis_id, values = differing.pop(index)
        changed = False
        diagnosis = row.diagnosis_id if row.diagnosis_id is not None else diagnosis_id
        if village_id != row.village_id or diagnosis != diagnosis_id:
            encounter_updates.append(
                (
                    encounter_id,
                    row.village_id,
                    diagnosis,
                    {"village_id": village_id, "diagnosis_id": diagnosis_id},
                    {"village_id": row.village_id, "diagnosis_id": diagnosis},
                )
            )
            changed = True
        if values is None:
            missing_settlements.append((encounter_id, index))
            result.created.append(index)
            continue
        wanted = row.settlement_values()
        if values != wanted:
            changes = [
                (n, v, w)
                for n, v, w in zip(SETTLEMENT_FIELDS, values, wanted, strict=True)
                if v != w
            ]
            before = {n: v for n, v, _w in changes}
            after = {n: w for n, _v, w in changes}
            settlement_updates.append((index, encounter_id, before, after))
            changed = True
        (result.updated if changed else result.unchanged).append(index)

    # Approved periods: the rows written, in row order, GUARD_BATCH at a time (an EditTarget
    # and its key cost some 430 bytes: 215 MB for a prefecture's 500,000 new rows at once).
    written = bytearray(len(rows))
    for i, _r in new_rows:
        written[i] = 1
    for i in result.updated:
        written[i] = 1
    for _e, i in missing_settlements:
        written[i] = 1
    at = written.find(1)
    while at != -1:
        targets = []
        while at != -1 and len(targets) < GUARD_BATCH:
            row = rows[at]
            targets.append(
                EditTarget(
                    on=row.discharged_on,
                    record=row.key,
                    institution_id=row.institution_id,
                    target_type="medconsortium.settlement",
                )
            )
            at = written.find(1, at + 1)
        guard_edits(by, targets)
    entries = []
    postgres = connection.vendor == "postgresql"
    # The new encounters' keys are reserved up front, so nothing is read back: PostgreSQL's
    # from their sequence in one query, SQLite's after the highest ever used (the import's
    # transaction holds SQLite's one write lock).  Then PostgreSQL streams both tables with
    # COPY (a multi-row INSERT of 2,000 rows spent 0.5 s in the driver splitting its 20,000
    # placeholders: 1,300 rows/s) and SQLite binds the rows in C with ``executemany``: its
    # multi-row INSERT … RETURNING of 2,000 rows cost Django a regex pass over each 200 kB
    # statement (0.6 s of a 50,000-row import under cProfile).  Most of SQLite's write is
    # its own work either way: the encounter's eight indexes and six foreign keys a row.
    if not new_rows:
        reserved = []
    elif postgres:
        reserved = _reserve_ids(Encounter, len(new_rows))
    else:
        reserved = BulkTable(Encounter, now).allocate_ids(len(new_rows))
    for start in range(0, len(new_rows), batch_size):
        batch = new_rows[start : start + batch_size]
        ids = reserved[start : start + batch_size]
        encounters = [
            (pk, stamp, stamp, user_id, *_encounter_values_of(row))
            for pk, (_index, row) in zip(ids, batch, strict=True)
        ]
        settlements = [
            (pk, stamp, stamp, user_id, *_settlement_values_of(row))
            for pk, (_index, row) in zip(ids, batch, strict=True)
        ]
        write = _copy if postgres else _insert
        write(Encounter, ("id", *_ENCOUNTER_COLUMNS), encounters)
        write(Settlement, _SETTLEMENT_COLUMNS, settlements)
        result.created.extend(index for index, _row in batch)
    if missing_settlements:
        _insert(
            Settlement,
            _SETTLEMENT_COLUMNS,
            [
                (encounter_id, stamp, stamp, user_id, *rows[index].settlement_values())
                for encounter_id, index in missing_settlements
            ],
        )

    if encounter_updates:
        objects = [
            Encounter(pk=pk, village_id=village, diagnosis_id=diagnosis, updated_at=now)
            for pk, village, diagnosis, _b, _a in encounter_updates
        ]
        Encounter.objects.bulk_update(
            objects, ["village_id", "diagnosis_id", "updated_at"], batch_size=batch_size
        )
        for pk, village, _d, before, after in encounter_updates:
            entries.append(
                audit.build(
                    action=AuditAction.UPDATE,
                    by=by,
                    target_type=Encounter._meta.label_lower,
                    target_id=pk,
                    target_repr=str(pk),
                    before=audit._jsonable(before),
                    after=audit._jsonable(after),
                    message=message,
                    region_code=village,
                )
            )
    if settlement_updates:
        objects = []
        for index, encounter_id, before, after in settlement_updates:
            row = rows[index]
            objects.append(
                Settlement(
                    encounter_id=encounter_id,
                    updated_at=now,
                    **{name: getattr(row, name) for name in SETTLEMENT_FIELDS},
                )
            )
            entries.append(
                audit.build(
                    action=AuditAction.UPDATE,
                    by=by,
                    target_type=Settlement._meta.label_lower,
                    target_id=encounter_id,
                    target_repr=f"{encounter_id}: {row.total}",
                    before=audit._jsonable(before),
                    after=audit._jsonable(after),
                    message=message or _("settlement corrected"),
                    region_code=row.village_id or "",
                )
            )
        Settlement.objects.bulk_update(
            objects, [*SETTLEMENT_FIELDS, "updated_at"], batch_size=batch_size
        )
    if result.created:
        counties = sorted({rows[i].village_id[:6] for i in result.created})
        entries.append(
            audit.build(
                action=AuditAction.IMPORT,
                by=by,
                target_type=Settlement._meta.label_lower,
                target_repr=_("%(count)d encounters and settlements")
                % {"count": len(result.created)},
                after={"created": len(result.created), "updated": len(result.updated)},
                message=message,
                region_code=counties[0].ljust(12, "0") if len(counties) == 1 else "",
            )
        )
    if entries:
        audit.record_many(entries)
    if result.created or result.updated:
        # Written without saving models: no receiver sees it (see settlement_selectors).
        settlement_selectors.figures_changed()
    return result


def _fill_villages(rows: list[SettlementRow]) -> None:
    missing = {row.member_id for row in rows if not row.village_id}
    if not missing:
        return
    villages: dict[int, str] = {}
    ids = sorted(missing)
    for start in range(0, len(ids), 5000):
        villages.update(
            Member.objects.filter(pk__in=ids[start : start + 5000]).values_list(
                "pk", "household__village_id"
            )
        )
    for row in rows:
        if not row.village_id:
            try:
                row.village_id = villages[row.member_id]
            except KeyError:
                raise SettlementRowError(
                    [_("no member with id %(id)s") % {"id": row.member_id}]
                ) from None


_NEW, _SAME, _DIFFERS = 0, 1, 2
"""A row's state against the encounters held: none held for its key, held and the same
(encounter and settlement), held and something differs (or no settlement yet)."""


def _compare_held(rows: Sequence[SettlementRow]) -> tuple[bytearray, dict[int, tuple]]:
    """The rows compared with the encounters already held for their institutions and period.

    One query (a range over ``encounter_institution_period``), read in chunks as the rows are
    compared with it: a state a row (``_NEW``, ``_SAME``, ``_DIFFERS``) and, for the rows
    that differ, what is held for them (the encounter's id, village and diagnosis, and the
    settlement's values or None).  Keys that the rows do not carry are read and dropped,
    which costs less than a look-up per row.  A prefecture re-importing its 500,000 rows
    held them all as tuples of Decimals (1.1 GB); the rows' keys, packed in one integer
    each (:func:`_key_packer`), are what is held now.
    """
    states = bytearray(len(rows))  # _NEW
    if not rows:
        return states, {}
    pack, kinds = _key_packer()
    by_institution: dict[int, dict[int, int]] = {}
    repeated: dict[tuple[int, int], list[int]] = {}
    for index, row in enumerate(rows):
        keys = by_institution.setdefault(row.institution_id, {})
        key = pack(row.member_id, kinds(row.kind), row.admitted_on, row.discharged_on)
        first = keys.setdefault(key, index)
        if first != index:  # refused by _check unless the caller checked: compared alike
            repeated.setdefault((row.institution_id, key), []).append(index)
    first_day = min(row.discharged_on for row in rows)
    last_day = max(row.discharged_on for row in rows)
    queryset = Encounter.objects.filter(
        institution_id__in=sorted(by_institution),
        discharged_on__gte=first_day,
        discharged_on__lte=last_day,
    ).order_by()
    value_fields = [f"settlement__{name}" for name in SETTLEMENT_FIELDS]
    differing: dict[int, tuple] = {}
    held_rows = queryset.values_list(
        "institution_id",
        "member_id",
        "kind",
        "admitted_on",
        "discharged_on",
        "pk",
        "village_id",
        "diagnosis_id",
        "settlement__encounter_id",
        *value_fields,
    ).iterator(chunk_size=BATCH_SIZE)
    for values in held_rows:
        institution_id, member_id, kind, admitted_on, discharged_on = values[:5]
        keys = by_institution.get(institution_id)
        if keys is None:
            continue
        key = pack(member_id, kinds(kind), admitted_on, discharged_on)
        index = keys.get(key)
        if index is None:
            continue
        # Compared as they come: both backends hand decimals back as Decimal with 2 places
        # (PostgreSQL's numeric, Django's SQLite converter), equal to the row's when equal.
        settlement = values[9:] if values[8] is not None else None
        held = (values[5], values[6], values[7], settlement)
        for at in (index, *repeated.get((institution_id, key), ())):
            row = rows[at]
            diagnosis = row.diagnosis_id if row.diagnosis_id is not None else held[2]
            if (
                settlement is None
                or held[1] != row.village_id
                or diagnosis != held[2]
                or settlement != row.settlement_values()
            ):
                states[at] = _DIFFERS
                differing[at] = held
            else:
                states[at] = _SAME
    return states, differing


def _key_packer():
    """An encounter's natural key within its institution as one integer (the member's id,
    the kind's number, the two dates' ordinals), and the kinds numbered as met."""
    numbers: dict[str, int] = {}

    def kinds(kind: str) -> int:
        number = numbers.get(kind)
        if number is None:
            number = numbers[kind] = len(numbers)
            if number > 255:  # two kinds are known (EncounterKind)
                raise ValueError(f"more than 256 encounter kinds: {kind!r}")
        return number

    def pack(member_id: int, kind: int, admitted_on, discharged_on) -> int:
        # Ordinals are under 2**22 (the year 9999): every key is its own integer.
        key = (member_id << 8 | kind) << 22 | admitted_on.toordinal()
        return key << 22 | discharged_on.toordinal()

    return pack, kinds


def _insert(model, columns: Sequence[str], values: list[tuple]) -> None:
    """The rows in one ``executemany`` of a one-row INSERT: the driver binds them in C.

    Why not ``bulk_create``: Django compiles each value of a bulk INSERT in Python (about
    5 µs a value, measured for the roster import), a third of a 50,000-row import's time.
    The values are the ones ``bulk_create`` would send: dates and decimals are adapted by both
    drivers (Django registers the SQLite adapters); the callers pass the one timestamp through
    the backend's own adapter once (:func:`_db_now`).
    """
    if not values:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    names = [
        meta.pk.column if c == "id" else meta.get_field(_field_name(c)).column for c in columns
    ]
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(n) for n in names)}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _db_now(now: datetime.datetime):
    """The timestamp as the backend stores it (SQLite: naive UTC text), adapted once."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(now)
    return now


def _reserve_ids(model, count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence (PostgreSQL), in one query."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model, columns: Sequence[str], values: list[tuple]) -> None:
    """Rows streamed into the table with ``COPY … FROM STDIN`` (PostgreSQL; psycopg adapts
    dates, decimals and datetimes)."""
    if not values:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    names = [
        meta.pk.column if c == "id" else meta.get_field(_field_name(c)).column for c in columns
    ]
    sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(n) for n in names)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)


def _field_name(column: str) -> str:
    return column[:-3] if column.endswith("_id") and column != "encounter_id" else column


# ---------------------------------------------------------------------------------------------
# Institutions, as settlement files name them
# ---------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_TOWNSHIP_CENTRE = re.compile(r"^(?P<stem>.+?)(?:镇|乡|街道)?(?:中心)?卫生院$")
_TOWNSHIP_SUFFIX = re.compile(r"(?:镇|乡|街道|民族乡|彝族乡)$")


def normalize_institution_name(text: str) -> str:
    """Full-width to half-width, no spaces, upper case: what two spellings are compared as."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return _SPACE.sub("", text).upper()


def _township_stem(name: str) -> str | None:
    """老城乡卫生院, 老城卫生院, 老城乡中心卫生院, 老城镇卫生院 → 老城; None if not a 卫生院."""
    match = _TOWNSHIP_CENTRE.match(name)
    if not match:
        return None
    stem = _TOWNSHIP_SUFFIX.sub("", match["stem"])
    return stem or None


@dataclass
class InstitutionResolver:
    """Finds an institution by code, name, alias or a township health centre's variant name.

    Built once per import for a county (:meth:`for_county`: three queries, whatever the
    county's size: its institutions and those of the regions above it, its aliases, the
    county's and its townships' names); each :meth:`resolve` is then dictionary look-ups.  Township health centres also answer to
    the common variants of their name: 老城乡卫生院 is found as 老城卫生院, 老城乡中心卫生院,
    老城镇卫生院, with or without the county's name in front, and by the township's name plus
    卫生院; a variant two centres share resolves to neither.
    """

    county_names: tuple[str, ...] = ()
    by_code: dict[str, Institution] = field(default_factory=dict)
    by_name: dict[str, Institution] = field(default_factory=dict)
    by_alias: dict[str, Institution] = field(default_factory=dict)
    by_stem: dict[str, Institution | None] = field(default_factory=dict)

    @classmethod
    def for_county(cls, county: Region | str) -> InstitutionResolver:
        code = county if isinstance(county, str) else county.code
        prefix = code[:6]
        institutions = list(
            Institution.objects.filter(
                Q(region__code__startswith=prefix)
                | Q(region_id__in=ancestor_codes(prefix.ljust(12, "0")))
            ).order_by("code")
        )
        aliases = list(
            InstitutionAlias.objects.filter(county_id=prefix.ljust(12, "0")).values_list(
                "alias", "institution_id"
            )
        )
        county_names, townships = [], {}
        for code, name, level in Region.objects.filter(
            code__startswith=prefix, level__in=[6, 9]
        ).values_list("code", "name", "level"):
            if level == 6:
                county_names.append(name)
            else:
                townships[code] = name
        return cls.build(institutions, aliases, county_names, townships)

    @classmethod
    def build(
        cls,
        institutions: Iterable[Institution],
        aliases: Iterable[tuple[str, int]] = (),
        county_names: Sequence[str] = (),
        townships: dict[str, str] | None = None,
    ) -> InstitutionResolver:
        names = set()
        for name in county_names:
            names.add(normalize_institution_name(name))
            short = _TOWNSHIP_SUFFIX.sub("", name).removesuffix("县").removesuffix("市")
            if short and short != name:
                names.add(normalize_institution_name(short))
        resolver = cls(county_names=tuple(sorted(names, key=len, reverse=True)))
        by_id = {}
        townships = townships or {}
        for institution in institutions:
            by_id[institution.pk] = institution
            resolver.by_code[normalize_institution_name(institution.code)] = institution
            name = normalize_institution_name(institution.name)
            resolver.by_name.setdefault(name, institution)
            if institution.kind == "township":
                stems = {_township_stem(resolver._without_county(name))}
                township_name = townships.get(institution.region_id[:9].ljust(12, "0"))
                if township_name:
                    stems.add(_TOWNSHIP_SUFFIX.sub("", normalize_institution_name(township_name)))
                for stem in stems - {None}:
                    if stem in resolver.by_stem and resolver.by_stem[stem] != institution:
                        resolver.by_stem[stem] = None  # two centres share it: ambiguous
                    else:
                        resolver.by_stem[stem] = institution
        for alias, institution_id in aliases:
            if institution_id in by_id:
                resolver.by_alias[normalize_institution_name(alias)] = by_id[institution_id]
        return resolver

    def _without_county(self, name: str) -> str:
        for county in self.county_names:
            if name.startswith(county) and len(name) > len(county):
                return name[len(county) :]
        return name

    def resolve(self, text: str) -> Institution | None:
        """The institution ``text`` names, or ``None`` (see :meth:`why_not`)."""
        key = normalize_institution_name(text)
        if not key:
            return None
        found = self.by_code.get(key) or self.by_name.get(key) or self.by_alias.get(key)
        if found is not None:
            return found
        bare = self._without_county(key)
        found = self.by_name.get(bare) or self.by_alias.get(bare)
        if found is not None:
            return found
        stem = _township_stem(bare)
        if stem:
            return self.by_stem.get(stem)
        return None

    def why_not(self, text: str) -> str:
        """Why ``text`` did not resolve, for the row's note."""
        key = normalize_institution_name(text)
        if not key:
            return _("the institution is empty")
        stem = _township_stem(self._without_county(key))
        if stem and stem in self.by_stem and self.by_stem[stem] is None:
            return _("%(name)s could be more than one township health centre: add an alias") % {
                "name": text
            }
        return _("unknown institution %(name)s (county staff can add it as an alias)") % {
            "name": text
        }


# ---------------------------------------------------------------------------------------------
# Aliases
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def settlement_policy_save(*, policy: SettlementPolicy, by) -> SettlementPolicy:
    """Save a county's settlement rules (caps, large-expense threshold) with an audit row;
    the settlement figures' cache version moves with the save (settlement_selectors)."""
    created = policy.pk is None
    before = None if created else audit.snapshot(SettlementPolicy.objects.get(pk=policy.pk))
    if created:
        policy.created_by = _user(by)
    policy.save()
    if created:
        audit.record_create(policy, by=by)
    else:
        audit.record_update(policy, before, by=by)
    return policy


@transaction.atomic
def institution_alias_create(
    *, county: Region, alias: str, institution: Institution, by
) -> InstitutionAlias:
    """Add a name a county's files use for ``institution``."""
    alias = _SPACE.sub("", unicodedata.normalize("NFKC", alias))
    if not alias:
        raise ValueError(_("The alias is empty."))
    record = InstitutionAlias.objects.create(
        county=county, alias=alias, institution=institution, created_by=_user(by)
    )
    audit.record_create(record, by=by)
    return record


@transaction.atomic
def institution_alias_delete(*, alias: InstitutionAlias, by) -> None:
    audit.record_delete(alias, by=by)
    alias.delete()
