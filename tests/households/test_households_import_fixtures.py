"""Roster files for the import tests, built the way county offices build them.

Not tests themselves: the service, command, web and browser tests import these builders.  The
messy roster has a merged title row, a merged group-caption row above the header, header cells
with line breaks and full-width spaces, blank rows between the data, and one row for each kind
of bad cell, each at a known sheet row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import openpyxl

from healthaid.idnumbers import make_id_number

TITLE = "元谋县建档立卡贫困人口花名册（2019年度）"
HEADER = [
    "县",
    "乡\u3000镇",
    "村",
    "户编号",
    "姓名",
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


def _id(birth: str, seq: int) -> str:
    return make_id_number("532328", dt.date.fromisoformat(birth), seq)


def _id_ending_in_x(birth: str) -> str:
    for seq in range(1, 1000, 2):  # odd: a man
        number = _id(birth, seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no number ending in X")  # pragma: no cover


def _wrong_check(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

ID = SimpleNamespace(
    a=_id("1960-03-05", 11),  # 张三, man
    b=_id("1962-07-19", 22),  # 李四, woman
    c=_id("1988-01-02", 33),  # 张小明, man
    x=_id_ending_in_x("1970-01-01"),  # 王五, man, check character X
    e=_id("1995-05-05", 44),  # 赵六, woman
    f=_id("1950-10-10", 56),  # 钱七, woman
    g=_id("1975-12-12", 77),  # 孙八, man
    h=_id("1990-02-02", 13),  # 周九: stored as a float
    k=_id("1985-04-04", 15),  # 郑一: wrong check character
    m=_id("1992-09-09", 17),  # 冯二: a man's number, 女 in the sex column
    n=_id("1980-08-08", 88),  # 陈三: twice in the file
    o=_id("1971-01-01", 19),  # 褚四
    p=_id("1972-01-01", 21),  # 卫五
    q=_id("1973-01-01", 23),  # 蒋六
    r=_id("1974-01-01", 25),  # 沈七
    s=_id("1976-01-01", 26),  # 韩八
    t=_id("1977-01-01", 27),  # 杨九
    u=_id("1978-01-01", 28),  # (no name)
    v=_id("1979-01-01", 29),  # 朱一
    w=_id("1981-01-01", 31),  # 秦二
    y=_id("1982-01-01", 32),  # 尤三
)

PLACE1 = ["元谋县", "元马", "能禹村"]  # names without their suffixes
PLACE2 = ["元谋", "元马镇", "丙间村委会"]
PLACE3 = ["元谋县", "黄瓜园镇", "小雷宰"]
PLACE_NEW = ["元谋县", "元马镇", "新建村"]  # not in the tree: created

H1 = "5323281012010001"
H2 = "5323281012020001"
H3 = "5323281022010001"
H4 = "5323281012990001"
H6, H7, H8, H9, H10, H11, H12, H13 = (f"53232810120100{n:02d}" for n in range(6, 14))

GOOD_ROWS = {
    4: [*PLACE1, H1, "张三", "男", ID.a, "户主", "彝族", 13812345678, "一般贫困户", "因病", "是", 2019,
        "高血压、糖尿病", "MB0001"],
    5: [*PLACE1, H1, "李四", "女", f"{ID.b[:6]} {ID.b[6:14]} {ID.b[14:]}", "配偶", "汉族",
        "0878-1234567", "一般贫困户", "因病致贫", "是", "2019年", "健康", None],
    6: [*PLACE1, H1, "张小明", None, ID.c.translate(_FULLWIDTH), "之子", None, None, None, None,
        None, None, "慢阻肺，冠心病", None],
    8: [*PLACE2, H2, "王五", "M", ID.x.lower(), "户主", "彝族", None, "低保户", "因学", "N",
        "2020年度", "某怪病", None],
    9: [*PLACE2, H2, "赵六", "F", "'" + ID.e, "之女", "彝族", None, "低保户", "因学", 0, 2020.0,
        None, None],
    10: [*PLACE3, H3, "钱七", "女", ID.f, "户主", "汉族", None, "特困供养户", "缺劳力", "否", None,
         "Ⅱ型糖尿病", "MB0002"],
    11: [*PLACE_NEW, H4, "孙八", "男", ID.g, "户主", "汉族", "13900001111", "一般贫困户", "缺技术",
         "否", None, None, None],
}  # fmt: skip

_REST = ["汉族", None, "一般贫困户", "因病", "是", None, None, None]
# Members of a household whose head's row carries the household columns leave them blank.
_MEMBER = ["汉族", None, None, None, None, None, None, None]
BAD_ROWS = {
    12: [*PLACE1, H1, "周九", "男", float(ID.h), "之子", *_MEMBER],
    13: [*PLACE2, H2, "吴十", "女", "5.32328E+17", "之女", *_MEMBER],
    14: [*PLACE1, H6, "郑一", "男", _wrong_check(ID.k), "户主", *_REST],
    15: [*PLACE3, H3, "冯二", "女", ID.m, "之子", *_MEMBER],
    16: [*PLACE1, H7, "陈三", "女", ID.n, "户主", *_REST],
    17: [*PLACE1, H7, "陈三", "女", ID.n, "配偶", *_REST],
    18: ["元某县", "元马镇", "能禹村委会", H8, "褚四", "男", ID.o, "户主", *_REST],
    19: ["元谋县", "不存在乡", "能禹村委会", H9, "卫五", "男", ID.p, "户主", *_REST],
    20: ["双柏县", "妥甸镇", "大庄村委会", H10, "蒋六", "男", ID.q, "户主", *_REST],
    22: [*PLACE1, H11, "沈七", "男", ID.r, "户主", *_REST],
    23: [*PLACE2, H11, "韩八", "女", ID.s, "配偶", *_REST],
    24: [*PLACE1, H12, "杨九", "男", ID.t, "户主", "汉族", None, "富裕户", "因病", "是", None, None,
         None],
    25: [*PLACE3, H3, None, "女", ID.u, "之女", *_MEMBER],
    26: [*PLACE_NEW, H4, "朱一", "男", ID.v, "配偶", "汉族", "12345", "一般贫困户", "缺技术", "否",
         None, None, None],
    27: [*PLACE1, H13, "秦二", "男", ID.w, "户主", "汉族", None, "一般贫困户", "因病", "是", "明年",
         None, None],
    28: [*PLACE_NEW, H4, "尤三", "女", ID.y, "邻居", "汉族", None, "一般贫困户", "缺技术", "否",
         None, None, None],
}  # fmt: skip

# (row, column, code) of every error in the messy roster, in order, for county staff of 元谋县.
EXPECTED_ERRORS = [
    (12, "证件号码", "id_float"),
    (13, "证件号码", "id_scientific"),
    (14, "证件号码", "id_checksum"),
    (15, "性别", "sex_mismatch"),
    (16, "证件号码", "id_duplicate"),
    (17, "证件号码", "id_duplicate"),
    (18, "县", "unknown_county"),
    (19, "乡镇", "unknown_township"),
    (20, "县", "outside_scope"),
    (23, "村", "household_village"),
    (24, "贫困户属性", "invalid_choice"),
    (25, "姓名", "required"),
    (26, "联系电话", "invalid_phone"),
    (27, "脱贫年度", "invalid_year"),
    (28, "与户主关系", "invalid_choice"),
]


def messy_rows() -> dict[int, list]:
    """Sheet row → cells; rows 7 and 21 stay blank (21 holds whitespace only)."""
    rows = {**GOOD_ROWS, **BAD_ROWS, 21: ["  ", "\u3000", None]}
    return dict(sorted(rows.items()))


def xlsx_bytes(rows: dict[int, list], *, header: list[str] = HEADER, messy: bool = True) -> bytes:
    """A workbook with ``rows`` at their sheet rows; with ``messy``, the title and a merged
    group-caption row sit above the header in row 3, as county offices lay them out."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    if messy:
        sheet["A1"] = TITLE
        sheet.merge_cells("A1:P1")
        sheet["A2"] = "地址"
        sheet.merge_cells("A2:C2")
        sheet["D2"] = "家庭成员信息"
        sheet.merge_cells("D2:J2")
        sheet["K2"] = "致贫及健康情况"
        sheet.merge_cells("K2:P2")
        header_row = 3
    else:
        header_row = 1
    for col, value in enumerate(header, start=1):
        sheet.cell(row=header_row, column=col, value=value)
    for number, values in rows.items():
        for col, value in enumerate(values, start=1):
            sheet.cell(row=number, column=col, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def messy_xlsx() -> bytes:
    return xlsx_bytes(messy_rows())


def good_rows_compact() -> dict[int, list]:
    """The valid rows only, renumbered from row 2 under a plain header in row 1."""
    return dict(enumerate(GOOD_ROWS.values(), start=2))


def good_xlsx() -> bytes:
    return xlsx_bytes(good_rows_compact(), header=PLAIN_HEADER, messy=False)


def csv_bytes(rows: list[list], encoding: str = "gb18030", header=PLAIN_HEADER) -> bytes:
    """A CSV as Chinese Excel saves it (GB18030 unless told otherwise)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode(encoding)


def all_clear_numbers() -> list[str]:
    """Every ID number in the fixtures, for checking that none is stored in clear."""
    return list(vars(ID).values())
