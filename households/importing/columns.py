"""The roster's columns: the headers a 建档立卡户花名册 may carry, and its reader."""

from __future__ import annotations

import os
from typing import IO

from healthaid.importing.reader import ColumnSpec, ParsedSheet, read_table

__all__ = ["ROSTER_COLUMNS", "read_roster"]

# fmt: off
ROSTER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("county", ("县", "县(市、区)", "县(市区)", "县区", "县市区", "county"), True),
    ColumnSpec("township", ("乡镇", "乡", "镇", "乡(镇)", "乡镇(街道)", "township"), True),
    ColumnSpec("village", ("村", "行政村", "村委会", "村(社区)", "village"), True),
    ColumnSpec("household_number",
               ("户编号", "户号", "户编码", "户主编号", "household_no", "household_number"), True),
    ColumnSpec("name", ("姓名", "name"), True),
    ColumnSpec("sex", ("性别", "sex", "gender")),
    ColumnSpec("id_number",
               ("证件号码", "身份证号", "身份证号码", "公民身份号码", "身份证件号码", "id_number",
                "id_no"), True),
    ColumnSpec("relation", ("与户主关系", "与户主的关系", "relation")),
    ColumnSpec("ethnicity", ("民族", "ethnicity")),
    ColumnSpec("phone", ("联系电话", "电话", "电话号码", "手机号", "手机号码", "phone")),
    ColumnSpec("poverty_attribute", ("贫困户属性", "poverty_attribute")),
    ColumnSpec("poverty_cause", ("主要致贫原因", "致贫原因", "poverty_cause")),
    ColumnSpec("illness_caused", ("是否因病致贫", "illness_caused")),
    ColumnSpec("lifted_year", ("脱贫年度", "脱贫年份", "脱贫时间", "lifted_year")),
    ColumnSpec("diseases", ("患病情况", "疾病", "所患疾病", "diseases")),
    ColumnSpec("card_number", ("慢病卡号", "card_no", "card_number")),
)
# fmt: on


def read_roster(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes],
    filename: str | None = None,
) -> ParsedSheet:
    """Read a 建档立卡户花名册 against :data:`ROSTER_COLUMNS`."""
    return read_table(source, filename, ROSTER_COLUMNS)
