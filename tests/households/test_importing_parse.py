"""Roster parsing without a database: reader, cell normalisers, disease catalogue, error file.

The fixtures are built here with openpyxl and plain bytes so that every oddity a real county
roster carries (merged title, blank rows, "证件\\n号码" headers, IDs stored as numbers, GBK CSV,
a PNG renamed .xlsx, ...) is pinned to an exact row number and value.
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

from django.utils import translation

from healthaid.importing import reader
from healthaid.importing.errorfile import build_error_workbook, safe_cell
from healthaid.importing.normalize import (
    CellError,
    to_bool,
    to_choice,
    to_date,
    to_phone,
    to_sex,
    to_text,
    to_year,
)
from healthaid.importing.reader import MAX_UPLOAD_BYTES as MAX_ROSTER_BYTES
from healthaid.importing.reader import ColumnSpec, read_table
from healthaid.importing.reader import FileRefused as RosterFileError
from households import catalogue
from households.catalogue import (
    DISEASES,
    KEY_FOLLOW_UP_CODES,
    NO_DISEASE_WORDS,
    match_disease,
    split_diseases,
)
from households.importing.columns import ROSTER_COLUMNS, read_roster
from households.importing.normalize import to_diseases

TITLE = "元谋县2019年建档立卡贫困人口花名册"
HEADER = [
    "县",
    "乡\u3000镇",
    "村",
    "户编号",
    "姓 名",
    "性别",
    "证件\n号码",
    "与户主关系",
    "民族",
    "联系电话（手机）",
    "贫困户属性",
    "主要致贫原因",
    "是否因病致贫",
    "脱贫年度",
    "患病情况",
    "慢病卡号",
    "签约日期",
    "备注",
]
PLAIN_HEADER = [
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
]
PLACE = ["元谋县", "元马镇", "能禹村委会"]


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are asserted by their English msgid, whatever LANGUAGE_CODE says."""
    with translation.override("en"):
        yield


def _xlsx(build) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _messy_roster(book: openpyxl.Workbook) -> None:
    sheet = book.active
    sheet.title = "花名册"
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:P1")
    # row 2 stays blank
    for col, value in enumerate(HEADER, start=1):
        sheet.cell(row=3, column=col, value=value)
    # fmt: off
    rows = {
        4: [*PLACE, "5323281010001", "张三", "男", 532328199001011234, "户主", "彝族",
            13812345678, "一般贫困户", "因病", "是", 2019, "高血压、糖尿病", "MB001",
            dt.datetime(2019, 7, 19), None],
        # row 5 stays blank
        6: [*PLACE, "5323281010001", "李四", "女", "532328 19900101 1234", "配偶", "汉族",
            "0878-1234567", "一般贫困户", "因病", "否", "2019年", "健康", None, "2019/7/19"],
        7: [*PLACE, "5323281010002", "王五", "1", "５３２３２８１９９００１０１１２３４", "户主",
            "彝族", None, "低保贫困户", "因学", 1, "2020年度", "某怪病", None, "2019年7月19日"],
        8: [*PLACE, "5323281010002", "赵六", "F", "53232819900101123x", "之女", "彝族", None,
            "低保贫困户", "因学", 0, 2019.0, "慢阻肺，冠心病", None, "2019.7.19"],
        9: [*PLACE, "5323281010003", "钱七", "女性", 5.32328199001011e17, "户主", "汉族", None,
            "特困供养户", "缺劳力", "Y", "２０２０", "Ⅱ型糖尿病", None, 43665],
        10: [*PLACE, "5323281010003", "孙八", "男", "5.32328E+17", "之子", "汉族", None,
             "特困供养户", "缺劳力", "N", None, None, None, "20190719"],
        11: ["  ", "\u3000", None],  # whitespace only: a blank row
    }
    # fmt: on
    for number, values in rows.items():
        for col, value in enumerate(values, start=1):
            sheet.cell(row=number, column=col, value=value)


