"""Read an uploaded spreadsheet into numbered rows keyed by column, whatever the file looks like.

Rosters come from the national poverty-alleviation system and are then edited by hand in Excel or
WPS: a merged title row and blank rows sit above the header, header cells carry line breaks and
full-width characters, CSV files are saved as GBK by Chinese Excel, and people upload the wrong
file.  This module absorbs all of that and raises :class:`FileRefused` (a user-facing message
plus a stable ``code``) for anything it cannot read; it never raises on bad *content*.

It knows nothing about models: each import passes its own column spec (the roster's
``households.importing.columns.ROSTER_COLUMNS``, the contracts', the settlements') and gets back
raw cell values; cleaning them is the job of :mod:`.normalize` and of the import's own
normalisers.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import os
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from healthaid.importing.normalize import to_halfwidth

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_UPLOAD_BYTES",
    "ColumnSpec",
    "ParsedSheet",
    "RawTable",
    "FileRefused",
    "SourceRow",
    "check_archive",
    "decode_text",
    "load_table",
    "open_table",
    "SheetRows",
    "normalize_header",
    "parse_table",
    "read_table",
]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Upload cap: a county roster of 50,000 members is about 5 MB as xlsx, so 20 MB is generous."""

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
"""Default of ``IMPORT_MAX_UNCOMPRESSED_BYTES``: what an xlsx may inflate to.  A county's 50,000
rows are some 40 MB of sheet XML; a zip bomb of 1.7 MB inflated to 439 MB."""

MAX_ROWS = 500_000
"""Default of ``IMPORT_MAX_ROWS``: ten counties' rosters in one sheet is still fewer."""

_ARCHIVE_CHUNK = 1024 * 1024
_MAX_ARCHIVE_MEMBERS = 10_000

HEADER_SCAN_ROWS = 30
"""How many rows from the top may hold titles, notes and blank lines before the header."""

WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls"})
TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
ALLOWED_EXTENSIONS = WORKBOOK_EXTENSIONS | TEXT_EXTENSIONS

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and also encrypted .xlsx
_BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",  # gzip
    b"{\\rtf",
)
_CSV_DELIMITERS = (",", "\t", ";")


class FileRefused(Exception):
    """The uploaded file as a whole cannot be used; ``message`` is shown to the user as is.

    ``code`` is stable for tests and views: ``too_large``, ``unsupported_type``, ``unreadable``,
    ``html_workbook``, ``encoding``, ``malformed_csv``, ``empty``, ``no_header``,
    ``missing_columns``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One logical column: the headers it may appear under (Chinese first) and whether required.

    The first header is the canonical one used in messages and templates.
    """

    key: str
    headers: tuple[str, ...]
    required: bool = False

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass(slots=True)
class SourceRow:
    """One data row: ``number`` as Excel shows it, ``cells`` by column key, ``raw`` as read.

    ``cells`` holds the untouched values of the spec's columns (empty strings become None, a
    column absent from the file is absent here); ``raw`` is the whole row, trailing blanks cut and
    padded to the header width, so an error file can reproduce it exactly.
    """

    number: int
    cells: dict[str, Any]
    raw: list[Any]


@dataclass(slots=True)
class RawTable:
    """A sheet or CSV as read, before header detection; row ``i`` is sheet row ``i + 1``."""

    rows: list[list[Any]]
    source_format: str  # "xlsx", "xls" or "csv"
    sheet_name: str | None = None
    encoding: str | None = None


@dataclass(slots=True)
class ParsedSheet:
    """The result of reading a file against a column spec."""

    header_row_number: int
    columns: dict[str, int]
    rows: list[SourceRow]
    header: list[Any] = field(default_factory=list)
    """The header row's original cells (trailing blanks cut), for error files."""
    extra_headers: list[str] = field(default_factory=list)
    """Header texts that matched no column: ignored, but worth telling the user."""
    source_format: str = ""
    sheet_name: str | None = None
    encoding: str | None = None


# --- file level ---------------------------------------------------------------------------------


def _too_large(max_bytes: int) -> FileRefused:
    return FileRefused(
        _("The file is larger than %(limit)d MB. Split it into smaller files and upload them.")
        % {"limit": max(1, round(max_bytes / (1024 * 1024)))},
        "too_large",
    )


def _not_a_spreadsheet() -> FileRefused:
    return FileRefused(
        _("The file is not an Excel workbook or a CSV file. Check that you chose the right file."),
        "unreadable",
    )


