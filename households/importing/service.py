"""The roster import: a county's 建档立卡 roster file in, households and members out.

``roster_import`` is the one entry point (the command line, the web task and the admin's
Resource all call it or its stages).  It runs in four stages:

1. **read** (:func:`open_table` with the roster's columns, under ``ROSTER_MAX_BYTES``): check
   the file as a whole, find the header wherever it is, then stream the rows with the row
   numbers Excel shows (each is normalised as it is read and only its normalised values kept,
   so a prefecture's 500,000 rows fit in flat memory; rejected rows are read again for the
   error workbook);
2. **normalise** (:meth:`RosterImport.normalise`, no queries): every cell through the shared
   normalisers; ID numbers through :func:`healthaid.idnumbers.normalize_id_number`; the sex
   column checked against the number; an ID number twice in the file caught;
3. **resolve and plan** (:meth:`RosterImport.plan`, a fixed number of chunked queries): match
   县/乡镇/村 names to the administrative tree, check the user's scope, look up existing
   households by number, members by blind index and cards by number (``__in`` with at most
   1,000 values each), and decide for every record whether it is created, updated, unchanged or
   skipped, comparing normalised values;
4. **write** (:meth:`RosterImport.write`): insert the new records in bulk, update only the
   changed ones, diseases and cards in bulk, one ``import`` audit row plus one create or update
   row per record (made with ``audit.build_row``, saved in bulk).  The statements are plain
   multi-row INSERT/UPDATE (``executemany``, or ``COPY`` on PostgreSQL) instead of
   ``bulk_create``/``bulk_update``, whose per-value SQL compilation took most of the time: see
   :class:`BulkTable`.

All or nothing: with any row error nothing is written, unless ``skip_invalid``.  Then a member
row with an error is skipped on its own and its household is still written from its other,
valid rows; an error in a household column (县/乡镇/村, 户编号, 贫困户属性, 主要致贫原因,
是否因病致贫, 脱贫年度, or a household spread over two villages) skips every row of that
household, since the household itself cannot be written correctly.

What a re-import does with what the file does not say: members of a household that are missing
from the file stay (the import never deletes people), special cards are added or updated but
never removed, diseases are set to exactly what the 患病情况 cell lists (健康 or blank means
none), and columns absent from the file leave their fields alone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from healthaid import audit
from healthaid.choices import AuditAction, RegionLevel
from healthaid.idnumbers import IDNumberError, blind_digester, encryptor, normalize_id_number
from healthaid.importing.bulk import (
    AuditBuffer,
    BulkTable,
    CopyStream,
    bulk_session,
    chunks,
    collector_paused,
    drain,
    filter_in,
)
from healthaid.importing.normalize import (
    CellError,
    to_bool,
    to_choice,
    to_phone,
    to_sex,
    to_text,
    to_year,
)
from healthaid.importing.reader import FileRefused, ParsedSheet, open_table
from healthaid.importing.results import ImportOutcome, RowError, RowNote, RowWarning
from healthaid.models import AuditLog, Region
from healthaid.scoping import can_write_registry, get_profile, scope_prefix
from households.catalogue import DISEASES_BY_CODE, MAJOR, SPECIAL_OUTPATIENT, to_halfwidth
from households.choices import (
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
)
from households.importing.columns import ROSTER_COLUMNS
from households.importing.normalize import to_diseases
from households.models import (
    REGISTRY_MODELS,
    Disease,
    Household,
    Member,
    MemberDisease,
    SpecialCard,
)
from households.selectors import registry_changed
from households.services import disease_catalogue_sync
from households.signals import members_changed
from households.tasks import analyze_registry

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "POVERTY_ATTRIBUTE_SYNONYMS",
    "POVERTY_CAUSE_SYNONYMS",
    "RELATION_SYNONYMS",
    "Counts",
    "ImportResult",
    "MemberMove",
    "RosterImport",
    "RowError",
    "RowWarning",
    "parse_poverty_attribute",
    "parse_poverty_cause",
    "parse_relation",
    "roster_import",
]

PROGRESS_EVERY = 500

ANALYZE_AFTER = 5000

WRITE_CHUNK = 5000
"""Records whose statement parameters are made at a time (and audit rows held at a time)."""
"""Refresh PostgreSQL's statistics after an import that created at least this many records."""

LABELS: dict[str, str] = {spec.key: spec.label for spec in ROSTER_COLUMNS}
"""Column key → the Chinese header that messages name (县, 证件号码, ...)."""

HOUSEHOLD_COLUMNS = frozenset(
    {
        "county",
        "township",
        "village",
        "household_number",
        "poverty_attribute",
        "poverty_cause",
        "illness_caused",
        "lifted_year",
    }
)
"""An error in one of these columns skips the whole household under ``skip_invalid``."""

# --- choices: the spellings rosters use -------------------------------------------------------

# fmt: off
POVERTY_ATTRIBUTE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("一般贫困户", "一般户", "一般", "一般贫困", "一般贫困人口", "general"),
                    PovertyAttribute.GENERAL),
    **dict.fromkeys(("低保贫困户", "低保户", "低保", "低保贫困", "低保对象", "低保贫困人口",
                     "dibao"), PovertyAttribute.DIBAO),
    **dict.fromkeys(("特困供养贫困户", "特困供养户", "特困供养", "特困户", "特困", "特困人员",
                     "特困供养人员", "五保户", "五保贫困户", "五保", "分散供养特困人员",
                     "集中供养特困人员", "tekun"), PovertyAttribute.TEKUN),
}
POVERTY_CAUSE_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("因病", "疾病", "患病", "重病", "大病", "illness"), PovertyCause.ILLNESS),
    **dict.fromkeys(("因残", "残疾", "因残疾", "disability"), PovertyCause.DISABILITY),
    **dict.fromkeys(("因学", "上学", "教育", "子女上学", "education"), PovertyCause.EDUCATION),
    **dict.fromkeys(("因灾", "灾害", "自然灾害", "受灾", "disaster"), PovertyCause.DISASTER),
    **dict.fromkeys(("缺劳力", "缺劳动力", "缺少劳动力", "缺乏劳动力", "劳动力不足", "无劳动力",
                     "labour", "labor"), PovertyCause.LABOUR),
    **dict.fromkeys(("缺土地", "缺地", "缺少土地", "土地少", "land"), PovertyCause.LAND),
    **dict.fromkeys(("缺水", "缺少水源", "饮水困难", "water"), PovertyCause.WATER),
    **dict.fromkeys(("缺技术", "缺少技术", "缺乏技术", "技术缺乏", "skills"), PovertyCause.SKILLS),
    **dict.fromkeys(("缺资金", "缺少资金", "缺乏资金", "资金短缺", "funds"), PovertyCause.FUNDS),
    **dict.fromkeys(("交通条件落后", "交通落后", "交通不便", "交通条件差", "transport"),
                    PovertyCause.TRANSPORT),
    **dict.fromkeys(("自身发展动力不足", "发展动力不足", "内生动力不足", "缺乏发展动力", "动力不足",
                     "motivation"), PovertyCause.MOTIVATION),
    **dict.fromkeys(("其他", "其它", "other"), PovertyCause.OTHER),
}
RELATION_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("户主", "本人", "head"), Relation.HEAD),
    **dict.fromkeys(("配偶", "妻", "妻子", "夫", "丈夫", "老伴", "spouse"), Relation.SPOUSE),
    **dict.fromkeys(("子", "儿子", "长子", "次子", "三子", "四子", "五子", "独子", "养子", "继子",
                     "son"), Relation.SON),
    **dict.fromkeys(("女", "女儿", "长女", "次女", "三女", "四女", "五女", "独女", "养女", "继女",
                     "daughter"), Relation.DAUGHTER),
    **dict.fromkeys(("儿媳", "儿媳妇", "媳", "媳妇", "daughter_in_law"), Relation.DAUGHTER_IN_LAW),
    **dict.fromkeys(("女婿", "婿", "son_in_law"), Relation.SON_IN_LAW),
    **dict.fromkeys(("孙子", "孙", "外孙", "外孙子", "grandson"), Relation.GRANDSON),
    **dict.fromkeys(("孙女", "外孙女", "granddaughter"), Relation.GRANDDAUGHTER),
    **dict.fromkeys(("父", "父亲", "公公", "岳父", "father"), Relation.FATHER),
    **dict.fromkeys(("母", "母亲", "婆婆", "岳母", "mother"), Relation.MOTHER),
    **dict.fromkeys(("兄弟姐妹", "兄弟", "姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐",
                     "妹妹", "sibling"), Relation.SIBLING),
    **dict.fromkeys(("其他", "其它", "其他亲属", "祖父", "祖母", "祖父母", "外祖父", "外祖母",
                     "孙媳", "侄子", "侄女", "other"), Relation.OTHER),
}
# fmt: on


def _choice_key(text: str) -> str:
    return "".join(text.split()).casefold()


def _lookup(text: str, synonyms: dict[str, str], variants: Callable[[str], Iterable[str]]):
    key = _choice_key(text)
    hit = synonyms.get(key)
    if hit is None:
        for variant in variants(key):
            hit = synonyms.get(variant)
            if hit is not None:
                break
    return hit