@pytest.fixture(scope="module")
def messy_bytes() -> bytes:
    return _xlsx(_messy_roster)


@pytest.fixture(scope="module")
def messy(messy_bytes):
    with translation.override("en"):
        return read_roster(messy_bytes, "花名册.xlsx")


# --- reader: the messy workbook -----------------------------------------------------------------


def test_header_found_below_title_and_blank_row(messy):
    assert messy.header_row_number == 3
    assert messy.source_format == "xlsx"
    assert messy.sheet_name == "花名册"
    assert messy.header[:7] == ["县", "乡\u3000镇", "村", "户编号", "姓 名", "性别", "证件\n号码"]
    assert messy.header[-1] == "备注"
    assert messy.columns == {
        "county": 0,
        "township": 1,
        "village": 2,
        "household_number": 3,
        "name": 4,
        "sex": 5,
        "id_number": 6,
        "relation": 7,
        "ethnicity": 8,
        "phone": 9,
        "poverty_attribute": 10,
        "poverty_cause": 11,
        "illness_caused": 12,
        "lifted_year": 13,
        "diseases": 14,
        "card_number": 15,
    }
    assert messy.extra_headers == ["签约日期", "备注"]


def test_row_numbers_are_excel_row_numbers_and_blank_rows_are_skipped(messy):
    assert [row.number for row in messy.rows] == [4, 6, 7, 8, 9, 10]
    assert [row.cells["name"] for row in messy.rows] == [
        "张三",
        "李四",
        "王五",
        "赵六",
        "钱七",
        "孙八",
    ]


def test_cells_arrive_raw(messy):
    by_name = {row.cells["name"]: row for row in messy.rows}
    zhang = by_name["张三"].cells
    # Spreadsheets store numbers as doubles written with ~16 digits (Excel keeps 15): an 18-digit
    # ID typed as a number has lost its last digits before we ever see it.
    assert zhang["id_number"] == 5.323281990010113e17
    assert zhang["phone"] == 13812345678.0
    assert zhang["lifted_year"] == 2019.0
    assert zhang["card_number"] == "MB001"
    assert by_name["李四"].cells["id_number"] == "532328 19900101 1234"
    assert by_name["李四"].cells["card_number"] is None
    assert by_name["王五"].cells["id_number"] == "５３２３２８１９９００１０１１２３４"
    assert by_name["王五"].cells["phone"] is None
    assert by_name["赵六"].cells["id_number"] == "53232819900101123x"
    assert by_name["钱七"].cells["id_number"] == 5.32328199001011e17
    assert by_name["孙八"].cells["id_number"] == "5.32328E+17"


def test_raw_keeps_the_whole_original_row(messy):
    first = messy.rows[0]
    assert len(first.raw) == len(HEADER)
    assert first.raw[:5] == [*PLACE, "5323281010001", "张三"]
    assert first.raw[16] == dt.date(2019, 7, 19)  # calamine gives a date for a midnight datetime
    assert first.raw[17] is None  # padded to the header width


def test_custom_column_spec_reuses_the_reader(messy_bytes):
    spec = (
        ColumnSpec("id_number", ("证件号码",), required=True),
        ColumnSpec("signed_on", ("签约日期", "signed_on"), required=True),
        ColumnSpec("name", ("姓名",)),
    )
    sheet = read_table(messy_bytes, "x.xlsx", spec)
    assert sheet.columns == {"id_number": 6, "signed_on": 16, "name": 4}
    assert [to_date(row.cells["signed_on"]) for row in sheet.rows] == [dt.date(2019, 7, 19)] * 6
    assert [row.number for row in sheet.rows] == [4, 6, 7, 8, 9, 10]