def _read_source(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    max_bytes: int,
) -> tuple[bytes, str | None]:
    """Return the file's bytes and a name to take the extension from, enforcing the size cap.

    The cap is checked before reading where the size is known, so a huge upload is not pulled
    into memory just to be refused.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if os.path.getsize(path) > max_bytes:
            raise _too_large(max_bytes)
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        filename = filename or path
    else:  # a binary file object, e.g. Django's UploadedFile
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise _too_large(max_bytes)
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        filename = filename or getattr(source, "name", None)
        if not isinstance(data, bytes):
            raise TypeError("the file object must be opened in binary mode")
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data, filename


def _extension(filename: str | None) -> str:
    if not filename:
        return ""
    return os.path.splitext(os.fspath(filename))[1].lower()


def load_table(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    filename: str | None = None,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> RawTable:
    """Read the first visible sheet (or the CSV) of a file into a list of rows.

    The content decides the format, not the extension: users rename files, and a CSV saved as
    ``.xlsx`` is still readable.  The extension only rejects obviously wrong uploads early.
    """
    data, filename = _read_source(source, filename, max_bytes)
    ext = _extension(filename)
    if ext and ext not in ALLOWED_EXTENSIONS:
        raise FileRefused(
            _(
                "Unsupported file type “%(extension)s”. Upload an Excel workbook (.xlsx, .xls) "
                "or a CSV file."
            )
            % {"extension": ext},
            "unsupported_type",
        )
    if not data:
        raise FileRefused(_("The sheet is empty."), "empty")
    if data.startswith(_ZIP_MAGIC):
        check_archive(data)
        table = _load_workbook(data, "xlsx")
    elif data.startswith(_OLE_MAGIC):
        table = _load_workbook(data, "xls")
    elif data.startswith(_BINARY_MAGICS):
        raise _not_a_spreadsheet()
    else:
        table = _load_csv(data)
    if len(table.rows) > max_rows():
        raise _too_many_rows()
    if all(_is_blank(row) for row in table.rows):
        raise FileRefused(_("The sheet is empty."), "empty")
    return table


def max_uncompressed_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", MAX_UNCOMPRESSED_BYTES)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", MAX_ROWS)


def _inflates_too_far(limit: int) -> FileRefused:
    return FileRefused(
        _(
            "The workbook unpacks to more than %(limit)d MB, far more than a spreadsheet of this "
            "kind needs: it may be damaged or made to overload the portal. Open it in Excel, "
            "save it again, or split it into smaller files."
        )
        % {"limit": max(1, round(limit / (1024 * 1024)))},
        "too_large_unpacked",
    )


def _too_many_rows() -> FileRefused:
    return FileRefused(
        _("The sheet has more than %(limit)d rows. Split it into smaller files and upload them.")
        % {"limit": max_rows()},
        "too_many_rows",
    )


def _row_tags(data: bytes) -> int:
    # <row r="2">, or with a namespace prefix (<x:row ...>); not <rowBreaks>.
    return data.count(b"<row ") + data.count(b"<row>") + data.count(b":row ")


def check_archive(data: bytes) -> int:
    """Refuse an xlsx that would inflate too far or holds too many rows, before any reader
    unpacks it (zip bombs: a 1.7 MB file whose sheet inflates to 439 MB).

    First the sizes the archive declares, then the actual ones, unpacked a megabyte at a time
    and thrown away (Python's zipfile also stops a member at its declared size and checks its
    CRC, so a header that lies is caught too), counting the sheets' rows as they stream by.
    Memory stays at a megabyte or two whatever the file claims.  Returns the number of rows the
    sheets hold (the row tags counted), which tells the reader whether to stream.
    """
    limit = max_uncompressed_bytes()
    row_limit = max_rows()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        if len(members) > _MAX_ARCHIVE_MEMBERS:
            raise _unreadable_workbook()
        if sum(member.file_size for member in members) > limit:
            raise _inflates_too_far(limit)
        unpacked = 0
        total_rows = 0
        for member in members:
            is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(
                ".xml"
            )
            rows = 0
            tail = b""
            with archive.open(member) as stream:
                while chunk := stream.read(_ARCHIVE_CHUNK):
                    unpacked += len(chunk)
                    if unpacked > limit:
                        raise _inflates_too_far(limit)
                    if is_sheet:
                        joined = tail + chunk
                        rows += _row_tags(joined) - _row_tags(tail)
                        tail = chunk[-8:]
                        if rows > row_limit:
                            raise _too_many_rows()
            total_rows = max(total_rows, rows)
    except FileRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError):
        raise _unreadable_workbook() from None
    return total_rows


def _unreadable_workbook() -> FileRefused:
    return FileRefused(
        _(
            "The Excel workbook could not be read. It may be damaged or password-protected; "
            "open it in Excel, save it as .xlsx and upload it again."
        ),
        "unreadable",
    )


def _load_workbook(data: bytes, source_format: str) -> RawTable:
    """Read with python-calamine (fast, Rust); fall back to openpyxl for odd xlsx writers."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            metadata = book.sheets_metadata
            if not metadata:
                raise FileRefused(_("The sheet is empty."), "empty")
            index = next(
                (
                    i
                    for i, sheet in enumerate(metadata)
                    if sheet.visible == SheetVisibleEnum.Visible
                    and sheet.typ == SheetTypeEnum.WorkSheet
                ),
                0,
            )
            sheet = book.get_sheet_by_index(index)
            # skip_empty_area=False keeps row i at sheet row i + 1, so numbers match Excel's.
            rows = sheet.to_python(skip_empty_area=False)
            return RawTable(rows=rows, source_format=source_format, sheet_name=sheet.name)
    except FileRefused:
        raise
    except Exception:
        if source_format != "xlsx":
            raise _unreadable_workbook() from None
    return _load_workbook_openpyxl(data)