def _cause_variants(key: str) -> Iterator[str]:
    for suffix in ("致贫", "返贫"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            yield key
    if not key.startswith("因"):
        yield "因" + key


def _relation_variants(key: str) -> Iterator[str]:
    if key.startswith("之"):
        yield key[1:]
    if key.startswith("户主"):  # 户主之子, 户主的女儿
        rest = key[2:].lstrip("之的")
        yield rest


def _attribute_variants(key: str) -> Iterator[str]:
    if key.endswith("家庭"):
        yield key[:-2] + "户"


def _choice_error(value: str, canonical: Iterable[str]) -> CellError:
    """The to_choice error, listing the canonical spellings rather than every synonym."""
    try:
        to_choice(value, {label: label for label in canonical})
    except CellError as exc:
        return exc
    return CellError(value)  # pragma: no cover - to_choice always raises for an unknown value


def parse_poverty_attribute(value: Any) -> str | None:
    """一般贫困户 / 低保(贫困)户 / 特困供养(贫困)户 and their variants → a PovertyAttribute."""
    text = to_text(value)
    if not text:
        return None
    hit = _lookup(text, POVERTY_ATTRIBUTE_SYNONYMS, _attribute_variants)
    if hit is None:
        raise _choice_error(text, ("一般贫困户", "低保贫困户", "特困供养贫困户"))
    return hit


def parse_poverty_cause(value: Any) -> str | None:
    """因病, 因病致贫, 疾病 → illness; 缺劳力 → labour; ... (the national system's list)."""
    text = to_text(value)
    if not text:
        return None
    hit = _lookup(text, POVERTY_CAUSE_SYNONYMS, _cause_variants)
    if hit is None:
        raise _choice_error(
            text,
            (
                "因病",
                "因残",
                "因学",
                "因灾",
                "缺土地",
                "缺水",
                "缺技术",
                "缺劳力",
                "缺资金",
                "交通条件落后",
                "自身发展动力不足",
                "其他",
            ),
        )
    return hit


def parse_relation(value: Any) -> str | None:
    """户主 → head; 配偶 → spouse; 之子, 长子, 次子 → son; 之女 → daughter; ..."""
    text = to_text(value)
    if not text:
        return None
    hit = _lookup(text, RELATION_SYNONYMS, _relation_variants)
    if hit is None:
        raise _choice_error(
            text,
            (
                "户主",
                "配偶",
                "之子",
                "之女",
                "之儿媳",
                "之女婿",
                "之孙子",
                "之孙女",
                "之父",
                "之母",
                "兄弟姐妹",
                "其他",
            ),
        )
    return hit


def _limited_text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = to_text(value)
        if len(text) > max_length:
            raise CellError(
                _("The text is longer than %(max)d characters.") % {"max": max_length},
                "too_long",
            )
        return text

    return parse


_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?e[+-]?\d+$", re.IGNORECASE)
_MAX_EXACT_FLOAT = 2**53


def parse_household_number(value: Any) -> str:
    """户编号 as text; a number Excel stored as a float is accepted only while still exact."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) > _MAX_EXACT_FLOAT:
            raise CellError(
                _(
                    "The household number was stored by Excel as a number and its last digits "
                    "are lost; set the column to text and export the file again."
                ),
                "household_number_float",
            )
        value = int(value)
    text = "".join(to_text(value).split())
    if not text:
        raise CellError(_("This cell must not be empty."), "required")
    if _SCIENTIFIC.match(text):
        raise CellError(
            _(
                "The household number was stored by Excel as a number and shown in scientific "
                "notation, so its last digits are lost; set the column to text and export the "
                "file again."
            ),
            "household_number_float",
        )
    if len(text) > 32:
        raise CellError(_("The text is longer than %(max)d characters.") % {"max": 32}, "too_long")
    return text


# --- results ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


@dataclass(slots=True)
class MemberMove:
    """A person already registered in one household whom the file puts in another."""

    row: int
    name: str
    id_number: str  # masked
    from_household: str
    to_household: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "name": self.name,
            "id_number": self.id_number,
            "from_household": self.from_household,
            "to_household": self.to_household,
        }


class RowOutcomes(MutableMapping):
    """Row number → ``created``, ``updated``, ``unchanged`` or ``skipped``: a mapping held as
    one byte a sheet row (a dict of 500,000 rows took some 40 MB)."""

    OUTCOMES = ("", "created", "updated", "unchanged", "skipped")
    _CODES = {outcome: code for code, outcome in enumerate(OUTCOMES) if outcome}

    __slots__ = ("_codes", "_count")

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        self._codes = bytearray()
        self._count = 0
        for number, outcome in items:
            self[number] = outcome

    def __getitem__(self, number: int) -> str:
        codes = self._codes
        code = codes[number] if 0 <= number < len(codes) else 0
        if not code:
            raise KeyError(number)
        return self.OUTCOMES[code]

    def __setitem__(self, number: int, outcome: str) -> None:
        code = self._CODES[outcome]  # KeyError for anything else
        if number < 0:
            raise KeyError(number)
        codes = self._codes
        if number >= len(codes):
            codes.extend(bytes(max(number + 1 - len(codes), len(codes) // 2)))
        if not codes[number]:
            self._count += 1
        codes[number] = code

    def __delitem__(self, number: int) -> None:
        self[number]  # KeyError when absent
        self._codes[number] = 0
        self._count -= 1

    def __iter__(self) -> Iterator[int]:
        return (number for number, code in enumerate(self._codes) if code)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"RowOutcomes({dict(self.items())!r})"


@dataclass
class ImportResult(ImportOutcome):
    """What a roster import did (or, for a dry run or a refused import, would do): the shared
    outcome (rows, notes, every row not imported named, the error workbook) plus the roster's
    counts.

    ``as_dict`` is what a Job row stores: counts, messages and masked values only, never a full
    ID number.  ``error_workbook`` rebuilds the error file from the rows kept in memory.
    """

    households: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)
    cards: Counts = field(default_factory=Counts)
    villages_created: list[str] = field(default_factory=list)
    moves: list[MemberMove] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)
    # In memory only.
    row_outcomes: RowOutcomes = field(default_factory=RowOutcomes, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "applied": self.applied,
            "total_rows": self.total_rows,
            "header_row": self.header_row,
            "households": self.households.as_dict(),
            "members": self.members.as_dict(),
            "cards": self.cards.as_dict(),
            "villages_created": list(self.villages_created),
            "moves": [move.as_dict() for move in self.moves],
            **self.notes_dict(),
            "extra_headers": list(self.extra_headers),
            "file_error": self.file_error,
            "file_error_code": self.file_error_code,
            "error_rows": self.error_row_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportResult:
        result = cls(
            filename=data.get("filename", ""),
            dry_run=data.get("dry_run", False),
            skip_invalid=data.get("skip_invalid", False),
            applied=data.get("applied", False),
            total_rows=data.get("total_rows", 0),
            header_row=data.get("header_row", 0),
            households=Counts(**data.get("households", {})),
            members=Counts(**data.get("members", {})),
            cards=Counts(**data.get("cards", {})),
            villages_created=list(data.get("villages_created", [])),
            moves=[MemberMove(**move) for move in data.get("moves", [])],
            errors=[RowError(**error) for error in data.get("errors", [])],
            warnings=[RowWarning(**warning) for warning in data.get("warnings", [])],
            not_imported=[RowNote(**note) for note in data.get("not_imported", [])],
            extra_headers=list(data.get("extra_headers", [])),
            file_error=data.get("file_error", ""),
            file_error_code=data.get("file_error_code", ""),
        )
        return result

    def summary_lines(self) -> list[str]:
        """The summary as translated sentences, for the command line and the audit row."""
        if self.file_error:
            return [self.file_error]
        h, m = self.households, self.members
        lines = [
            _("%(rows)d rows read (header in row %(header)d).")
            % {"rows": self.total_rows, "header": self.header_row},
            _(
                "Households: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(skipped)d skipped."
            )
            % h.as_dict(),
            _(
                "Members: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(skipped)d skipped."
            )
            % m.as_dict(),
        ]
        if self.cards.created or self.cards.updated:
            lines.append(
                _("Chronic-disease cards: %(created)d created, %(updated)d updated.")
                % self.cards.as_dict()
            )
        if self.villages_created:
            lines.append(
                _("Villages created: %(villages)s.") % {"villages": _join(self.villages_created)}
            )
        if self.moves:
            lines.append(
                _("%(count)d members moved to another household.") % {"count": len(self.moves)}
            )
        if self.errors:
            lines.append(
                _("%(errors)d errors in %(rows)d rows.")
                % {"errors": len(self.errors), "rows": self.error_row_count}
            )
        if self.not_imported:
            lines.append(
                ngettext(
                    "%(count)d more row not imported with its household.",
                    "%(count)d more rows not imported with their households.",
                    len(self.not_imported),
                )
                % {"count": len(self.not_imported)}
            )
        if self.warnings:
            lines.append(_("%(count)d warnings.") % {"count": len(self.warnings)})
        return lines


def _join(items: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(items)


# --- regions ------------------------------------------------------------------------------------

_REGION_SUFFIXES = (
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "街道办事处",
    "村委会",
    "居委会",
    "自治县",
    "办事处",
    "街道",
    "社区",
    "县",
    "区",
    "市",
    "旗",
    "镇",
    "乡",
    "村",
)


def region_key(text: str) -> str:
    """A region name for comparison: half-width, no whitespace, case-folded."""
    return "".join(to_halfwidth(text).split()).casefold()


def region_core(key: str) -> str:
    """The name without its administrative suffixes: 能禹村委会, 能禹村 and 能禹 → 能禹."""
    stripped = True
    while stripped:
        stripped = False
        for suffix in _REGION_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key


class _NameIndex:
    """Siblings in the tree by exact name and by core name; a find returns every candidate."""

    __slots__ = ("core", "exact")

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self.exact: dict[str, list[str]] = defaultdict(list)
        self.core: dict[str, list[str]] = defaultdict(list)
        for code, name in items:
            key = region_key(name)
            self.exact[key].append(code)
            self.core[region_core(key)].append(code)

    def find(self, text: str) -> list[str]:
        key = region_key(text)
        hits = self.exact.get(key)
        if hits:
            return hits
        return self.core.get(region_core(key), [])


def _overlaps(code: str, level: int, prefix: str) -> bool:
    """Whether a region of ``level`` and the scope ``prefix`` lie on one branch of the tree."""
    own = code[:level]
    return own.startswith(prefix) or prefix.startswith(own)


@dataclass(slots=True)
class _Place:
    """Where one (县, 乡镇, 村) triple of the file lands."""

    village_code: str = ""  # an existing village, or the code a new village will get
    township_code: str = ""
    new_village: str = ""  # the name, when the village is created by this import
    error_column: str = ""
    error_code: str = ""
    error_message: str = ""


# --- the import ---------------------------------------------------------------------------------


def _memo(fn: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, CellError | None]]:
    """A normaliser's outcome cached per distinct raw value (a roster repeats a few spellings):
    returns ``(value, None)`` or ``(None, error)``."""
    cache: dict[tuple[type, Any], tuple[Any, CellError | None]] = {}

    def call(value: Any) -> tuple[Any, CellError | None]:
        key = (value.__class__, value)  # 1, 1.0 and True must not share an entry
        hit = cache.get(key)
        if hit is None:
            try:
                hit = (fn(value), None)
            except CellError as exc:
                hit = (None, exc)
            cache[key] = hit
        return hit

    return call


class _Row:
    """One member row after normalisation (the values the database will hold).

    Slots, and values shared between rows where a roster repeats them (places, household
    columns, diseases, birth dates): a prefecture's 500,000 rows are all held until the plan is
    made, so each costs a few hundred bytes, not kilobytes.  The row's own texts (the blind
    index as its 32 bytes, the ID number, the name, the phone) are packed in one bytes object
    (``packed``, see :func:`_pack`) and read through properties: one object of some 100 bytes
    instead of four strings of 60 to 110 each.  ``source`` (the row as read) is kept only for
    the admin's Resource; the streaming import keeps the household columns' raw cells
    (``household_raw``, for the conflict warnings) and reads rejected rows again for the error
    workbook.
    """

    __slots__ = (
        "number",
        "source",
        "values",
        "household_raw",
        "error",
        "household_error",
        "household_number",
        "place",
        "packed",
        "birth",
        "relation",
        "ethnicity",
        "diseases",
        "card",
        "pk",
        "plan",
    )

    def __init__(self, number: int, source) -> None:
        self.number = number
        self.source = source
        # household columns: poverty_attribute, poverty_cause, illness_caused, lifted_year
        self.values: dict[str, Any] = _NO_VALUES
        self.household_raw: dict[str, Any] = _NO_VALUES
        self.error = False
        self.household_error = False
        self.household_number = ""
        self.place: tuple[str, str, str] | None = None
        self.packed = _EMPTY_PACKED
        self.birth: dt.date | None = None
        self.relation: str | None = None
        self.ethnicity: str | None = None
        self.diseases: tuple[str, ...] | None = None
        self.card: str | None = None
        # The member's id: the registered person's the row's ID number names, set when they
        # are looked up (RosterImport._load_existing), or reserved for a new one when written.
        self.pk: int | None = None
        self.plan: _Plan | _NewMember | None = None

    @property
    def index(self) -> bytes:
        """The blind index's 32 bytes (``.hex()`` is the stored value); empty without a valid
        ID number."""
        packed = self.packed
        return packed[1:33] if packed[0] else b""

    @property
    def id_number(self) -> str:
        packed = self.packed
        return packed[33:51].decode("ascii") if packed[0] else ""

    @property
    def sex(self) -> str:
        """From the ID number's 17th digit (odd for men); empty without a valid number."""
        packed = self.packed
        if not packed[0]:
            return ""
        return "M" if packed[49] & 1 else "F"  # ASCII digits: odd code, odd digit

    @property
    def name(self) -> str:
        packed = self.packed
        at = packed[0] + 1
        size = int.from_bytes(packed[at : at + 3], "little")
        return packed[at + 3 : at + 3 + size].decode()

    @property
    def phone(self) -> str | None:
        packed = self.packed
        at = packed[0] + 1
        size = int.from_bytes(packed[at : at + 3], "little")
        return packed[at + 3 + size :].decode() or None

    @property
    def masked(self) -> str:
        number = self.id_number
        return f"{number[:6]}********{number[14:]}" if number else ""

    def raw_cell(self, key: str) -> Any:
        """The cell as the file has it (household columns, or any column with ``source``)."""
        if self.source is not None:
            return self.source.cells.get(key)
        return self.household_raw.get(key)