def test_normalising_the_messy_rows(messy):
    rows = messy.rows
    assert [to_sex(r.cells["sex"]) for r in rows] == ["M", "F", "M", "F", "F", "M"]
    assert [to_bool(r.cells["illness_caused"]) for r in rows] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert [to_year(r.cells["lifted_year"]) for r in rows] == [2019, 2019, 2020, 2019, 2020, None]
    assert [to_phone(r.cells["phone"]) for r in rows] == [
        "13812345678",
        "0878-1234567",
        "",
        "",
        "",
        "",
    ]
    assert to_text(rows[2].cells["id_number"]) == "532328199001011234"
    assert to_text(rows[3].cells["id_number"]) == "53232819900101123x"
    diseases = [to_diseases(r.cells["diseases"]) for r in rows]
    assert [([d.code for d in found], unknown) for found, unknown in diseases] == [
        (["hypertension", "t2dm"], []),
        ([], []),
        ([], ["某怪病"]),
        (["copd", "chd"], []),
        (["t2dm"], []),
        ([], []),
    ]


def test_hidden_first_sheet_is_skipped():
    def build(book):
        hidden = book.active
        hidden.title = "旧表"
        hidden.append(["旧数据"])
        hidden.sheet_state = "hidden"
        sheet = book.create_sheet("花名册")
        sheet.append(PLAIN_HEADER)
        sheet.append([*PLACE, "1", "张三"])

    parsed = read_roster(_xlsx(build), "a.xlsx")
    assert parsed.sheet_name == "花名册"
    assert parsed.header_row_number == 1
    assert [(r.number, r.cells["name"]) for r in parsed.rows] == [(2, "张三")]


def test_english_headers_and_star_marks_are_recognised():
    def build(book):
        book.active.append(
            ["County", "Township", "village", "household_no", "*Name", "ID_Number", "card_no"]
        )
        book.active.append([*PLACE, "1", "张三", "x", "MB1"])

    parsed = read_roster(_xlsx(build), "a.xlsx")
    assert parsed.columns == {
        "county": 0,
        "township": 1,
        "village": 2,
        "household_number": 3,
        "name": 4,
        "id_number": 5,
        "card_number": 6,
    }


def test_openpyxl_fallback_when_calamine_fails(messy_bytes, monkeypatch):
    import python_calamine

    def broken(*args, **kwargs):
        raise python_calamine.CalamineError("boom")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", broken)
    parsed = read_roster(messy_bytes, "a.xlsx")
    assert parsed.header_row_number == 3
    assert [row.number for row in parsed.rows] == [4, 6, 7, 8, 9, 10]
    assert parsed.rows[0].cells["id_number"] == 5.323281990010113e17
    assert parsed.rows[0].raw[16] == dt.datetime(2019, 7, 19)  # openpyxl: datetime, not date


def test_reads_from_path_and_file_object(tmp_path, messy_bytes):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(messy_bytes)
    assert len(read_roster(path).rows) == 6
    assert len(read_roster(str(path)).rows) == 6
    with path.open("rb") as handle:
        assert len(read_roster(handle).rows) == 6


# --- reader: CSV --------------------------------------------------------------------------------


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    import csv

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def test_gb18030_csv():
    text = _csv(
        [
            ["元谋县建档立卡贫困人口花名册"],
            [],
            PLAIN_HEADER,
            [
                *PLACE,
                "5323281010001",
                "𠮷祥",
                "男",
                "5.32328E+17",
                "户主",
                "彝族",
                "",
                "",
                "",
                "是",
                "2019年",
                "高血压、糖尿病",
                "",
            ],
        ]
    )
    parsed = read_roster(text.encode("gb18030"), "roster.csv")
    assert parsed.encoding == "gb18030"
    assert parsed.source_format == "csv"
    assert parsed.header_row_number == 3
    (row,) = parsed.rows
    assert row.number == 4
    assert row.cells["name"] == "𠮷祥"  # outside GBK: only GB18030 has it
    assert row.cells["id_number"] == "5.32328E+17"
    assert row.cells["phone"] is None
    assert to_year(row.cells["lifted_year"]) == 2019