def _load_workbook_openpyxl(data: bytes) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # BadZipFile, KeyError for a missing part, XML errors, ...
        raise _unreadable_workbook() from None
    try:
        sheets = book.worksheets
        if not sheets:
            raise FileRefused(_("The sheet is empty."), "empty")
        sheet = next((s for s in sheets if s.sheet_state == "visible"), sheets[0])
        rows = [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
        return RawTable(rows=rows, source_format="xlsx", sheet_name=sheet.title)
    except FileRefused:
        raise
    except Exception:
        raise _unreadable_workbook() from None
    finally:
        book.close()


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: an image, archive or other non-text file."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1A))
    return controls > len(head) // 20


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, returning (text, encoding).

    Order matters: a BOM is definitive; strict UTF-8 rarely succeeds on GBK Chinese by accident;
    GB18030 is the superset of GBK and GB2312 that Chinese Excel writes.  UTF-16 with a BOM is
    what Excel's "Unicode text" export produces.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        if _looks_binary(data):
            raise _not_a_spreadsheet()
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _(
            "The text encoding of the file could not be recognised. Save it as CSV (UTF-8) or as "
            "an Excel workbook and upload it again."
        ),
        "encoding",
    )


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the top lines into the most fields (comma on ties).

    csv.Sniffer guesses badly on files whose first lines are a one-cell title.
    """
    sample = text[:65536].splitlines()[:HEADER_SCAN_ROWS]
    best, best_width = ",", 1
    for delimiter in _CSV_DELIMITERS:
        try:
            width = max((len(row) for row in csv.reader(sample, delimiter=delimiter)), default=0)
        except csv.Error:
            continue
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _load_csv(data: bytes) -> RawTable:
    text, encoding = decode_text(data)
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<table", "<?xml")) or "<table" in head:
        raise FileRefused(
            _(
                "The file is a web page or XML file saved with an Excel extension. Open it in "
                "Excel, save it as .xlsx and upload it again."
            ),
            "html_workbook",
        )
    if "\x00" in text:
        raise _not_a_spreadsheet()
    if text.count("\n") > max_rows() + HEADER_SCAN_ROWS:
        raise _too_many_rows()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows: list[list[Any]] = []
    try:
        rows.extend(reader)
    except csv.Error:
        raise FileRefused(
            _("The CSV file is malformed near record %(row)d.") % {"row": len(rows) + 1},
            "malformed_csv",
        ) from None
    return RawTable(rows=rows, source_format="csv", encoding=encoding)


# --- header detection -----------------------------------------------------------------------------

_HEADER_DROP = str.maketrans("", "", "*_-.:")


def normalize_header(value: Any) -> str:
    """Canonical form of a header cell: half-width, no whitespace at all, no ``*`` marks, lower.

    "证件\\n号码", "证件　号码", "*姓名" and "Household No" all reduce to what the spec lists.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = to_halfwidth(str(value))
    return "".join(text.split()).translate(_HEADER_DROP).casefold()


