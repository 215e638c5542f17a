"""Write the rows an import rejected back into a workbook the user can fix and upload again.

The file keeps the original header and cells, so after correcting the rows the user can upload
it as is: the reader ignores the extra "error" column.  Every cell goes through
:func:`safe_cell`, because the values are user-supplied and the file will be opened in Excel.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["EXCEL_MAX_CELL_CHARS", "build_error_workbook", "safe_cell"]

EXCEL_MAX_CELL_CHARS = 32767
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_TYPES = (bool, int, float, Decimal, dt.date, dt.datetime, dt.time, dt.timedelta)


def safe_cell(value: Any) -> Any:
    """Make a value safe to write into a spreadsheet cell.

    Text starting with = + - @ (or a tab / carriage return) would be evaluated by Excel as a
    formula (CSV/formula injection), so it gets a leading apostrophe.  Control characters that
    openpyxl refuses are removed, overlong text is cut to Excel's limit, and anything that is
    not a plain cell type is written as its text.
    """
    if value is None or isinstance(value, _PLAIN_TYPES):
        return value
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text.startswith(_FORMULA_PREFIXES):
        text = "'" + text
    return text[:EXCEL_MAX_CELL_CHARS]


def build_error_workbook(header: Sequence[Any], rows: Sequence[tuple[Sequence[Any], str]]) -> bytes:
    """Return an xlsx with ``header`` + an error column, then each (original cells, error) row.

    Write-only mode streams rows, so an error file for a whole 50,000-row roster stays cheap.
    Rows longer than the header (stray cells right of the table) widen it, so the error column
    always lines up.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Errors")[:31])
    width = max([len(header), *(len(cells) for cells, _message in rows)])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions[get_column_letter(width + 1)].width = 60

    bold = Font(bold=True)
    red = Font(color="C00000")
    header_cells = []
    padding = [None] * (width - len(header))
    for value in [*header, *padding, _("Error description")]:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    for cells, message in rows:
        values = [safe_cell(value) for value in cells]
        if len(values) < width:
            values.extend([None] * (width - len(values)))
        error = WriteOnlyCell(sheet, value=safe_cell(message))
        error.font = red
        sheet.append([*values, error])

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