def test_gbk_csv_decodes_as_gb18030():
    text = _csv([PLAIN_HEADER, [*PLACE, "1", "张三", "女", "x"]])
    parsed = read_roster(text.encode("gbk"), "roster.csv")
    assert parsed.encoding == "gb18030"
    assert parsed.rows[0].cells["name"] == "张三"


def test_utf8_bom_csv_with_tabs():
    text = _csv([PLAIN_HEADER, [*PLACE, "1", "张三", "女", "53232819900101123X"]], "\t")
    parsed = read_roster(b"\xef\xbb\xbf" + text.encode("utf-8"), "roster.csv")
    assert parsed.encoding == "utf-8-sig"
    assert parsed.header_row_number == 1
    assert parsed.columns["county"] == 0  # the BOM is not glued to the first header
    assert [(r.number, r.cells["id_number"]) for r in parsed.rows] == [(2, "53232819900101123X")]


def test_utf8_csv_numbers_records_not_lines():
    text = _csv(
        [
            PLAIN_HEADER,
            [*PLACE, "1", "张三", "男", "a", "", "", "", "", "", "", "", "高血压\n糖尿病"],
            [],
            [*PLACE, "1", "李四", "女", "b"],
        ]
    )
    parsed = read_roster(text.encode("utf-8"), "roster.csv")
    assert parsed.encoding == "utf-8"
    assert [(r.number, r.cells["name"]) for r in parsed.rows] == [(2, "张三"), (4, "李四")]
    found, unknown = to_diseases(parsed.rows[0].cells["diseases"])
    assert [d.code for d in found] == ["hypertension", "t2dm"]
    assert unknown == []
    assert parsed.rows[1].raw == [*PLACE, "1", "李四", "女", "b", *[None] * 9]


def test_semicolon_csv():
    text = _csv([PLAIN_HEADER, [*PLACE, "1", "张三", "男", "a"]], ";")
    assert read_roster(text.encode("utf-8"), "r.csv").rows[0].cells["id_number"] == "a"


# --- reader: files that must be refused ---------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def test_png_renamed_xlsx():
    with pytest.raises(RosterFileError) as info:
        read_roster(PNG, "花名册.xlsx")
    assert info.value.code == "unreadable"
    assert info.value.message == (
        "The file is not an Excel workbook or a CSV file. Check that you chose the right file."
    )


def test_binary_without_magic_is_refused():
    with pytest.raises(RosterFileError) as info:
        read_roster(b"\x01\x02\x03\x00\x00garbage" * 10, "a.csv")
    assert info.value.code == "unreadable"


def test_zip_that_is_not_a_workbook():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(RosterFileError) as info:
        read_roster(buffer.getvalue(), "a.xlsx")
    assert info.value.code == "unreadable"
    assert "password-protected" in info.value.message


def test_corrupt_xls():
    with pytest.raises(RosterFileError) as info:
        read_roster(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "a.xls")
    assert info.value.code == "unreadable"


def test_unsupported_extension():
    with pytest.raises(RosterFileError) as info:
        read_roster(b"%PDF-1.4", "roster.PDF")
    assert info.value.code == "unsupported_type"
    assert info.value.message == (
        "Unsupported file type “.pdf”. Upload an Excel workbook (.xlsx, .xls) or a CSV file."
    )


def test_html_saved_as_xls():
    page = "<html><body><table><tr><td>县</td></tr></table></body></html>".encode()
    with pytest.raises(RosterFileError) as info:
        read_roster(page, "export.xls")
    assert info.value.code == "html_workbook"


def test_undecodable_text():
    with pytest.raises(RosterFileError) as info:
        read_roster("县,乡镇\n".encode("gb18030") + b"\xff\xff\xff", "a.csv")
    assert info.value.code == "encoding"


def test_empty_workbook():
    with pytest.raises(RosterFileError) as info:
        read_roster(_xlsx(lambda book: None), "empty.xlsx")
    assert info.value.code == "empty"
    assert info.value.message == "The sheet is empty."