@lru_cache(maxsize=32)
def _header_lookup(columns: tuple[ColumnSpec, ...]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for spec in columns:
        for header in spec.headers:
            lookup.setdefault(normalize_header(header), spec.key)
    return lookup


def _match_header(text: str, lookup: dict[str, str]) -> str | None:
    """Exact match, then with a trailing parenthetical dropped ("联系电话(手机)")."""
    key = lookup.get(text)
    if key is None and text.endswith(")") and "(" in text:
        key = lookup.get(text[: text.rindex("(")])
    return key


def _map_header_row(row: Sequence[Any], lookup: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    mapping: dict[str, int] = {}
    extras: list[str] = []
    for index, cell in enumerate(row):
        text = normalize_header(cell)
        if not text:
            continue
        key = _match_header(text, lookup)
        if key is None:
            extras.append(to_halfwidth(str(cell)).strip())
        else:
            mapping.setdefault(key, index)
    return mapping, extras


def _is_blank(row: Iterable[Any]) -> bool:
    for value in row:
        if value is None:
            continue
        if isinstance(value, str):
            if value.strip():
                return False
            continue
        return False
    return True


def _trim(row: Sequence[Any]) -> list[Any]:
    end = len(row)
    while end and (row[end - 1] is None or (isinstance(row[end - 1], str) and not row[end - 1])):
        end -= 1
    return list(row[:end])


def _list(items: Iterable[str]) -> str:
    return pgettext("list separator", ", ").join(items)


def _find_header(
    top: Sequence[Sequence[Any]],
    columns: Sequence[ColumnSpec],
    scan_rows: int,
    min_required_matches: int,
) -> tuple[int, dict[str, int], list[str]]:
    """The header row among ``top``: its index, its column mapping and its unknown headers.

    It is the row that names the most known columns, among those naming at least
    ``min_required_matches`` required ones (fewer if the spec has fewer); refused when there is
    none or when a required column is missing.
    """
    lookup = _header_lookup(columns)
    required = [spec for spec in columns if spec.required]
    threshold = min(min_required_matches, len(required)) or 1
    required_keys = {spec.key for spec in required}
    best: tuple[int, dict[str, int], list[str]] | None = None
    for index, row in enumerate(top):
        mapping, extras = _map_header_row(row, lookup)
        if len(required_keys.intersection(mapping)) < threshold:
            continue
        if best is None or len(mapping) > len(best[1]):
            best = (index, mapping, extras)
    if best is None:
        raise FileRefused(
            _(
                "None of the expected headers were found in the first %(count)d rows. "
                "Expected headers: %(headers)s."
            )
            % {"count": scan_rows, "headers": _list(spec.label for spec in columns)},
            "no_header",
        )
    header_index, mapping, extras = best
    missing = [spec.label for spec in required if spec.key not in mapping]
    if missing:
        raise FileRefused(
            _("Required columns are missing: %(columns)s.") % {"columns": _list(missing)},
            "missing_columns",
        )
    return header_index, mapping, extras


def parse_table(
    table: RawTable,
    columns: Sequence[ColumnSpec],
    *,
    scan_rows: int = HEADER_SCAN_ROWS,
    min_required_matches: int = 3,
) -> ParsedSheet:
    """Find the header row, map it to the spec and cut the rest into :class:`SourceRow`.

    The header is the row among the first ``scan_rows`` that names the most known columns, among
    those naming at least ``min_required_matches`` required ones (fewer if the spec has fewer).
    """
    columns = tuple(columns)
    header_index, mapping, extras = _find_header(
        table.rows[:scan_rows], columns, scan_rows, min_required_matches
    )

    header = _trim(table.rows[header_index])
    width = len(header)
    items = list(mapping.items())
    keys = [key for key, _col in items]
    # The columns of one row picked in C (a 50,000-row roster, 16 columns): rows at least as
    # wide as the last mapped column take this path, shorter ones the loop below.
    reach = max(mapping.values()) + 1
    pick = operator.itemgetter(*mapping.values()) if len(items) > 1 else None
    rows: list[SourceRow] = []
    for index in range(header_index + 1, len(table.rows)):
        row = table.rows[index]
        if _is_blank(row):
            continue
        size = len(row)
        if pick is not None and size >= reach:
            cells = dict(zip(keys, pick(row), strict=True))
            if "" in cells.values():
                cells = {key: None if value == "" else value for key, value in cells.items()}
        else:
            cells = {}
            for key, col in items:
                value = row[col] if col < size else None
                cells[key] = None if value == "" else value
        raw = _trim(row)
        if len(raw) < width:
            raw.extend([None] * (width - len(raw)))
        rows.append(SourceRow(number=index + 1, cells=cells, raw=raw))
    return ParsedSheet(
        header_row_number=header_index + 1,
        columns=mapping,
        rows=rows,
        header=header,
        extra_headers=extras,
        source_format=table.source_format,
        sheet_name=table.sheet_name,
        encoding=table.encoding,
    )


def read_table(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    columns: Sequence[ColumnSpec],
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    scan_rows: int = HEADER_SCAN_ROWS,
) -> ParsedSheet:
    """Read a file (path, bytes or binary file object) and parse it against ``columns``."""
    table = load_table(source, filename, max_bytes=max_bytes)
    return parse_table(table, columns, scan_rows=scan_rows)


# --- streaming ------------------------------------------------------------------------------------

STREAM_ABOVE_ROWS = 100_000
"""Default of ``IMPORT_STREAM_ABOVE_ROWS``: workbooks with more rows are read a slice of rows at a
time (:func:`_calamine_slices`, flat memory); smaller ones with python-calamine whole, which holds
the sheet in memory (about 1.4 KB a row of 16 columns, so 140 MB at this size).  A county's
roster (50,000 rows) is read whole; a prefecture's (500,000) in slices."""

SLICE_BYTES = 4 * 1024 * 1024
"""Sheet XML handed to python-calamine at a time by :func:`_calamine_slices` (some 4,000 rows
of a roster written with inline strings, twice that with shared strings)."""

_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")
_EMPTY_SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)
_EMPTY_SHARED_STRINGS = (
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' count="0" uniqueCount="0"/>'
)
# A shared-strings table's entries, and a sheet's cells that point into it.
_SHARED_ENTRY = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_SHARED_CELL = re.compile(rb'<c((?:\s[^>]*?)?)\st="s"([^>]*)>\s*<v>(\d+)</v>\s*</c>')
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def stream_above_rows() -> int:
    return getattr(settings, "IMPORT_STREAM_ABOVE_ROWS", STREAM_ABOVE_ROWS)


def _calamine_rows(data: bytes) -> Iterator[list[Any]]:
    """The first visible worksheet's rows from sheet row 1, one list at a time (python-calamine
    holds the sheet's cells; Python holds one row)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        metadata = book.sheets_metadata
        if not metadata:
            raise FileRefused(_("The sheet is empty."), "empty")
        index = next(
            (
                i
                for i, sheet in enumerate(metadata)
                if sheet.visible == SheetVisibleEnum.Visible
                and sheet.typ == SheetTypeEnum.WorkSheet
            ),
            0,
        )
        sheet = book.get_sheet_by_index(index)
        # iter_rows starts at sheet row 1 but at the first used column: pad the columns so
        # that column i is sheet column i + 1, as to_python(skip_empty_area=False) gives.
        pad = [""] * sheet.start[1] if sheet.start else []
        for row in sheet.iter_rows():
            yield pad + row if pad else row


@dataclass(frozen=True, slots=True)
class StoredWorkbook:
    """A workbook read again from its path rather than held in memory (a prefecture's roster is
    some 45 MB of xlsx): the path, and the size and modification time it had when its bytes
    were checked (:func:`check_archive`), so that a file changed since is refused rather than
    read unchecked."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> StoredWorkbook:
        stat = os.stat(path)
        return cls(path, stat.st_size, stat.st_mtime_ns)

    def open(self) -> IO[bytes]:
        handle = open(self.path, "rb")  # noqa: SIM115 - the caller closes it
        stat = os.fstat(handle.fileno())
        if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns):
            handle.close()
            raise _unreadable_workbook()
        return handle