def _pack(index: bytes, number: str, name: str, phone: str | None) -> bytes:
    """A row's texts as :class:`_Row` reads them: the length of the index and number part (0,
    or 50: the index's 32 bytes and the 18 ASCII characters of the number), that part, the
    name's length in UTF-8 (3 bytes) and the name, then the phone to the end."""
    head = index + number.encode("ascii") if index else b""
    name_bytes = name.encode()
    return b"".join(
        (
            bytes((len(head),)),
            head,
            len(name_bytes).to_bytes(3, "little"),
            name_bytes,
            phone.encode() if phone else b"",
        )
    )


_EMPTY_PACKED = _pack(b"", "", "", None)
_NO_VALUES: dict[str, Any] = {}  # shared, never written to


class _Plan:
    """What happens to one record (household, member or card): a slotted record that reads
    like the dict it replaces (``plan["values"]``, ``"id" in plan``).

    A new member's ``values`` are not stored: they follow from its row and are made when the
    writer asks (:func:`_member_values`), one chunk at a time.
    """

    __slots__ = (
        "row",
        "new",
        "id",
        "number",
        "_values",
        "before",
        "add_diseases",
        "remove_diseases",
        "disease",
        "present",
        "registered",
    )
    _KEYS = frozenset(
        {
            "row",
            "new",
            "id",
            "number",
            "values",
            "before",
            "add_diseases",
            "remove_diseases",
            "disease",
        }
    )

    def __init__(self, **values: Any) -> None:
        self.present = values.pop("present", None)
        self.registered = values.pop("registered", None)  # an updated member's stored record
        for key in self._KEYS:
            if key in values:
                setattr(self, "_values" if key == "values" else key, values[key])

    @property
    def values(self) -> dict[str, Any]:
        try:
            return self._values
        except AttributeError:
            return _member_values(self.row, None, self.present)

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._KEYS:
            raise KeyError(key)
        setattr(self, "_values" if key == "values" else key, value)

    def __contains__(self, key: str) -> bool:
        if key == "values":
            return True
        return key in self._KEYS and hasattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


class _NewMember:
    """The plan of a member the import creates: everything follows from the row (its values,
    its diseases to add, none to remove), so it holds the row and the columns present and
    nothing else; it reads like a :class:`_Plan` (``plan["new"]``, ``plan.add_diseases``)."""

    __slots__ = ("row", "present")
    new = True
    remove_diseases: tuple[str, ...] = ()
    _KEYS = frozenset({"row", "new", "values", "add_diseases", "remove_diseases"})

    def __init__(self, row: _Row, present: frozenset[str]) -> None:
        self.row = row
        self.present = present

    @property
    def add_diseases(self) -> tuple[str, ...]:
        return self.row.diseases or ()

    @property
    def values(self) -> dict[str, Any]:
        return _member_values(self.row, None, self.present)

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self._KEYS

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self._KEYS else default


class _Record:
    """A stored record reduced to the fields the plan compares: slots, read like the dict of
    ``values()`` it replaces (``record["status"]``, ``{**record}``).  A prefecture's re-import
    meets 500,000 registered people and 150,000 households; a dict each took 850 MB."""

    __slots__ = ()

    def __init__(self, *values: Any) -> None:
        for key, value in zip(self.__slots__, values, strict=True):
            setattr(self, key, value)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def keys(self) -> tuple[str, ...]:
        return self.__slots__


class _Household(_Record):
    """A registered household the file names."""

    __slots__ = (
        "id",
        "village_id",
        "poverty_attribute",
        "status",
        "lifted_year",
        "poverty_cause",
        "illness_caused",
    )


class _Registered(_Record):
    """A registered person a row names, kept only when the file changes something about them
    or they are outside the user's area (``RosterImport.registered``); of the others only
    their id is kept, as the row's ``pk``."""

    __slots__ = (
        "id",
        "household_number",
        "village_id",
        "name",
        "relation",
        "ethnicity",
        "phone",
        "health_status",
        "diseases",
    )


class _Card(_Record):
    """A special card the file names."""

    __slots__ = ("id", "member_id", "disease__code")


def _member_values(row: _Row, existing: _Registered | None, present) -> dict[str, Any]:
    """The member's fields as the file states them (sex and birth date only for new people:
    they follow from the number, which is how an existing person was found)."""
    values: dict[str, Any] = {"name": row.name}
    if existing is None:
        values["sex"], values["birth_date"] = row.sex, row.birth
    if "relation" in present and row.relation is not None:
        values["relation"] = row.relation
    elif existing is None:
        values["relation"] = Relation.OTHER
    if "ethnicity" in present:
        values["ethnicity"] = row.ethnicity or ""
    elif existing is None:
        values["ethnicity"] = ""
    if "phone" in present:
        values["phone"] = row.phone or ""
    if row.diseases is not None:
        values["health_status"] = _health_status(
            row.diseases, existing.health_status if existing else None
        )
    return values