def test_empty_bytes_and_blank_csv():
    for data in (b"", b"\r\n , \r\n"):
        with pytest.raises(RosterFileError) as info:
            read_roster(data, "empty.csv")
        assert info.value.code == "empty"


def test_no_matching_headers():
    def build(book):
        book.active.append(["序号", "项目", "金额"])
        book.active.append([1, "体检", 30])

    with pytest.raises(RosterFileError) as info:
        read_roster(_xlsx(build), "other.xlsx")
    assert info.value.code == "no_header"
    assert info.value.message == (
        "None of the expected headers were found in the first 30 rows. Expected headers: "
        "县, 乡镇, 村, 户编号, 姓名, 性别, 证件号码, 与户主关系, 民族, 联系电话, 贫困户属性, "
        "主要致贫原因, 是否因病致贫, 脱贫年度, 患病情况, 慢病卡号."
    )


def test_header_below_row_30_is_not_searched():
    def build(book):
        for _ in range(30):
            book.active.append(["说明"])
        book.active.append(PLAIN_HEADER)

    with pytest.raises(RosterFileError) as info:
        read_roster(_xlsx(build), "late.xlsx")
    assert info.value.code == "no_header"


def test_missing_required_columns():
    def build(book):
        book.active.append(["县", "乡镇", "村", "户号", "性别"])

    with pytest.raises(RosterFileError) as info:
        read_roster(_xlsx(build), "a.xlsx")
    assert info.value.code == "missing_columns"
    assert info.value.message == "Required columns are missing: 姓名, 证件号码."


def test_missing_columns_are_listed_in_chinese_style_in_chinese():
    def build(book):
        book.active.append(["县", "乡镇", "村", "户号", "性别"])

    with translation.override("zh-hans"), pytest.raises(RosterFileError) as info:
        read_roster(_xlsx(build), "a.xlsx")
    assert "姓名" in info.value.message
    assert "证件号码" in info.value.message


def test_file_over_the_cap():
    with pytest.raises(RosterFileError) as info:
        read_roster(b"a" * (MAX_ROSTER_BYTES + 1), "big.csv")
    assert info.value.code == "too_large"
    assert info.value.message == (
        "The file is larger than 20 MB. Split it into smaller files and upload them."
    )


def test_smaller_cap_is_named_in_the_message(messy_bytes):
    with pytest.raises(RosterFileError) as info:
        read_table(io.BytesIO(messy_bytes), "a.xlsx", ROSTER_COLUMNS, max_bytes=2048)
    assert info.value.code == "too_large"
    assert "larger than 1 MB" in info.value.message


def test_file_over_the_cap_by_path(tmp_path):
    path = tmp_path / "big.xlsx"
    with path.open("wb") as handle:
        handle.truncate(MAX_ROSTER_BYTES + 1)
    with pytest.raises(RosterFileError) as info:
        read_roster(path)
    assert info.value.code == "too_large"


# --- normalisers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  张三 ", "张三"),
        ("张\u3000三", "张 三"),
        ("元马镇\n能禹村", "元马镇 能禹村"),
        ("ＭＢ００１", "MB001"),
        ("（彝族）", "(彝族)"),
        (13812345678.0, "13812345678"),
        (2019, "2019"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.3"),
        (True, "TRUE"),
        (dt.datetime(2019, 7, 19), "2019-07-19"),
        (dt.datetime(2019, 7, 19, 8, 30), "2019-07-19 08:30:00"),
        (dt.date(2019, 7, 19), "2019-07-19"),
    ],
)
def test_to_text(value, expected):
    assert to_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("是 ", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("yes", True),
        (1, True),
        (0.0, False),
        ("1", True),
        ("0", False),
        ("TRUE", True),
        (False, False),
        ("√", True),
        ("×", False),
        (None, None),
        ("  ", None),
    ],
)
def test_to_bool(value, expected):
    assert to_bool(value) is expected