def _open_book(data: bytes | StoredWorkbook) -> IO[bytes]:
    try:
        return data.open() if isinstance(data, StoredWorkbook) else io.BytesIO(data)
    except OSError:
        raise _unreadable_workbook() from None


def _openpyxl_rows(data: bytes | StoredWorkbook) -> Iterator[list[Any]]:
    """The first visible worksheet's rows, parsed as they stream out of the archive."""
    import openpyxl

    handle = _open_book(data)
    try:
        yield from _openpyxl_book_rows(openpyxl, handle)
    finally:
        handle.close()


def _openpyxl_book_rows(openpyxl, handle: IO[bytes]) -> Iterator[list[Any]]:
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # BadZipFile, KeyError for a missing part, XML errors, ...
        raise _unreadable_workbook() from None
    try:
        sheets = book.worksheets
        if not sheets:
            raise FileRefused(_("The sheet is empty."), "empty")
        sheet = next((s for s in sheets if s.sheet_state == "visible"), sheets[0])
        try:
            for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True):
                yield list(row)
        except FileRefused:
            raise
        except Exception:
            raise _unreadable_workbook() from None
    finally:
        book.close()


def _worksheet_part(archive: zipfile.ZipFile) -> tuple[int, str] | None:
    """The first visible worksheet (as python-calamine picks it): its index in the workbook and
    the path of its XML in the archive; ``None`` when the workbook's parts cannot be followed."""
    from xml.etree import ElementTree

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {
        rel.get("Id"): (rel.get("Target") or "", rel.get("Type") or "")
        for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
    }
    sheets = [element for element in book.iter() if element.tag.endswith("}sheet")]
    if not sheets:
        return None
    chosen = 0
    for index, sheet in enumerate(sheets):
        _target, kind = targets.get(sheet.get(f"{{{_REL_NS}}}id"), ("", ""))
        if sheet.get("state", "visible") == "visible" and kind.endswith("/worksheet"):
            chosen = index
            break
    target, _kind = targets.get(sheets[chosen].get(f"{{{_REL_NS}}}id"), ("", ""))
    if not target:
        return None
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts: list[str] = []
    for part in path.split("/"):  # "xl/../xl/worksheets/sheet1.xml"
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    path = "/".join(parts)
    return (chosen, path) if path in archive.NameToInfo else None


def _calamine_slices(
    data: bytes | StoredWorkbook, slice_bytes: int | None = None
) -> Iterator[list[Any]]:
    """The first visible worksheet's rows from sheet row 1, as :func:`_calamine_rows` gives
    them, but never more than a slice of rows in memory: the sheet's XML is inflated as it
    streams out of the archive and cut at a ``<row`` tag every :data:`SLICE_BYTES`, and each slice is handed to
    python-calamine as a small workbook of its own (the original's workbook, styles and shared
    strings, without the other sheets, uncompressed).  Python-calamine's speed, flat memory:
    a prefecture's 500,000 rows pass in some 110 slices.

    A sheet whose XML this cannot cut (no ``sheetData`` in its first megabytes) is read with
    openpyxl's streaming parser instead.
    """
    from python_calamine import CalamineWorkbook

    slice_bytes = slice_bytes or SLICE_BYTES
    handle = _open_book(data)
    try:
        yield from _slices(CalamineWorkbook, data, handle, slice_bytes)
    finally:
        handle.close()