def _member_changes(
    row: _Row, existing: _Registered, present
) -> tuple[dict[str, Any], list[str], list[str]]:
    """What the row changes about a registered person: fields (``household`` for a move),
    diseases to add and to remove."""
    values = _member_values(row, existing, present)
    changed = {k: v for k, v in values.items() if existing[k] != v}
    if existing.household_number != row.household_number:
        changed["household"] = row.household_number
    add: list[str] = []
    remove: list[str] = []
    if row.diseases is not None:
        have = existing.diseases
        add = [code for code in row.diseases if code not in have]
        keep = set(row.diseases)
        remove = sorted(code for code in have if code not in keep)
    return changed, add, remove


def _mask_cell(value: Any) -> str:
    """An ID-number cell for messages: the first 6 and last 4 characters, the rest hidden."""
    text = "".join(to_text(value).split())
    if len(text) >= 10:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return "*" * len(text)


_ID_NUMBER_LIKE = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"([0-9]{3}[0-9Xx])(?![0-9])"
)


def redact_id_numbers(text: str) -> str:
    """Mask anything shaped like an ID number (an ID typed into the phone column, say), so
    that messages, which end up in job rows and on screen, never carry one in clear."""
    if len(text) < 18:
        return text
    return _ID_NUMBER_LIKE.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)


def _show(value: Any) -> str:
    text = to_text(value)
    return text if len(text) <= 100 else text[:99] + "…"


def _health_status(codes: Iterable[str], current: str | None) -> str:
    """What the 患病情况 cell says about health: a major disease is serious, any other chronic.

    Disability is not a disease and the roster has no column for it, so a member recorded as
    disabled stays so.
    """
    if current == _DISABLED:
        return current
    status = _HEALTHY
    for code in codes:
        if DISEASES_BY_CODE[code].category == MAJOR:
            return _SERIOUS
        status = _CHRONIC
    return status


# Plain strings: reading a member of a choices enum costs a metaclass look-up each time.
_HEALTHY, _CHRONIC, _SERIOUS, _DISABLED = (
    str(HealthStatus.HEALTHY.value),
    str(HealthStatus.CHRONIC.value),
    str(HealthStatus.SERIOUS.value),
    str(HealthStatus.DISABLED.value),
)


_CARD_CATEGORIES = frozenset({"key4", "annual", SPECIAL_OUTPATIENT})


def card_disease(codes: Iterable[str]) -> str | None:
    """The disease a 慢病卡 is issued for: the member's first listed chronic disease a card
    covers (the four key diseases, the annual chronic ones and the outpatient special chronic
    diseases), or none (major-disease treatment and other conditions have no card)."""
    for code in codes:
        if DISEASES_BY_CODE[code].category in _CARD_CATEGORIES:
            return code
    return None