def test_to_bool_error():
    with pytest.raises(CellError) as info:
        to_bool("可能")
    assert info.value.code == "invalid_bool"
    assert info.value.message == "“可能” is not a yes/no value; enter 是 or 否."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2019, 2019),
        ("2019", 2019),
        ("2019年", 2019),
        ("2019年度", 2019),
        (2019.0, 2019),
        ("２０２０年", 2020),
        ("2019.0", 2019),
        (dt.date(2018, 12, 31), 2018),
        (None, None),
        ("", None),
    ],
)
def test_to_year(value, expected):
    assert to_year(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (2012, "year_out_of_range", "The year 2012 is outside 2013–2035."),
        ("2036年", "year_out_of_range", "The year 2036 is outside 2013–2035."),
        ("去年", "invalid_year", "“去年” is not a year."),
        (2019.5, "invalid_year", "“2019.5” is not a year."),
        ("19年", "invalid_year", "“19年” is not a year."),
    ],
)
def test_to_year_errors(value, code, message):
    with pytest.raises(CellError) as info:
        to_year(value)
    assert (info.value.code, info.value.message) == (code, message)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2019, 7, 19, 10, 0),
        dt.date(2019, 7, 19),
        43665,
        43665.75,
        "2019/7/19",
        "2019-07-19",
        "2019.7.19",
        "2019年7月19日",
        "2019 年 7 月 19 日",
        "20190719",
        20190719,
        "２０１９－０７－１９",
        "2019-07-19 00:00:00",
        "2019/7/19 8:30",
    ],
)
def test_to_date(value):
    assert to_date(value) == dt.date(2019, 7, 19)


def test_to_date_blank():
    assert to_date(None) is None
    assert to_date(" ") is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2019-02-30", "2019-02-30"),
        ("19/7/2019", "19/7/2019"),
        ("下周", "下周"),
        (12, "12"),
        (True, "TRUE"),
        ("2019年7月", "2019年7月"),
    ],
)
def test_to_date_errors(value, shown):
    with pytest.raises(CellError) as info:
        to_date(value)
    assert info.value.code == "invalid_date"
    assert info.value.message == f"“{shown}” is not a date; write it like 2019-07-19."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "M"),
        ("女", "F"),
        ("M", "M"),
        ("f", "F"),
        ("Male", "M"),
        ("female", "F"),
        (1, "M"),
        (2.0, "F"),
        ("男性", "M"),
        (None, None),
        ("", None),
    ],
)
def test_to_sex(value, expected):
    assert to_sex(value) == expected


def test_to_sex_error():
    with pytest.raises(CellError) as info:
        to_sex("未知")
    assert (info.value.code, info.value.message) == (
        "invalid_sex",
        "“未知” is not a sex; enter 男 or 女.",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13812345678.0, "13812345678"),
        (13812345678, "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0878-1234567", "0878-1234567"),
        ("08781234567", "08781234567"),
        ("(0878)1234567", "08781234567"),
        ("010-12345678", "010-12345678"),
        (None, ""),
        ("", ""),
    ],
)
def test_to_phone(value, expected):
    assert to_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1381234567", "invalid_phone"),
        ("23812345678", "invalid_phone"),
        ("1234567", "invalid_phone"),
        ("电话", "invalid_phone"),
        ("13812345678/13912345678", "multiple_phones"),
        ("13812345678、13912345678", "multiple_phones"),
    ],
)
def test_to_phone_errors(value, code):
    with pytest.raises(CellError) as info:
        to_phone(value)
    assert info.value.code == code


def test_to_phone_error_message():
    with pytest.raises(CellError) as info:
        to_phone("12345")
    assert info.value.message == (
        "“12345” is not a valid phone number; enter an 11-digit mobile number or a landline "
        "number with its area code."
    )