class _SharedStrings:
    """A workbook's shared strings, read once, put back into each slice's cells.

    Excel and WPS write every text cell as an index into ``xl/sharedStrings.xml``, one table
    for the whole sheet: a 500,000-row roster's is some 900,000 strings, 33 MB of XML. Handed
    to python-calamine with every slice, it was parsed again for each of them (some 60
    slices: 30 s to read the sheet instead of 8). Instead each cell that points into it gets
    the entry's XML inline (``t="inlineStr"``, ``<is>`` holds what ``<si>`` held: text, rich
    text runs, phonetic runs), and the slices carry an empty table. The entries are kept as
    one byte string and an array of offsets (about the size of the XML), not as Python
    strings."""

    def __init__(self, xml: bytes) -> None:
        # An array of offsets, not a list: 8 bytes an entry instead of 36 (33 MB at 900,000).
        self.texts = texts = bytearray()
        self.offsets = offsets = array("Q", [0])
        for match in _SHARED_ENTRY.finditer(xml):
            texts += match.group(1) or b""
            offsets.append(len(texts))

    @classmethod
    def read(cls, xml: bytes) -> _SharedStrings | None:
        """The table, or ``None`` when its XML is not the plain form this reads (prefixed
        or attributed entries): the slices then carry the table itself, as before."""
        if b"<si" not in xml:
            return None
        table = cls(xml)
        entries = xml.count(b"<si>") + xml.count(b"<si/>")
        if entries != len(table.offsets) - 1 or entries != xml.count(b"<si"):
            return None
        return table

    def inline(self, xml: bytes) -> bytes:
        """``xml`` with every plain shared-string cell written inline; any other cell that
        points into the table (``t="s"`` left over) is for the caller to see."""
        texts, offsets, last = self.texts, self.offsets, len(self.offsets) - 1

        def cell(match: re.Match) -> bytes:
            index = int(match.group(3))
            if index >= last:
                return match.group(0)
            return b"".join(
                (
                    b"<c",
                    match.group(1),
                    b' t="inlineStr"',
                    match.group(2),
                    b"><is>",
                    texts[offsets[index] : offsets[index + 1]],
                    b"</is></c>",
                )
            )

        return _SHARED_CELL.sub(cell, xml)


def _slices(
    workbook_class: Any,  # python_calamine.CalamineWorkbook
    data: bytes | StoredWorkbook,
    handle: IO[bytes],
    slice_bytes: int,
) -> Iterator[list[Any]]:
    try:
        archive = zipfile.ZipFile(handle)
        found = _worksheet_part(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError):
        raise _unreadable_workbook() from None
    if found is None:
        yield from _openpyxl_rows(data)
        return
    index, path = found
    # Everything python-calamine reads to open a workbook and one sheet of it; the other sheets
    # are there (it looks for every sheet the workbook lists) but empty.
    sheet_parts = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")
    skipped = ("xl/media/", "xl/drawings/", "xl/printerSettings/", "xl/embeddings/")
    parts = [
        (info.filename, _EMPTY_SHEET if info.filename.startswith(sheet_parts) else None)
        for info in archive.infolist()
        if info.filename != path and not info.filename.startswith(skipped)
    ]
    parts = [(name, content or archive.read(name)) for name, content in parts]
    # The shared strings go into the cells of each slice (``_SharedStrings``); a slice with a
    # cell the table could not be put into carries the table itself.
    shared, light = None, parts
    for number, (name, content) in enumerate(parts):
        if name.lower().endswith("/sharedstrings.xml"):
            shared = _SharedStrings.read(content)
            if shared is not None:
                light = [*parts[:number], (name, _EMPTY_SHARED_STRINGS), *parts[number + 1 :]]
            break

    def rows_of(xml: bytes) -> tuple[tuple[int, int] | None, list[list[Any]]]:
        book_parts = parts
        if shared is not None:
            xml = shared.inline(xml)
            if b't="s"' not in xml:
                book_parts = light
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as book:
            for name, content in book_parts:
                book.writestr(name, content)
            book.writestr(path, xml)
        buffer.seek(0)
        try:
            with workbook_class.from_filelike(buffer) as book:
                sheet = book.get_sheet_by_index(index)
                start = sheet.start
                return start, (sheet.to_python(skip_empty_area=True) if start else [])
        except Exception:  # XML errors, a cell calamine cannot place, ...
            if first_slice:
                raise  # the caller falls back to openpyxl, as for a whole workbook
            raise _unreadable_workbook() from None

    try:
        stream = archive.open(path)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, OSError):
        raise _unreadable_workbook() from None
    with stream:
        buffer = b""
        match = None
        while match is None and len(buffer) < 8 * _ARCHIVE_CHUNK:
            chunk = stream.read(_ARCHIVE_CHUNK)
            if not chunk:
                break
            buffer += chunk
            match = _SHEET_DATA.search(buffer)
        if match is None:
            yield from _openpyxl_rows(data)
            return
        head = _DIMENSION.sub(b"", buffer[: match.end()])
        if match.group(2):  # <sheetData/>: no rows
            return
        prefix = match.group(1) or b""
        opening = b"<" + prefix + b":row" if prefix else b"<row"
        closing = b"</" + prefix + b":sheetData>" if prefix else b"</sheetData>"
        tail = closing + (b"</" + prefix + b":worksheet>" if prefix else b"</worksheet>")
        buffer = buffer[match.end() :]
        next_row = 1  # the sheet row (1-based) the next row handed out stands for
        first_slice = True
        finished = False
        while not finished:
            # Cut at the first row that starts ``slice_bytes`` of XML further on.
            position, cut = slice_bytes, -1
            while True:
                found_at = buffer.find(opening, position)
                end = found_at + len(opening)
                if found_at >= 0 and end < len(buffer):
                    if buffer[end] in b" \t\r\n>/":
                        cut = found_at
                        break
                    position = end  # <rowBreaks or the like, not a row
                    continue
                chunk = stream.read(_ARCHIVE_CHUNK)
                if not chunk:
                    end = buffer.find(closing)
                    cut = end if end >= 0 else len(buffer)
                    finished = True
                    break
                position = max(slice_bytes, len(buffer) - len(opening))
                buffer += chunk
            piece, buffer = buffer[:cut], b"" if finished else buffer[cut:]
            if not piece.strip():
                continue
            start, rows = rows_of(head + piece + tail)
            first_slice = False
            del piece
            if start is None:
                continue
            for _blank in range(next_row, start[0] + 1):
                yield []
            pad = [""] * start[1]
            next_row = start[0] + 1 + len(rows)
            for row in rows:
                yield pad + row if pad else row
            del rows