class RosterImport:
    """The stages of one import, kept apart so the admin's Resource can run them too."""

    def __init__(
        self,
        sheet: ParsedSheet,
        *,
        by,
        result: ImportResult,
        progress: Callable[[int, int], None] | None = None,
        keep_source: bool = True,
    ) -> None:
        self.sheet = sheet
        self.keep_source = keep_source
        self.by = by
        self.actor = by if getattr(by, "is_authenticated", False) else None
        self.result = result
        self.progress = progress
        self.present = frozenset(sheet.columns)
        self.prefix = "" if by is None else (scope_prefix(by) or "")
        profile = get_profile(by) if by is not None else None
        self.scope_name = profile.region.path if profile is not None else ""
        self.scope_code = profile.region.code if profile is not None else ""
        self.rows: list[_Row] = []
        self.row_errors: dict[int, list[RowError]] = defaultdict(list)
        self.places: dict[tuple[str, str, str], _Place] = {}
        self.township_paths: dict[str, str] = {}
        self.new_villages: dict[tuple[str, str], str] = {}  # (township, core name) → code
        self.groups: dict[str, list[_Row]] = {}
        self.household_choices: dict[str, dict[str, Any]] = {}
        self.written_households: set[str] = set()
        self.plan_households: list[dict[str, Any]] = []
        self.plan_members: list[dict[str, Any]] = []
        self.plan_cards: list[dict[str, Any]] = []
        self.disease_ids: dict[str, int] = {}
        self.existing_households: dict[str, _Household] = {}
        self.existing_cards: dict[str, _Card] = {}
        # By row number: the registered people a row changes, or who are outside the area.
        self.registered: dict[int, _Registered] = {}
        result.total_rows = len(sheet.rows)
        result.header_row = sheet.header_row_number
        result.header = list(sheet.header)
        result.extra_headers = list(sheet.extra_headers)

    # -- helpers ---------------------------------------------------------------------------------

    def _error(self, row: _Row, key: str, value: str, message: str, code: str) -> None:
        error = RowError(
            row.number,
            LABELS.get(key, key),
            redact_id_numbers(value),
            redact_id_numbers(message),
            code,
        )
        self.result.errors.append(error)
        self.row_errors[row.number].append(error)
        if key in HOUSEHOLD_COLUMNS:
            row.household_error = True
        else:
            row.error = True

    def _warn(self, row: _Row, key: str, value: str, message: str, code: str) -> None:
        self.result.warnings.append(
            RowWarning(
                row.number,
                LABELS.get(key, key),
                redact_id_numbers(value),
                redact_id_numbers(message),
                code,
            )
        )

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    # -- stage 2: normalise ----------------------------------------------------------------------

    def normalise(self) -> None:
        """Every cell of every row through the normalisers; no queries."""
        present = self.present
        today = timezone.localdate()
        index_canonical = blind_digester()
        sex_of = _memo(to_sex)
        relation_of = _memo(parse_relation)
        ethnicity_of = _memo(_limited_text(16))
        attribute_of = _memo(parse_poverty_attribute)
        cause_of = _memo(parse_poverty_cause)
        bool_of = _memo(to_bool)
        year_of = _memo(to_year)
        diseases_of = _memo(to_diseases)
        card_of = _memo(_limited_text(64))
        place_text = _memo(to_text)
        household_number_of = _memo(parse_household_number)
        error = self._error
        total = len(self.sheet.rows)
        first_by_index: dict[str, _Row] = {}
        duplicates: dict[str, list[_Row]] = {}
        household_keys = [
            key
            for key in ("poverty_attribute", "poverty_cause", "illness_caused", "lifted_year")
            if key in present
        ]
        household_parsers = {
            "poverty_attribute": attribute_of,
            "poverty_cause": cause_of,
            "illness_caused": bool_of,
            "lifted_year": year_of,
        }

        keep_source = self.keep_source
        shared: dict[Any, Any] = {}  # equal places, dates, household values: one object
        share = shared.setdefault
        done = 0
        for done, source in enumerate(self.sheet.rows, start=1):
            cells = source.cells
            row = _Row(source.number, source if keep_source else None)
            self.rows.append(row)

            county, _e = place_text(cells.get("county"))
            township, _e = place_text(cells.get("township"))
            village, _e = place_text(cells.get("village"))
            missing = False
            for key, text in (("county", county), ("township", township), ("village", village)):
                if not text:
                    error(row, key, "", _("This cell must not be empty."), "required")
                    missing = True
            if not missing:
                place = (county, township, village)
                row.place = share(place, place)

            raw = cells.get("household_number")
            number, exc = household_number_of(raw)
            if exc is not None:
                error(row, "household_number", _show(raw), exc.message, exc.code)
            else:
                row.household_number = number

            raw = cells.get("name")
            name = to_text(raw)
            if not name:
                error(row, "name", "", _("This cell must not be empty."), "required")
            elif len(name) > 64:
                error(
                    row,
                    "name",
                    _show(raw),
                    _("The text is longer than %(max)d characters.") % {"max": 64},
                    "too_long",
                )

            raw = cells.get("id_number")
            index, sex, phone = b"", "", None
            try:
                canonical = normalize_id_number(raw, today=today)
            except IDNumberError as exc:
                canonical = ""
                error(row, "id_number", _mask_cell(raw), exc.message, f"id_{exc.code}")
            else:
                sex = "M" if canonical[16] in "13579" else "F"
                born = canonical[6:14]
                birth = shared.get(born)
                if birth is None:
                    birth = shared[born] = dt.date(int(born[:4]), int(born[4:6]), int(born[6:]))
                row.birth = birth
                # Already validated: the *_canonical helpers skip the second and third
                # validation that blind_index() and encrypt_id_number() would run.
                index = index_canonical(canonical)
                first = first_by_index.get(index)
                if first is None:
                    first_by_index[index] = row
                else:
                    duplicates.setdefault(index, [first]).append(row)
            if "sex" in present:
                raw = cells.get("sex")
                given, exc = sex_of(raw)
                if exc is not None:
                    error(row, "sex", _show(raw), exc.message, exc.code)
                elif given is not None and sex and given != sex:
                    error(
                        row,
                        "sex",
                        _show(raw),
                        _("The sex contradicts the ID number, which belongs to a %(sex)s.")
                        % {"sex": _("man") if sex == "M" else _("woman")},
                        "sex_mismatch",
                    )

            if "relation" in present:
                raw = cells.get("relation")
                row.relation, exc = relation_of(raw)
                if exc is not None:
                    error(row, "relation", _show(raw), exc.message, exc.code)
            if "ethnicity" in present:
                raw = cells.get("ethnicity")
                row.ethnicity, exc = ethnicity_of(raw)
                if exc is not None:
                    error(row, "ethnicity", _show(raw), exc.message, exc.code)
            if "phone" in present:
                raw = cells.get("phone")
                try:
                    phone = to_phone(raw)
                except CellError as exc:
                    error(row, "phone", _show(raw), exc.message, exc.code)
            if "diseases" in present:
                raw = cells.get("diseases")
                found, exc = diseases_of(raw)
                specs, unknown = found
                codes = tuple(spec.code for spec in specs)
                row.diseases = share(codes, codes)
                if unknown:
                    self._warn(
                        row,
                        "diseases",
                        _show(raw),
                        _("Not in the disease catalogue, so not recorded: %(diseases)s.")
                        % {"diseases": _join(unknown)},
                        "unknown_disease",
                    )
            if "card_number" in present:
                raw = cells.get("card_number")
                card, exc = card_of(raw)
                if exc is not None:
                    error(row, "card_number", _show(raw), exc.message, exc.code)
                elif card:
                    row.card = "".join(card.split())
            row.packed = _pack(index, canonical, name, phone)

            if household_keys:
                values = {}
                for key in household_keys:
                    raw = cells.get(key)
                    value, exc = household_parsers[key](raw)
                    if exc is not None:
                        error(row, key, _show(raw), exc.message, exc.code)
                    else:
                        values[key] = value
                frozen = tuple(values.items())
                row.values = share(("values", frozen), values)
                if not keep_source:
                    raws = tuple((key, cells.get(key)) for key in household_keys)
                    row.household_raw = share(("raw", raws), dict(raws))

            if done % PROGRESS_EVERY == 0:
                self._report(done, total)

        total = done
        self.result.total_rows = total
        for rows in duplicates.values():
            numbers = [r.number for r in rows]
            for row in rows:
                others = ", ".join(str(n) for n in numbers if n != row.number)
                error(
                    row,
                    "id_number",
                    row.masked,
                    _(
                        "The same ID number is also in row %(rows)s; each person may appear "
                        "only once."
                    )
                    % {"rows": others},
                    "id_duplicate",
                )

        cards: dict[str, list[_Row]] = defaultdict(list)
        for row in self.rows:
            if row.card:
                cards[row.card].append(row)
            if row.household_number:
                self.groups.setdefault(row.household_number, []).append(row)
        for card, rows in cards.items():
            if len(rows) > 1:
                numbers = [r.number for r in rows]
                for row in rows:
                    others = ", ".join(str(n) for n in numbers if n != row.number)
                    error(
                        row,
                        "card_number",
                        card,
                        _("The same card number is also in row %(rows)s.") % {"rows": others},
                        "card_duplicate",
                    )
        self._report(total, total)

    # -- stage 3: resolve regions, look up what exists, plan -------------------------------------

    def plan(self) -> None:
        """Resolve places, look up existing records in chunks and decide what happens to each."""
        self._resolve_places()
        self._check_households()
        self._load_existing()
        self._plan_records()
        self._finish_report()

    def _resolve_places(self) -> None:
        # In file order, so that the first spelling of a new village is the one it gets.
        triples = list(dict.fromkeys(row.place for row in self.rows if row.place is not None))
        if not triples:
            return
        prefix = self.prefix
        counties = _NameIndex(
            Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name")
        )
        county_of: dict[str, tuple[str | None, tuple[str, str] | None]] = {}
        for text in {t[0] for t in triples}:
            hits = counties.find(text)
            if len(hits) > 1:
                hits = [code for code in hits if _overlaps(code, 6, prefix)] or hits
            if not hits:
                county_of[text] = (
                    None,
                    (_("There is no county named “%(name)s”.") % {"name": text}, "unknown_county"),
                )
            elif len(hits) > 1:
                county_of[text] = (None, self._ambiguous(text, hits))
            elif not _overlaps(hits[0], 6, prefix):
                county_of[text] = (None, self._outside(text))
            else:
                county_of[text] = (hits[0], None)

        county_codes = sorted({code for code, _e in county_of.values() if code})
        townships_by_county: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for chunk in chunks(county_codes):
            for code, name, parent, path in Region.objects.filter(
                level=RegionLevel.TOWNSHIP, parent_id__in=chunk
            ).values_list("code", "name", "parent_id", "path"):
                townships_by_county[parent].append((code, name))
                self.township_paths[code] = path
        township_index = {c: _NameIndex(items) for c, items in townships_by_county.items()}

        township_of: dict[tuple[str, str], tuple[str | None, tuple[str, str] | None]] = {}
        for county_text, township_text, _v in triples:
            key = (county_text, township_text)
            if key in township_of:
                continue
            county_code, _e = county_of[county_text]
            if county_code is None:
                continue
            index = township_index.get(county_code)
            hits = index.find(township_text) if index else []
            if not hits:
                problem = (
                    _("There is no township named “%(name)s” in %(county)s.")
                    % {"name": township_text, "county": county_text},
                    "unknown_township",
                )
                township_of[key] = (None, problem)
            elif len(hits) > 1:
                township_of[key] = (None, self._ambiguous(township_text, hits))
            elif not _overlaps(hits[0], 9, prefix):
                township_of[key] = (None, self._outside(township_text))
            else:
                township_of[key] = (hits[0], None)

        township_codes = sorted({code for code, _e in township_of.values() if code})
        villages_by_township: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for chunk in chunks(township_codes):
            for code, name, parent in Region.objects.filter(
                level=RegionLevel.VILLAGE, parent_id__in=chunk
            ).values_list("code", "name", "parent_id"):
                villages_by_township[parent].append((code, name))
        village_index = {t: _NameIndex(items) for t, items in villages_by_township.items()}

        for triple in triples:
            county_text, township_text, village_text = triple
            place = _Place()
            self.places[triple] = place
            county_code, problem = county_of[county_text]
            if county_code is None:
                place.error_column = "county"
                place.error_message, place.error_code = problem
                continue
            township_code, problem = township_of[(county_text, township_text)]
            if township_code is None:
                place.error_column = "township"
                place.error_message, place.error_code = problem
                continue
            place.township_code = township_code
            index = village_index.get(township_code)
            hits = index.find(village_text) if index else []
            if len(hits) > 1:
                place.error_column = "village"
                place.error_message, place.error_code = self._ambiguous(village_text, hits)
            elif hits:
                if hits[0].startswith(prefix):
                    place.village_code = hits[0]
                else:
                    place.error_column = "village"
                    place.error_message, place.error_code = self._outside(village_text)
            elif not township_code.startswith(prefix):
                # Only someone whose area contains the township may add a village to it.
                place.error_column = "village"
                place.error_message, place.error_code = self._outside(village_text)
            else:
                key = (township_code, region_core(region_key(village_text)))
                code = self.new_villages.get(key)
                if code is None:
                    code = self._free_village_code(
                        township_code, villages_by_township.get(township_code, [])
                    )
                    self.new_villages[key] = code
                    villages_by_township[township_code].append((code, village_text))
                place.village_code = code
                place.new_village = village_text

        for row in self.rows:
            if row.place is None:
                continue
            place = self.places[row.place]
            if place.error_column:
                value = row.place[("county", "township", "village").index(place.error_column)]
                self._error(row, place.error_column, value, place.error_message, place.error_code)

    def _ambiguous(self, text: str, codes: list[str]) -> tuple[str, str]:
        paths = dict(Region.objects.filter(code__in=codes).values_list("code", "path"))
        return (
            _("“%(name)s” matches several places: %(candidates)s. Write the full name.")
            % {"name": text, "candidates": _join(paths.get(code, code) for code in codes)},
            "ambiguous_region",
        )

    def _outside(self, text: str) -> tuple[str, str]:
        return (
            _("“%(name)s” is outside your area (%(scope)s); you can only import your own area.")
            % {"name": text, "scope": self.scope_name or "-"},
            "outside_scope",
        )

    @staticmethod
    def _free_village_code(township_code: str, siblings: list[tuple[str, str]]) -> str:
        used = {int(code[9:]) for code, _name in siblings}
        candidate = max(used, default=200) + 1
        if candidate > 999:
            candidate = next(n for n in range(1, 1000) if n not in used)
        return f"{township_code[:9]}{candidate:03d}"

    def _check_households(self) -> None:
        """All rows of a 户编号 in one village; household columns agreeing across the rows."""
        share = {}.setdefault
        for number, rows in self.groups.items():
            reference = None
            for row in rows:
                if row.place is None or self.places[row.place].error_column:
                    continue
                code = self.places[row.place].village_code
                if reference is None:
                    reference = (row, code)
                elif code != reference[1]:
                    first = reference[0]
                    self._error(
                        row,
                        "village",
                        row.place[2],
                        _(
                            "Household %(number)s is in %(village)s in row %(row)d; all members "
                            "of a household must be in the same village."
                        )
                        % {"number": number, "village": first.place[2], "row": first.number},
                        "household_village",
                    )
            # Household columns: the head's row speaks for the household, else the first row.
            ordered = sorted(rows, key=lambda r: r.relation != Relation.HEAD)
            chosen: dict[str, tuple[Any, _Row]] = {}
            for row in ordered:
                for key, value in row.values.items():
                    if value is None:
                        continue
                    if key not in chosen:
                        chosen[key] = (value, row)
                    elif chosen[key][0] != value:
                        source = chosen[key][1]
                        self._warn(
                            row,
                            key,
                            _show(row.raw_cell(key)),
                            _(
                                "Differs from row %(row)d of the same household; the value of "
                                "row %(row)d is used."
                            )
                            % {"row": source.number},
                            "household_conflict",
                        )
            # A few hundred combinations for 150,000 households: one dict each, shared.
            choice = tuple((key, value) for key, (value, _r) in chosen.items())
            self.household_choices[number] = share(choice, dict(choice))

    def _load_existing(self) -> None:
        """Look up the registered households, people and cards the file names, a chunk at a
        time, and keep them small: a household or card as a slotted record, a person compared
        with their row as their chunk arrives (:meth:`_register`)."""
        share = {}.setdefault  # a few hundred distinct villages and choices
        # Sorted, so that each chunk is a narrow range of numbers: with the range the planner
        # takes the index for ``= ANY`` (see the diseases below).
        numbers = sorted(self.groups)
        for chunk in chunks(numbers):
            same = {number: number for number in chunk}  # the group's own string as the key
            households = Household.objects.filter(number__gte=chunk[0], number__lte=chunk[-1])
            for values in filter_in(households, "number", chunk).values_list(
                "number", *_Household.__slots__
            ):
                number, pk, *rest = values
                self.existing_households[same.get(number, number)] = _Household(
                    pk, *(share(value, value) for value in rest)
                )
        if "diseases" in self.present or any(row.card for row in self.rows):
            self.disease_ids = dict(Disease.objects.values_list("code", "id"))
        code_of = {pk: code for code, pk in self.disease_ids.items()}
        # The stored index is the hex of the 32 bytes a row holds; made a chunk at a time.
        indexes = [row for row in self.rows if row.packed[0]]
        # A person's household, from the households the file names (read above), else read by
        # id: joined in the members' query, PostgreSQL hashed the whole household table for
        # each chunk of members (24 ms a chunk at 500,000 people).
        number_of = {household.id: number for number, household in self.existing_households.items()}
        elsewhere: dict[int, tuple[str, str]] = {}  # households the file does not name
        for rows in chunks(indexes):
            chunk = [row.index.hex() for row in rows]
            found = {
                values[0]: values
                for values in filter_in(Member.objects.all(), "id_number_index", chunk).values_list(
                    "id_number_index",
                    "id",
                    "household_id",
                    "name",
                    "relation",
                    "ethnicity",
                    "phone",
                    "health_status",
                )
            }
            unknown = sorted(
                {v[2] for v in found.values() if v[2] not in number_of and v[2] not in elsewhere}
            )
            if unknown:
                for pk, number, village in filter_in(
                    Household.objects.all(), "id", unknown
                ).values_list("id", "number", "village_id"):
                    elsewhere[pk] = (number, village)
            diseases: dict[int, set[str]] = defaultdict(set)
            if "diseases" in self.present and found:
                ids = [v[1] for v in found.values()]
                # The range adds nothing to the result; it makes PostgreSQL's planner take the
                # (member, disease) index: on its own, ``= ANY`` of a thousand ids was planned as
                # a scan of the whole table, each chunk (20 ms a chunk at 500,000 people, 0.7
                # with the range: the re-import's plan stage grew with the square of the rows).
                for member_id, disease_id in filter_in(
                    MemberDisease.objects.filter(member_id__gte=min(ids), member_id__lte=max(ids)),
                    "member_id",
                    ids,
                ).values_list("member_id", "disease_id"):
                    diseases[member_id].add(code_of[disease_id])
            for row, key in zip(rows, chunk, strict=True):
                values = found.get(key)
                if values is not None:
                    _index, pk, household_id, name, relation, ethnicity, phone, health = values
                    number = number_of.get(household_id)
                    if number is not None:
                        village = self.existing_households[number].village_id
                    else:
                        number, village = elsewhere[household_id]
                    have = diseases.get(pk)
                    self._register(
                        row,
                        _Registered(
                            pk,
                            number,
                            share(village, village),
                            name,
                            share(relation, relation),
                            share(ethnicity, ethnicity),
                            phone,
                            share(health, health),
                            share(frozenset(have), frozenset(have)) if have else frozenset(),
                        ),
                    )
        card_numbers = sorted({row.card for row in self.rows if row.card})
        for chunk in chunks(card_numbers):
            for values in filter_in(SpecialCard.objects.all(), "number", chunk).values_list(
                "number", "id", "member_id", "disease__code"
            ):
                self.existing_cards[values[0]] = _Card(*values[1:])

        prefix = self.prefix
        for number, rows in self.groups.items():
            existing = self.existing_households.get(number)
            if existing is not None and not existing["village_id"].startswith(prefix):
                for row in rows:
                    self._error(
                        row,
                        "household_number",
                        number,
                        _("Household number %(number)s is registered outside your area.")
                        % {"number": number},
                        "household_outside_scope",
                    )
        for row in self.rows:
            registered = self.registered.get(row.number)
            if registered is not None and not registered.village_id.startswith(prefix):
                self._error(
                    row,
                    "id_number",
                    row.masked,
                    _("This person is registered in a household outside your area."),
                    "member_outside_scope",
                )
            if row.card:
                card = self.existing_cards.get(row.card)
                if card is not None and card.member_id != row.pk:
                    self._error(
                        row,
                        "card_number",
                        row.card,
                        _("Card number %(number)s is already issued to another person.")
                        % {"number": row.card},
                        "card_taken",
                    )

    def _register(self, row: _Row, existing: _Registered) -> None:
        """Note the registered person the row's ID number names: their id on the row, and
        their record only when the row changes something about them or they are outside the
        user's area (not so for most rows of a re-import); the plan reads it again."""
        row.pk = existing.id
        changed, add, remove = _member_changes(row, existing, self.present)
        if changed or add or remove or not existing.village_id.startswith(self.prefix):
            self.registered[row.number] = existing

    def _plan_records(self) -> None:
        result = self.result
        present = self.present
        outcomes = result.row_outcomes
        share = {}.setdefault
        household_failed = {
            number for number, rows in self.groups.items() if any(r.household_error for r in rows)
        }
        # Households.
        written_households: set[str] = set()
        for number, rows in self.groups.items():
            valid = [r for r in rows if not r.error and not r.household_error]
            if number in household_failed or not valid:
                result.households.skipped += 1
                continue
            written_households.add(number)
            place = self.places[valid[0].place]
            chosen = self.household_choices.get(number, {})
            existing = self.existing_households.get(number)
            target = self._household_values(chosen, existing, place.village_code)
            if existing is None:
                result.households.created += 1
                # Equal values shared (read only): a village's new households repeat a few.
                target = share(tuple(target.items()), target)
                self.plan_households.append(_Plan(number=number, new=True, values=target))
            else:
                changed = {k: v for k, v in target.items() if existing[k] != v}
                if changed:
                    result.households.updated += 1
                    self.plan_households.append(
                        _Plan(
                            number=number,
                            new=False,
                            id=existing["id"],
                            values=changed,
                            before={k: existing[k] for k in changed},
                        )
                    )
                else:
                    result.households.unchanged += 1

        # Members.
        for row in self.rows:
            if row.error or row.household_error or row.household_number not in written_households:
                result.members.skipped += 1
                outcomes[row.number] = "skipped"
                continue
            existing = self.registered.get(row.number)
            if row.pk is None:
                result.members.created += 1
                outcomes[row.number] = "created"
                # The values follow from the row: made when written (_member_values).
                plan = _NewMember(row, present)
            elif existing is None:  # registered, and the row changes nothing
                outcomes[row.number] = "unchanged"
                result.members.unchanged += 1
                if row.card:
                    self._plan_card(row)
                continue
            else:
                plan = _Plan(row=row, new=False, id=existing.id, registered=existing)
                changed, add, remove = _member_changes(row, existing, present)
                if "household" in changed:
                    result.moves.append(
                        MemberMove(
                            row.number,
                            row.name,
                            row.masked,
                            existing.household_number,
                            row.household_number,
                        )
                    )
                plan["add_diseases"], plan["remove_diseases"] = add, remove
                plan["values"] = changed
                plan["before"] = {
                    k: existing.household_number if k == "household" else existing[k]
                    for k in changed
                }
                if changed or add or remove:
                    result.members.updated += 1
                    outcomes[row.number] = "updated"
                else:
                    outcomes[row.number] = "unchanged"
            if plan["new"] or plan["values"] or plan["add_diseases"] or plan["remove_diseases"]:
                self.plan_members.append(plan)
                row.plan = plan
            else:
                result.members.unchanged += 1
            if row.card:
                self._plan_card(row)

        self.written_households = written_households
        used = {plan["values"].get("village_id") for plan in self.plan_households}
        result.villages_created = [
            self._village_path(code, place)
            for code, place in self._new_village_places().items()
            if code in used
        ]

    def _new_village_places(self) -> dict[str, _Place]:
        places: dict[str, _Place] = {}
        for place in self.places.values():
            if place.new_village:
                places.setdefault(place.village_code, place)
        return places

    def _village_path(self, code: str, place: _Place) -> str:
        return f"{self.township_paths.get(place.township_code, '')}/{place.new_village}"

    def _household_values(
        self, chosen: dict[str, Any], existing: dict[str, Any] | None, village_code: str
    ) -> dict[str, Any]:
        present = self.present
        values: dict[str, Any] = {"village_id": village_code}
        attribute = chosen.get("poverty_attribute")
        if attribute is not None:
            values["poverty_attribute"] = attribute
        elif existing is None:
            values["poverty_attribute"] = PovertyAttribute.GENERAL
        if "poverty_cause" in present:
            values["poverty_cause"] = chosen.get("poverty_cause") or ""
        elif existing is None:
            values["poverty_cause"] = ""
        if "illness_caused" in present or "poverty_cause" in present:
            flag = chosen.get("illness_caused")
            if flag is None:
                cause = values.get("poverty_cause", existing["poverty_cause"] if existing else "")
                flag = cause == PovertyCause.ILLNESS
            values["illness_caused"] = flag
        elif existing is None:
            values["illness_caused"] = False
        if "lifted_year" in present:
            year = chosen.get("lifted_year")
            if year is not None:
                values["status"], values["lifted_year"] = PovertyStatus.LIFTED, year
            elif existing is not None and existing["status"] == PovertyStatus.MONITORED:
                values["lifted_year"] = None
            else:
                values["status"], values["lifted_year"] = PovertyStatus.REGISTERED, None
        elif existing is None:
            values["status"], values["lifted_year"] = PovertyStatus.REGISTERED, None
        return values

    def _plan_card(self, row: _Row) -> None:
        disease = card_disease(row.diseases or ()) if row.diseases is not None else None
        card = self.existing_cards.get(row.card)
        if card is None:
            self.result.cards.created += 1
            self.plan_cards.append(_Plan(row=row, number=row.card, disease=disease))
        elif row.diseases is not None and card["disease__code"] != disease:
            self.result.cards.updated += 1
            self.plan_cards.append(
                _Plan(
                    row=row,
                    number=row.card,
                    disease=disease,
                    id=card["id"],
                    before=card["disease__code"],
                )
            )
        else:
            self.result.cards.unchanged += 1

    def _finish_report(self) -> None:
        """Sort the messages by row and keep the rejected rows for the error file."""
        result = self.result
        result.errors.sort(key=lambda e: e.row)
        result.warnings.sort(key=lambda w: w.row)
        household_failed = {
            number for number, rows in self.groups.items() if any(r.household_error for r in rows)
        }
        rejected: list[tuple[_Row, str]] = []
        for row in self.rows:
            errors = self.row_errors.get(row.number)
            if errors:
                message = "; ".join(f"{e.column}: {e.message}" for e in errors)
            elif row.household_number in household_failed:
                first = next(r for r in self.groups[row.household_number] if r.household_error)
                message = _(
                    "Not imported: row %(row)d of the same household has an error in a household "
                    "column."
                ) % {"row": first.number}
                # Named in the result too: every row left out is accounted for, not only the
                # rows with errors of their own.
                result.not_imported.append(
                    RowNote(
                        row.number,
                        LABELS["household_number"],
                        row.household_number,
                        message,
                        "household_refused",
                    )
                )
            else:
                continue
            rejected.append((row, message))
        if not self.keep_source and rejected:
            # The rows as read were not kept: read the file again for the rejected ones.
            raw = self.sheet.rows.raw_rows(row.number for row, _m in rejected)
        else:
            raw = {row.number: row.source.raw for row, _m in rejected}
        result.rejected_rows.extend((row.number, raw[row.number], m) for row, m in rejected)

    # -- stage 4: write --------------------------------------------------------------------------

    def write(self) -> None:
        """Write the plan in bulk and audit it; the caller holds the transaction.

        On PostgreSQL the COPY streams go through a :class:`CopyStream`, so the server stores
        one table while this thread builds the next rows; every id is reserved before it starts,
        and the few statements this thread runs itself wait for the stream to drain first.
        """
        new_households = [p for p in self.plan_households if p["new"]]
        new_members = [p for p in self.plan_members if p["new"]]
        new_cards = [p for p in self.plan_cards if "id" not in p]
        now = timezone.now()
        self._write_villages(now)
        household_pks = BulkTable(Household, now).allocate_ids(len(new_households))
        member_pks = BulkTable(Member, now).allocate_ids(len(new_members))
        for plan, pk in zip(new_members, member_pks, strict=True):
            plan.row.pk = pk
        del member_pks
        card_pks = BulkTable(SpecialCard, now).allocate_ids(len(new_cards))
        with CopyStream.open() as stream:
            self._write_records(now, stream, new_households, household_pks, new_members)
            self._write_diseases_and_cards(now, stream, new_cards, card_pks)
        self._send_members_changed()
        registry_changed()  # households changed without their members too
        self._refresh_statistics()

    def _write_new_household_rows(self) -> None:
        """One audit row per household the import created, with its members and their cards.

        A county's first import creates some 15,000 households and 50,000 people: a row per
        person as well made the audit table take 68,000 rows, a fifth of the import's time.
        The household's row names every member created with it (masked ID number, values,
        diseases, card), and each member's history finds it there
        (``households.selectors.member_history``).  Members an import adds to a household that
        already exists, and every update, keep rows of their own.
        """
        build = audit.build_row
        household_ids = self.household_ids
        cards = {
            plan.row.number: {"number": plan["number"], "disease": plan["disease"]}
            for plan in self.plan_cards
            if "id" not in plan
        }
        for plan in self.new_household_plans:
            number = plan["number"]
            records = []
            for row in self.groups[number]:
                member = row.plan
                if member is None or not member.new:
                    continue
                record = {
                    "id": row.pk,
                    "id_number_masked": row.masked,
                    **_json(member.values),
                }
                if member.add_diseases:
                    record["diseases"] = list(member.add_diseases)
                card = cards.get(row.number)
                if card is not None:
                    record["card"] = card
                records.append(record)
            after = {**_json({"number": number, **plan["values"]}), "members": records}
            count = len(records)
            self.entries.append(
                build(
                    action=AuditAction.CREATE,
                    by=self.by,
                    target_type="households.household",
                    target_id=household_ids[number],
                    target_repr=number,
                    after=after,
                    message=ngettext(
                        "Imported with %(count)d member", "Imported with %(count)d members", count
                    )
                    % {"count": count},
                    region_code=plan["values"]["village_id"],
                )
            )

    def _send_members_changed(self) -> None:
        """Tell the apps that derive data from the registry which members this import created
        or changed (``households.signals``), in the import's transaction.

        A household that moved to another village moves all its members, those the file does
        not list included, so they are looked up.
        """
        # Every planned member is created or changed (unchanged ones have no plan).  A list,
        # sorted and without repeats below: a set of a prefecture's 500,000 ids took 20 MB.
        changed = [plan.row.pk for plan in self.plan_members]
        changed.extend(plan.row.pk for plan in self.plan_cards)
        moved = [
            plan["id"]
            for plan in self.plan_households
            if not plan["new"] and "village_id" in plan["values"]
        ]
        for chunk in chunks(moved):
            changed.extend(
                Member.objects.filter(household_id__in=chunk).values_list("id", flat=True)
            )
        changed.sort()
        changed = [pk for pk, _same in groupby(changed)]
        if changed:
            members_changed.send(sender=Member, member_ids=changed)

    def _write_villages(self, now: dt.datetime) -> None:
        """Villages first: households point at them.  (A handful: the ORM's bulk_create.)"""

        needed = {plan["values"].get("village_id") for plan in self.plan_households}
        regions = [
            Region(
                code=code,
                name=place.new_village,
                level=RegionLevel.VILLAGE,
                parent_id=place.township_code,
                path=self._village_path(code, place),
            )
            for code, place in self._new_village_places().items()
            if code in needed
        ]
        if regions:
            Region.objects.bulk_create(regions)
            entries = []
            for region in regions:
                entries.append(
                    audit.build_row(
                        action=AuditAction.CREATE,
                        by=self.by,
                        target_type=Region._meta.label_lower,
                        target_id=region.pk,
                        target_repr=str(region),
                        after={
                            "code": region.code,
                            "name": region.name,
                            "parent": region.parent_id,
                        },
                        message=_("Village created by a roster import"),
                        region_code=region.code,
                    )
                )
            BulkTable(AuditLog, now).insert(entries)

    def _write_records(
        self,
        now: dt.datetime,
        stream: CopyStream | None,
        new_households: list[_Plan],
        household_pks: list[int],
        new_members: list[_Plan],
    ) -> None:
        """Households and members, created and changed, with their audit rows.

        The rows to insert are made :data:`WRITE_CHUNK` at a time, so a prefecture's roster
        never has all its statement parameters in memory at once.
        """
        actor_id = self.actor.pk if self.actor is not None else None
        entries = self.entries = AuditBuffer(now, stream)
        build = audit.build_row

        households = BulkTable(Household, now, stream)
        household_ids = {number: h.id for number, h in self.existing_households.items()}
        for plan, pk in zip(new_households, household_pks, strict=True):
            household_ids[plan["number"]] = pk
        self.household_ids = household_ids
        for chunk in chunks(new_households, WRITE_CHUNK):
            households.insert(
                [
                    {
                        "id": household_ids[p["number"]],
                        "number": p["number"],
                        "created_by_id": actor_id,
                        **p["values"],
                    }
                    for p in chunk
                ]
            )
        # A new household's audit row is written last: it carries the members created with
        # it (and their cards), who get no rows of their own (see _write_new_household_rows).
        self.new_household_plans = new_households
        new_numbers = {plan["number"] for plan in new_households}
        changed_households = [p for p in self.plan_households if not p["new"]]
        if changed_households:
            fields = sorted({key for p in changed_households for key in p["values"]})
            households.update(
                fields,
                [
                    (p["id"], {**self.existing_households[p["number"]], **p["values"]})
                    for p in changed_households
                ],
            )
            for plan in changed_households:
                entries.append(
                    build(
                        action=AuditAction.UPDATE,
                        by=self.by,
                        target_type="households.household",
                        target_id=plan["id"],
                        target_repr=plan["number"],
                        before=_json(plan["before"]),
                        after=_json(plan["values"]),
                        region_code=plan["values"].get("village_id")
                        or self.existing_households[plan["number"]]["village_id"],
                    )
                )

        # Members: the number is encrypted only for people not registered yet.
        members = BulkTable(Member, now, stream)
        encrypt = encryptor()
        village_of = self.village_of = {number: self._village_of(number) for number in self.groups}
        for chunk in chunks(new_members, WRITE_CHUNK):
            members.insert(
                [
                    {
                        "id": p.row.pk,
                        "household_id": household_ids[p.row.household_number],
                        "id_number_cipher": encrypt(p.row.id_number),
                        "id_number_index": p.row.index.hex(),
                        "id_number_masked": p.row.masked,
                        "created_by_id": actor_id,
                        **p.values,
                    }
                    for p in chunk
                ]
            )
        changed_members = [p for p in self.plan_members if not p["new"] and p["values"]]
        if changed_members:
            fields = sorted(
                {
                    "household_id" if k == "household" else k
                    for p in changed_members
                    for k in p["values"]
                }
            )
            updates = []
            for plan in changed_members:
                values = {**plan.registered, **plan["values"]}
                values["household_id"] = household_ids[plan["row"].household_number]
                updates.append((plan["id"], values))
            members.update(fields, updates)

        for plan in self.plan_members:
            row = plan.row
            if plan.new:
                if row.household_number in new_numbers:
                    continue  # listed in its household's row (_write_new_household_rows)
                after = {
                    "household": row.household_number,
                    "id_number_masked": row.masked,
                    **_json(plan.values),
                }
                if plan.add_diseases:
                    after["diseases"] = list(plan.add_diseases)
                entries.append(
                    build(
                        action=AuditAction.CREATE,
                        by=self.by,
                        target_type="households.member",
                        target_id=row.pk,
                        target_repr=f"{row.name} ({row.masked})",
                        after=after,
                        region_code=village_of[row.household_number],
                    )
                )
                continue
            before = _json(plan["before"])
            after = _json(plan["values"])
            if plan["add_diseases"] or plan["remove_diseases"]:
                before["diseases"] = sorted(plan.registered.diseases)
                after["diseases"] = list(row.diseases or ())
            message = ""
            if "household" in plan["values"]:
                message = _("Moved from household %(from)s to %(to)s") % {
                    "from": plan["before"]["household"],
                    "to": row.household_number,
                }
            entries.append(
                build(
                    action=AuditAction.UPDATE,
                    by=self.by,
                    target_type="households.member",
                    target_id=plan["id"],
                    target_repr=f"{row.name} ({row.masked})",
                    before=before,
                    after=after,
                    message=message,
                    region_code=village_of[row.household_number],
                )
            )

    def _write_diseases_and_cards(
        self,
        now: dt.datetime,
        stream: CopyStream | None,
        new_cards: list[dict[str, Any]],
        card_pks: list[int],
    ) -> None:
        """Diagnoses and special cards, their audit rows, then the import's own row."""
        actor_id = self.actor.pk if self.actor is not None else None
        entries, build = self.entries, audit.build_row
        village_of = self.village_of

        # Diseases: set to exactly what the file lists.
        disease_ids = self.disease_ids
        wanted = {code for plan in self.plan_members for code in plan["add_diseases"]}
        wanted.update(plan["disease"] for plan in self.plan_cards if plan["disease"])
        if not wanted <= disease_ids.keys():
            # The catalogue ships as data (a migration fills the table); bring the table up to
            # date rather than drop a diagnosis the file states.
            drain(stream)
            disease_catalogue_sync()
            disease_ids.update(Disease.objects.values_list("code", "id"))
        removals: dict[int, set[int]] = defaultdict(set)
        for plan in self.plan_members:
            for code in plan["remove_diseases"]:
                removals[plan.row.pk].add(disease_ids[code])
        if removals:
            drain(stream)
            doomed = []
            for chunk in chunks(list(removals)):
                for pk, member_id, disease_id in filter_in(
                    MemberDisease.objects.all(), "member_id", chunk
                ).values_list("id", "member_id", "disease_id"):
                    if disease_id in removals[member_id]:
                        doomed.append(pk)
            for chunk in chunks(doomed):
                MemberDisease.objects.filter(id__in=chunk).delete()
        diagnoses = BulkTable(MemberDisease, now, stream)
        for chunk in chunks(self.plan_members, WRITE_CHUNK):
            diagnoses.insert(
                [
                    {"member_id": plan.row.pk, "disease_id": disease_ids[code]}
                    for plan in chunk
                    for code in plan.add_diseases
                    if code in disease_ids
                ]
            )

        # Special cards.
        cards = BulkTable(SpecialCard, now, stream)
        changed_cards = [p for p in self.plan_cards if "id" in p]
        card_ids = dict(zip([p["number"] for p in new_cards], card_pks, strict=True))
        cards.insert(
            [
                {
                    "id": card_ids[p["number"]],
                    "member_id": p.row.pk,
                    "number": p["number"],
                    "disease_id": disease_ids.get(p["disease"]) if p["disease"] else None,
                    "created_by_id": actor_id,
                }
                for p in new_cards
            ]
        )
        if changed_cards:
            cards.update(
                ["disease_id"],
                [
                    (
                        p["id"],
                        {"disease_id": disease_ids.get(p["disease"]) if p["disease"] else None},
                    )
                    for p in changed_cards
                ],
            )
        new_numbers = {plan["number"] for plan in self.new_household_plans}
        for plan in self.plan_cards:
            new = "id" not in plan
            member = plan.row.plan
            if (
                new
                and member is not None
                and member.new
                and plan.row.household_number in new_numbers
            ):
                continue  # listed in its household's row, with the member
            entries.append(
                build(
                    action=AuditAction.CREATE if new else AuditAction.UPDATE,
                    by=self.by,
                    target_type="households.specialcard",
                    target_id=card_ids[plan["number"]] if new else plan["id"],
                    target_repr=plan["number"],
                    before=None if new else {"disease": plan["before"]},
                    after={"member": plan["row"].masked, "disease": plan["disease"]}
                    if new
                    else {"disease": plan["disease"]},
                    region_code=village_of[plan["row"].household_number],
                )
            )

        self._write_new_household_rows()

        # One row that tells the story, then every record's own row.
        summary = self.result.as_dict()
        for key in (
            "errors",
            "warnings",
            "moves",
            "extra_headers",
            "file_error",
            "file_error_code",
        ):
            summary.pop(key, None)
        summary["applied"] = True
        summary["error_count"] = len(self.result.errors)
        summary["warning_count"] = len(self.result.warnings)
        summary["moved"] = len(self.result.moves)
        entries.append(
            build(
                action=AuditAction.IMPORT,
                by=self.by,
                target_type="households.roster",
                target_repr=self.result.filename,
                after=summary,
                message=" ".join(self.result.summary_lines()[1:3]),
                region_code=self.scope_code or _common_region(village_of.values()),
            ),
        )
        entries.flush()

    def _refresh_statistics(self) -> None:
        """After a bulk load, PostgreSQL's planner statistics still describe the old tables
        (autovacuum catches up a minute or more later), and plans made for "empty" tables are
        slow: when the import added many records, ask a worker to ``ANALYZE`` the registry's
        tables once the import has committed (the user does not wait for it)."""
        result = self.result
        if connection.vendor != "postgresql":
            return
        if result.members.created + result.households.created < ANALYZE_AFTER:
            return
        # robust: the import has committed; a broker that is down must not turn it into an error.
        transaction.on_commit(analyze_registry.delay, robust=True)

    def _village_of(self, number: str) -> str:
        for row in self.groups[number]:
            if row.place is not None:
                place = self.places.get(row.place)
                if place is not None and place.village_code:
                    return place.village_code
        existing = self.existing_households.get(number)
        return existing["village_id"] if existing else ""