ATTRIBUTES = {
    "一般贫困户": "general",
    "低保贫困户": "dibao",
    "特困供养户": "tekun",
    "Dibao": "dibao",
}


def test_to_choice():
    assert to_choice(" 一般贫困户 ", ATTRIBUTES) == "general"
    assert to_choice("dibao", ATTRIBUTES) == "dibao"
    assert to_choice(None, ATTRIBUTES) is None
    assert to_choice("", {"": "unknown"}) == "unknown"
    with pytest.raises(CellError) as info:
        to_choice("五保户", ATTRIBUTES)
    assert info.value.code == "invalid_choice"
    assert info.value.message == (
        "“五保户” is not an allowed value; allowed values: 一般贫困户, 低保贫困户, 特困供养户, Dibao."
    )


@pytest.mark.parametrize(
    ("value", "codes", "unknown"),
    [
        ("高血压、糖尿病", ["hypertension", "t2dm"], []),
        ("健康", [], []),
        ("无", [], []),
        (None, [], []),
        ("某怪病", [], ["某怪病"]),
        ("高血压，高血压病 ; 原发性高血压", ["hypertension"], []),
        ("脑梗/中风  冠心病", ["cerebrovascular", "chd"], []),
        ("某怪病、高血压、某怪病、残疾", ["hypertension"], ["某怪病", "残疾"]),
        ("健康、高血压", ["hypertension"], []),
    ],
)
def test_to_diseases(value, codes, unknown):
    found, not_found = to_diseases(value)
    assert [d.code for d in found] == codes
    assert not_found == unknown


# --- catalogue ----------------------------------------------------------------------------------


def test_catalogue_shape():
    by_category: dict[str, list[str]] = {}
    for spec in DISEASES:
        by_category.setdefault(spec.category, []).append(spec.name)
    assert sorted(by_category["key4"]) == sorted(["高血压", "2型糖尿病", "肺结核", "严重精神障碍"])
    assert sorted(by_category["annual"]) == sorted(
        ["脑血管疾病", "冠心病", "慢性阻塞性肺疾病", "慢性支气管炎", "类风湿性关节炎", "骨关节炎"]
    )
    assert len(by_category["special_outpatient"]) == 29
    assert 20 <= len(by_category["major"]) <= 30
    assert "残疾" not in {spec.name for spec in DISEASES}
    assert len({spec.code for spec in DISEASES}) == len(DISEASES)
    assert len({spec.name for spec in DISEASES}) == len(DISEASES)
    assert all(spec.code.isascii() and spec.code == spec.code.lower() for spec in DISEASES)
    assert KEY_FOLLOW_UP_CODES == {"hypertension", "t2dm", "tb", "smi"}
    assert {spec.follow_ups_per_year for spec in DISEASES if spec.category == "key4"} == {4}
    assert {spec.follow_ups_per_year for spec in DISEASES if spec.category == "annual"} == {1}
    assert NO_DISEASE_WORDS == {"健康", "无", "无病", "正常", ""}