def _csv_rows(text: str) -> Iterator[list[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    count = 0
    try:
        for row in reader:
            count += 1
            yield row
    except csv.Error:
        raise FileRefused(
            _("The CSV file is malformed near record %(row)d.") % {"row": count + 1},
            "malformed_csv",
        ) from None


def _source_rows(
    rows: Iterable[Sequence[Any]], start: int, mapping: dict[str, int], width: int
) -> Iterator[SourceRow]:
    """Cut raw rows (the first being sheet row ``start + 1``) into :class:`SourceRow`."""
    items = list(mapping.items())
    keys = [key for key, _col in items]
    # The columns of one row picked in C (a 50,000-row roster, 16 columns): rows at least as
    # wide as the last mapped column take this path, shorter ones the loop below.
    reach = max(mapping.values()) + 1
    pick = operator.itemgetter(*mapping.values()) if len(items) > 1 else None
    for index, row in enumerate(rows, start=start):
        if _is_blank(row):
            continue
        size = len(row)
        if pick is not None and size >= reach:
            cells = dict(zip(keys, pick(row), strict=True))
            if "" in cells.values():
                cells = {key: None if value == "" else value for key, value in cells.items()}
        else:
            cells = {}
            for key, col in items:
                value = row[col] if col < size else None
                cells[key] = None if value == "" else value
        raw = _trim(row)
        if len(raw) < width:
            raw.extend([None] * (width - len(raw)))
        yield SourceRow(number=index + 1, cells=cells, raw=raw)


class SheetRows:
    """The data rows of a file as :class:`SourceRow`, read lazily.

    Each iteration reads the file again from its bytes (held, at most the upload cap), so an
    import can go through the rows once to check them and once more for the few it must copy
    into the error workbook, never holding all of them.  ``len()`` is known after a first full
    iteration (it counts the non-blank rows); before that it is the rows below the header,
    blank ones included.
    """

    def __init__(
        self,
        opener: Callable[[], Iterator[Sequence[Any]]],
        header_index: int,
        mapping: dict[str, int],
        width: int,
        estimate: int,
        *,
        first: Iterator[Sequence[Any]] | None = None,
    ) -> None:
        self._opener = opener
        self._first = first
        self._header_index = header_index
        self._mapping = mapping
        self._width = width
        self._count: int | None = None
        self.estimate = estimate

    def __iter__(self) -> Iterator[SourceRow]:
        # The rows the header was found in, and the reader still open after them, serve the
        # first pass; later passes open the file again.
        rows, self._first = (self._first or self._opener()), None
        for _skipped in zip(range(self._header_index + 1), rows, strict=False):
            pass
        count = 0
        for row in _source_rows(rows, self._header_index + 1, self._mapping, self._width):
            count += 1
            yield row
        self._count = count

    def __len__(self) -> int:
        return self._count if self._count is not None else self.estimate

    def raw_rows(self, numbers: Iterable[int]) -> dict[int, list[Any]]:
        """The rows numbered ``numbers`` as the file has them (for the error workbook)."""
        wanted = set(numbers)
        found: dict[int, list[Any]] = {}
        if not wanted:
            return found
        last = max(wanted)
        for row in self:
            if row.number in wanted:
                found[row.number] = row.raw
            if row.number >= last:
                break
        return found


def open_table(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    filename: str | None,
    columns: Sequence[ColumnSpec],
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    scan_rows: int = HEADER_SCAN_ROWS,
    min_required_matches: int = 3,
) -> ParsedSheet:
    """Like :func:`read_table`, but the sheet's ``rows`` is a :class:`SheetRows` read lazily.

    The same checks come first, on the whole file, before any row is parsed (size, type, zip
    bombs, row count, encoding, web pages saved as .xls); then the header is found in the top
    rows and the data rows stream: memory does not grow with the rows (beyond python-calamine's
    copy of a workbook under ``IMPORT_STREAM_ABOVE_ROWS`` rows, see :data:`STREAM_ABOVE_ROWS`).
    """
    stored = None
    if isinstance(source, str | os.PathLike):
        try:  # before the bytes are read: a file changed after this is refused when reopened
            stored = StoredWorkbook.of(os.fspath(source))
        except OSError:
            stored = None  # _read_source says what is wrong with the path
    data, filename = _read_source(source, filename, max_bytes)
    ext = _extension(filename)
    if ext and ext not in ALLOWED_EXTENSIONS:
        raise FileRefused(
            _(
                "Unsupported file type “%(extension)s”. Upload an Excel workbook (.xlsx, .xls) "
                "or a CSV file."
            )
            % {"extension": ext},
            "unsupported_type",
        )
    if not data:
        raise FileRefused(_("The sheet is empty."), "empty")
    encoding = None
    sheet_name = None
    if data.startswith(_ZIP_MAGIC):
        estimate = check_archive(data)
        source_format = "xlsx"
        book: bytes | StoredWorkbook = data
        if stored is not None and estimate > stream_above_rows():
            # Read in slices from the file, checked above, rather than held: 45 MB less for
            # a prefecture's roster.
            book = stored
            del data
        opener = _pick_xlsx_reader(book, estimate)
    elif data.startswith(_OLE_MAGIC):
        # .xls holds at most 65,536 rows: read it whole, as before.
        table = _load_workbook(data, "xls")
        if len(table.rows) > max_rows():
            raise _too_many_rows()
        rows_list = table.rows
        estimate = len(rows_list)
        source_format, sheet_name = "xls", table.sheet_name

        def opener() -> Iterator[Sequence[Any]]:
            return iter(rows_list)

    elif data.startswith(_BINARY_MAGICS):
        raise _not_a_spreadsheet()
    else:
        text, encoding = _checked_text(data)
        del data
        estimate = text.count("\n") + 1
        source_format = "csv"

        def opener() -> Iterator[Sequence[Any]]:
            return _csv_rows(text)

    columns = tuple(columns)
    top: list[Sequence[Any]] = []
    rows = opener()
    for row in rows:
        top.append(row)
        if len(top) >= scan_rows:
            break
    if all(_is_blank(row) for row in top) and all(_is_blank(row) for row in rows):
        raise FileRefused(_("The sheet is empty."), "empty")
    header_index, mapping, extras = _find_header(top, columns, scan_rows, min_required_matches)
    header = _trim(top[header_index])
    return ParsedSheet(
        header_row_number=header_index + 1,
        columns=mapping,
        rows=SheetRows(  # type: ignore[arg-type]
            opener,
            header_index,
            mapping,
            len(header),
            max(0, estimate - header_index - 1),
            first=itertools.chain(top, rows),
        ),
        header=header,
        extra_headers=extras,
        source_format=source_format,
        sheet_name=sheet_name,
        encoding=encoding,
    )


def _pick_xlsx_reader(
    data: bytes | StoredWorkbook, row_count: int
) -> Callable[[], Iterator[Sequence[Any]]]:
    """python-calamine for workbooks it reads (fast): whole up to ``IMPORT_STREAM_ABOVE_ROWS``
    rows, in slices above (flat memory); openpyxl's streaming parser for odd writers calamine
    refuses."""
    reader: Callable[[Any], Iterator[Sequence[Any]]] = _openpyxl_rows
    first: Iterator[Sequence[Any]] | None = None
    calamine = _calamine_rows if row_count <= stream_above_rows() else _calamine_slices
    rows = calamine(data)
    try:
        head = next(rows, None)  # opens the workbook: unreadable ones fail here
    except FileRefused:
        raise
    except Exception:  # any calamine failure falls back to openpyxl
        pass
    else:
        reader = calamine
        first = itertools.chain([head] if head is not None else [], rows)
    if first is None:
        # Fail on an unreadable workbook now, with the file-level refusal, not mid-import.
        rows = _openpyxl_rows(data)
        head = next(rows, None)
        first = itertools.chain([head] if head is not None else [], rows)
    pending = [first]

    def opener() -> Iterator[Sequence[Any]]:
        # The first reader opened is handed on, so the workbook is not parsed twice.
        return pending.pop() if pending else reader(data)

    return opener


def _checked_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes and refuse web pages, binary files and too many rows (as _load_csv)."""
    text, encoding = decode_text(data)
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<table", "<?xml")) or "<table" in head:
        raise FileRefused(
            _(
                "The file is a web page or XML file saved with an Excel extension. Open it in "
                "Excel, save it as .xlsx and upload it again."
            ),
            "html_workbook",
        )
    if "\x00" in text:
        raise _not_a_spreadsheet()
    if text.count("\n") > max_rows() + HEADER_SCAN_ROWS:
        raise _too_many_rows()
    return text, encoding