def _json(values: dict[str, Any]) -> dict[str, Any]:
    """Audit values as JSON: dates as ISO text; what ``Member.audit_exclude`` names is left out
    (the birth date with the masked number would rebuild the full ID number)."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in values.items()
        if key not in Member.audit_exclude
    }


def _household_snapshot(household: Household) -> dict[str, Any]:
    return {
        "number": household.number,
        "village_id": household.village_id,
        "poverty_attribute": household.poverty_attribute,
        "status": household.status,
        "lifted_year": household.lifted_year,
        "poverty_cause": household.poverty_cause,
        "illness_caused": household.illness_caused,
    }


def _common_region(codes: Iterable[str]) -> str:
    """The deepest region containing all ``codes`` (for the audit row of an unscoped import)."""
    prefix = os.path.commonprefix([code for code in codes if code])
    for length in (12, 9, 6, 4, 2):
        if len(prefix) >= length:
            return prefix[:length].ljust(12, "0")
    return ""


def _refuse(result: ImportResult, message: str, code: str) -> ImportResult:
    result.file_error, result.file_error_code = message, code
    return result


def roster_import(
    *,
    source: bytes | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    by,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a 建档立卡 roster (xlsx, xls or csv): all or nothing unless ``skip_invalid``.

    ``by`` is the user who imports (``None`` for an operator's command-line run without
    ``--user``, which is unscoped); only roles that may write the registry can import, and only
    rows of their own area.  A dry run reads and checks everything and writes nothing.

    The reading and checking run outside the transaction: holding SQLite's write lock (taken at
    BEGIN) through seconds of parsing would stall every other writer.  The look-ups the plan is
    based on and every write then run in one ``transaction.atomic`` block, so the import either
    lands whole or not at all.
    """
    name = os.path.basename(os.fspath(filename or getattr(source, "name", "") or ""))
    result = ImportResult(filename=name, dry_run=dry_run, skip_invalid=skip_invalid)
    if by is not None and not can_write_registry(by):
        return _refuse(result, _("Your role may not import rosters."), "forbidden")
    if by is not None and scope_prefix(by) is None:
        return _refuse(result, _("Your account has no area assigned."), "forbidden")
    with collector_paused():
        try:
            # Streamed: the rows are checked as they are read and only what the plan needs of
            # each is kept (see _Row), so memory grows by a few hundred bytes a row.
            sheet = open_table(
                source, filename, ROSTER_COLUMNS, max_bytes=settings.ROSTER_MAX_BYTES
            )
        except FileRefused as exc:
            return _refuse(result, exc.message, exc.code)
        roster = RosterImport(sheet, by=by, result=result, progress=progress, keep_source=False)
        try:
            roster.normalise()
        except FileRefused as exc:  # a workbook that breaks off mid-way
            return _refuse(result, exc.message, exc.code)
        if dry_run:
            roster.plan()
            return result
        with transaction.atomic(), bulk_session(REGISTRY_MODELS):
            roster.plan()
            if result.errors and not skip_invalid:
                return result
            roster.write()
            result.applied = True
        return result