def test_every_name_and_synonym_matches_its_own_entry():
    for spec in DISEASES:
        for spelling in (spec.name, *spec.synonyms):
            assert match_disease(spelling) is spec, spelling


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("糖尿病", "t2dm"),
        ("2型糖尿病", "t2dm"),
        ("Ⅱ型糖尿病", "t2dm"),
        ("二型糖尿病", "t2dm"),
        ("II型糖尿病", "t2dm"),
        ("２型糖尿病", "t2dm"),
        ("肺结核", "tb"),
        ("结核病", "tb"),
        ("结核", "tb"),
        ("慢阻肺", "copd"),
        ("copd", "copd"),
        ("ＣＯＰＤ", "copd"),
        ("高血压病", "hypertension"),
        ("原发性高血压", "hypertension"),
        ("高 血 压", "hypertension"),
        ("高血压（2级）", "hypertension"),
        ("高血压3级", "hypertension"),
        ("精神病", "smi"),
        ("重性精神病", "smi"),
        ("严重精神障碍", "smi"),
        ("重症精神病", "smi"),
        ("精神分裂症", "schizophrenia"),
        ("脑梗", "cerebrovascular"),
        ("脑梗死", "cerebrovascular"),
        ("脑卒中", "cerebrovascular"),
        ("中风", "cerebrovascular"),
        ("急性脑梗死", "acute_cerebral_infarction"),
        ("冠状动脉粥样硬化性心脏病", "chd"),
        ("帕金森", "parkinson"),
        ("慢性肾功能衰竭（透析）", "crf_dialysis"),
        ("尿毒症", "esrd"),
        ("白血病", "leukemia"),
        ("儿童白血病", "child_leukemia"),
        ("儿童癌症", "child_cancer"),
        ("食道癌", "esophageal_cancer"),
        ("耐多药结核病", "mdr_tb"),
        ("艾滋病机会感染", "hiv_oi"),
        ("尘肺", "pneumoconiosis"),
    ],
)
def test_match_disease(text, code):
    spec = match_disease(text)
    assert spec is not None, text
    assert spec.code == code


@pytest.mark.parametrize("text", ["某怪病", "残疾", "精神", "糖尿", "", "肢体残疾"])
def test_match_disease_unknown(text):
    assert match_disease(text) is None


def test_split_diseases():
    assert split_diseases("高血压、糖尿病，慢阻肺;  肺结核／冠心病 , ") == [
        "高血压",
        "糖尿病",
        "慢阻肺",
        "肺结核",
        "冠心病",
    ]
    assert split_diseases("") == []
    assert split_diseases("、、") == []


def test_catalogue_category_constants():
    assert catalogue.CATEGORIES == ("key4", "annual", "special_outpatient", "major", "other")
    assert catalogue.MAJOR_DISEASE_CODES.isdisjoint(catalogue.SPECIAL_OUTPATIENT_CODES)


# --- error workbook -----------------------------------------------------------------------------


def test_safe_cell():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("张三") == "张三"
    assert safe_cell(-1) == -1
    assert safe_cell(None) is None
    assert safe_cell(dt.date(2019, 7, 19)) == dt.date(2019, 7, 19)
    assert safe_cell("a\x00b\x07c") == "abc"
    assert safe_cell(["x"]) == "['x']"
    assert len(safe_cell("a" * 40000)) == 32767


def test_error_workbook_round_trip(messy):
    bad = [(row.raw, f"第{row.number}行：证件号码有误") for row in messy.rows[:2]]
    bad.append(([*PLACE, "=cmd|' /C calc'!A0", "张三"], "公式"))
    data = build_error_workbook(messy.header, bad)

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADER, "Error description"]
    assert values[1][:5] == [*PLACE, "5323281010001", "张三"]
    assert values[1][-1] == "第4行：证件号码有误"
    assert values[2][-1] == "第6行：证件号码有误"
    assert values[3][3] == "'=cmd|' /C calc'!A0"
    assert values[3][-1] == "公式"
    assert len(values) == 4
    assert all(len(row) == len(HEADER) + 1 for row in values)

    # The user fixes the rows and uploads the error file itself.
    again = read_roster(data, "errors.xlsx")
    assert again.header_row_number == 1
    assert [row.cells["name"] for row in again.rows] == ["张三", "李四", "张三"]
    assert again.extra_headers[-1] == "Error description"


def test_error_workbook_aligns_error_column_for_long_rows():
    data = build_error_workbook(["县", "村"], [(["a", "b", "c"], "多余")])
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows == [("县", "村", None, "Error description"), ("a", "b", "c", "多余")]


def test_roster_columns_spec():
    required = [spec.key for spec in ROSTER_COLUMNS if spec.required]
    assert required == ["county", "township", "village", "household_number", "name", "id_number"]
    assert [spec.label for spec in ROSTER_COLUMNS] == PLAIN_HEADER
    assert reader.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
