"""Large workbooks read in slices (issue 13, 500,000 rows): the same rows as read whole.

``reader._calamine_slices`` cuts the sheet's XML at ``<row`` tags every so many bytes and has
python-calamine read each slice; the rows it hands out, with their sheet row numbers, must be
those of ``reader._calamine_rows`` (the whole sheet at once) whatever the cut.
"""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.conf import settings

if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
    settings.configure(USE_I18N=True, USE_TZ=True, INSTALLED_APPS=[])

from healthaid.importing import reader
from healthaid.importing.reader import ColumnSpec, FileRefused, open_table

SLICES = (1, 40, 300, 2_000, 10**7)
"""Slice sizes in bytes: one row a slice (the first row past the size ends it), a few, all."""


def _trimmed(rows) -> list[list]:
    """Rows without trailing empty cells, without trailing empty rows (a slice's width and the
    whole sheet's may differ; the cells may not)."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] in ("", None):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _workbook(*, hide_first: bool = False) -> bytes:
    """Inline strings (openpyxl's writer), dates, numbers, booleans, rows missing from
    the XML, a first column other than A, cells far to the right, and a second sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet["C2"] = "元谋县建档立卡花名册"
    sheet["C4"], sheet["D4"], sheet["E4"], sheet["F4"] = "姓名", "出生日期", "金额", "是否"
    for n in range(5, 60):
        if n % 7 == 0:
            continue  # a row the XML does not have
        sheet.cell(n, 3, f"李{n % 5}")
        sheet.cell(n, 4, dt.date(1960, 1, 1 + n % 27))
        sheet.cell(n, 5, n * 1.5 if n % 2 else n)
        sheet.cell(n, 6, n % 3 == 0)
    sheet.cell(75, 9, "far")
    other = book.create_sheet("说明")
    other["A1"] = "another sheet"
    if hide_first:
        sheet.sheet_state = "hidden"
        book.active = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("hide_first", [False, True])
def test_slices_give_the_rows_read_whole(hide_first):
    data = _workbook(hide_first=hide_first)
    whole = _trimmed(reader._calamine_rows(data))
    assert whole  # the sheet python-calamine picks has rows
    for size in SLICES:
        assert _trimmed(reader._calamine_slices(data, size)) == whole, size


def test_slices_keep_sheet_row_numbers_and_values():
    rows = list(reader._calamine_slices(_workbook(), 1))
    assert rows[1][2] == "元谋县建档立卡花名册"  # sheet row 2, column C
    assert rows[4][2:6] == ["李0", dt.date(1960, 1, 6), 7.5, False]  # row 5
    assert not any(rows[6])  # row 7 is not in the XML
    assert rows[74][8] == "far"  # row 75, column I


def test_a_prefecture_sized_file_is_read_from_its_path_in_slices(tmp_path, monkeypatch):
    """Above ``IMPORT_STREAM_ABOVE_ROWS`` rows a workbook given by path is read from the file in
    slices (its bytes are not held); the rows are those of the small-file path."""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(_workbook())
    columns = (ColumnSpec("name", ("姓名",), True), ColumnSpec("birth", ("出生日期",), True))
    small = open_table(str(path), None, columns, min_required_matches=2)
    expected = [(row.number, row.cells) for row in small.rows]
    monkeypatch.setattr(settings, "IMPORT_STREAM_ABOVE_ROWS", 3, raising=False)
    monkeypatch.setattr(reader, "SLICE_BYTES", 200)
    large = open_table(str(path), None, columns, min_required_matches=2)
    assert [(row.number, row.cells) for row in large.rows] == expected
    assert [(row.number, row.cells) for row in large.rows] == expected  # read again
    assert expected[0] == (5, {"name": "李0", "birth": dt.date(1960, 1, 6)})

    # A file changed after its checks is refused, not read unchecked.
    path.write_bytes(_workbook(hide_first=True))
    os.utime(path, ns=(0, 0))
    with pytest.raises(FileRefused) as refused:
        list(large.rows)
    assert refused.value.code == "unreadable"


def _shared_strings_workbook() -> bytes:
    """Texts as Excel writes them (one shared-strings table): rich text runs, characters XML
    escapes, spaces kept at both ends, repeated values, an empty string and a number."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "备注", "村", "数"])
    for n in range(1, 40):
        note = CellRichText("高血压", TextBlock(InlineFont(b=True), f" 第{n}次")) if n % 4 else ""
        sheet.append([f"张{n % 6}", note, " 老那村 & <委会> " if n % 3 else "丙间村", n])
    buffer = io.BytesIO()
    book.save(buffer)
    return _with_shared_strings(buffer.getvalue())


def _with_shared_strings(data: bytes) -> bytes:
    """openpyxl writes texts inline; Excel and WPS write them into one table of shared strings
    (``xl/sharedStrings.xml``) that the cells point into. The same workbook, written so."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    entries: dict[bytes, int] = {}

    def shared(match):
        index = entries.setdefault(match.group(3), len(entries))
        return b"<c" + match.group(1) + match.group(2) + b' t="s"><v>%d</v></c>' % index

    inline = re.compile(
        rb'<c( r="[A-Z]+[0-9]+")((?: s="[0-9]+")?) t="inlineStr"><is>(.*?)</is></c>'
    )
    sheet = inline.sub(shared, source.read("xl/worksheets/sheet1.xml"))
    table = b"".join(b"<si>" + entry + b"</si>" for entry in entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet
            elif info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            target.writestr(info.filename, content)
        target.writestr(
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + table
            + b"</sst>",
        )
    return out.getvalue()


def test_shared_strings_go_into_the_slices_cells(monkeypatch):
    data = _shared_strings_workbook()
    tables = []
    read = reader._SharedStrings.read.__func__

    def spy(cls, xml):
        tables.append(read(cls, xml))
        return tables[-1]

    monkeypatch.setattr(reader._SharedStrings, "read", classmethod(spy))
    whole = _trimmed(reader._calamine_rows(data))
    assert whole[2][2] == " 老那村 & <委会> " and whole[3][1:3] == ["高血压 第3次", "丙间村"]
    for size in SLICES:
        assert _trimmed(reader._calamine_slices(data, size)) == whole, size
    assert tables and all(table is not None for table in tables)

    # Every shared-string cell of the sheet is written inline: nothing points into the table.
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b't="s"' in sheet
    assert b't="s"' not in tables[-1].inline(sheet)


def test_a_table_in_another_form_travels_with_each_slice():
    prefixed = (
        b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<x:si><x:t>a</x:t></x:si></x:sst>"
    )
    assert reader._SharedStrings.read(prefixed) is None
    table = reader._SharedStrings.read(b"<sst><si><t>a</t></si><si/></sst>")
    assert table.inline(b'<c r="A1" s="2" t="s"><v>1</v></c>') == (
        b'<c r="A1" s="2" t="inlineStr"><is></is></c>'
    )
    # An index past the table is left as it is (the slice then carries the table).
    assert table.inline(b'<c r="A1" t="s"><v>7</v></c>') == b'<c r="A1" t="s"><v>7</v></c>'
