"""A briefing as an xlsx workbook (XlsxWriter, ``constant_memory``: rows are written once, in
order, and flushed, so memory stays flat).

Sheets: 封面 (title, 第N期 or 未编号, publisher, date), 目录, one sheet per section (its
paragraph, its table by region, a native column chart over the table's figures) and 原始数据
(every figure with its definition, numerator and denominator). Text is written with
``write_string`` only, never ``write``: a cell that starts with "=" stays text, so nothing a
user typed (a template, a name) can become a formula. Counts are numbers; rates and 万元 are
written as the seeds print them ("82.20%", "1160.04").
"""

from __future__ import annotations

import xlsxwriter

from reports.briefings import formats as fmt
from reports.briefings.sections import Document

SHEET_NAME_MAX = 31


def _write_row(sheet, row: int, values, cell_format=None) -> None:
    for col, value in enumerate(values):
        if isinstance(value, bool) or value is None:
            sheet.write_string(row, col, "" if value is None else str(value), cell_format)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, cell_format)
        else:
            sheet.write_string(row, col, str(value), cell_format)


def write_xlsx(document: Document, path_or_file) -> None:
    book = xlsxwriter.Workbook(
        path_or_file,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    title = book.add_format({"bold": True, "font_size": 20, "align": "center"})
    big = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    cell = book.add_format({"border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    warn = book.add_format({"font_color": "#9C0006"})

    cover = book.add_worksheet("封面")
    cover.set_column(0, 0, 60)
    cover.write_string(1, 0, document.title, title)
    cover.write_string(3, 0, document.issue, big)
    cover.write_string(5, 0, document.publisher.name, big)
    cover.write_string(6, 0, fmt.chinese_date(document.issued_on), big)
    cover.write_string(
        8, 0, f"统计期间：{fmt.chinese_date(document.start)}至{fmt.chinese_date(document.end)}"
    )
    row = 10
    if document.approvals:
        approved = [a for a in document.approvals if a.approved]
        cover.write_string(row, 0, f"数据审核：{len(approved)}个单位已审核通过", bold)
        row += 1
        for approval in document.approvals:
            text = f"{approval.unit_name}：{approval.status_label}"
            if not approval.approved:
                text += "（数据为初步统计）"
            cover.write_string(row, 0, text, None if approval.approved else warn)
            row += 1

    contents = book.add_worksheet("目录")
    contents.set_column(0, 0, 8)
    contents.set_column(1, 1, 40)
    contents.write_string(0, 0, "目录", bold)
    names = []
    for i, section in enumerate(document.sections, start=1):
        name = f"{i}.{section.title}"[:SHEET_NAME_MAX]
        for ch in "[]:*?/\\":
            name = name.replace(ch, "")
        names.append(name)
        contents.write_string(i, 0, fmt.chinese_number(i))
        contents.write_url(i, 1, f"internal:'{name}'!A1", string=section.title)
    contents.write_url(len(names) + 1, 1, "internal:'原始数据'!A1", string="原始数据")

    for i, (section, name) in enumerate(zip(document.sections, names, strict=True), start=1):
        sheet = book.add_worksheet(name)
        sheet.set_column(0, 0, 18)
        sheet.set_column(1, len(section.headers), 14)
        sheet.write_string(0, 0, f"{fmt.chinese_number(i)}、{section.title}", bold)
        sheet.set_row(1, 90)
        sheet.merge_range(1, 0, 1, max(len(section.headers) - 1, 6), section.narrative, wrap)
        _write_row(sheet, 3, section.headers, header)
        for r, values in enumerate(section.rows, start=4):
            _write_row(sheet, r, values, cell)
        chart_row = 4 + len(section.rows) + 1
        chart = section.chart
        if chart and chart.categories:
            # The chart's figures as numbers (the table prints rates as text, as the seeds do).
            sheet.write_string(
                chart_row, 0, "图表数据" + (f"（{chart.unit}）" if chart.unit else ""), bold
            )
            _write_row(sheet, chart_row + 1, ["地区", *[s[0] for s in chart.series]], header)
            first = chart_row + 2
            for j, category in enumerate(chart.categories):
                _write_row(sheet, first + j, [category, *[s[1][j] for s in chart.series]], cell)
            last = first + len(chart.categories) - 1
            native = book.add_chart({"type": "column"})
            for k, (series_name, _values) in enumerate(chart.series, start=1):
                native.add_series(
                    {
                        "name": series_name,
                        "categories": [name, first, 0, last, 0],
                        "values": [name, first, k, last, k],
                    }
                )
            native.set_title({"name": chart.title})
            native.set_y_axis({"name": chart.unit})
            native.set_legend({"position": "bottom"})
            sheet.insert_chart(chart_row, len(chart.series) + 2, native)

    raw = book.add_worksheet("原始数据")
    raw.set_column(0, 1, 24)
    raw.set_column(2, 2, 14)
    raw.set_column(3, 3, 60)
    raw.set_column(4, 5, 18)
    _write_row(raw, 0, ["部分", "指标", "数值", "定义", "分子", "分母"], header)
    r = 1
    for section in document.sections:
        for figure in section.figures:
            _write_row(
                raw,
                r,
                [
                    section.title,
                    figure.label,
                    figure.value,
                    figure.definition,
                    figure.numerator,
                    figure.denominator,
                ],
            )
            r += 1
    book.close()
