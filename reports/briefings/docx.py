"""A briefing as a Word document (python-docx): cover, contents, one section per topic with
its paragraph, its table by region and its chart as an image (``charts.chart_png``), and the
raw figures with their definitions. Word shows text as text: nothing in a .docx is a formula."""

from __future__ import annotations

import io

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from reports.briefings import formats as fmt
from reports.briefings.charts import chart_png
from reports.briefings.sections import Document


def _east_asian(style, name: str = "宋体") -> None:
    style.font.name = name
    style.element.rPr.rFonts.set(qn("w:eastAsia"), name)


def _centred(doc, text: str, size: int, *, bold: bool = False, colour=None):
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = colour
    return paragraph


def write_docx(document: Document, path_or_file) -> None:
    doc = WordDocument()
    _east_asian(doc.styles["Normal"])
    red = RGBColor(0xC0, 0x00, 0x00)
    _centred(doc, document.title, 26, bold=True, colour=red)
    _centred(doc, document.issue, 16)
    _centred(doc, f"{document.publisher.name}　　{fmt.chinese_date(document.issued_on)}", 14)
    _centred(
        doc,
        f"统计期间：{fmt.chinese_date(document.start)}至{fmt.chinese_date(document.end)}",
        12,
    )
    if document.approvals:
        approved = [a for a in document.approvals if a.approved]
        doc.add_paragraph(f"数据审核：{len(approved)}个单位已审核通过。")
        for approval in document.approvals:
            text = f"{approval.unit_name}：{approval.status_label}"
            if not approval.approved:
                text += "（数据为初步统计）"
            doc.add_paragraph(text, style="List Bullet")

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("目录", level=1)
    for i, section in enumerate(document.sections, start=1):
        doc.add_paragraph(f"{fmt.chinese_number(i)}、{section.title}")
    doc.add_paragraph(f"{fmt.chinese_number(len(document.sections) + 1)}、原始数据")

    for i, section in enumerate(document.sections, start=1):
        doc.add_heading(f"{fmt.chinese_number(i)}、{section.title}", level=1)
        paragraph = doc.add_paragraph(section.narrative)
        paragraph.paragraph_format.first_line_indent = Pt(24)
        if section.rows:
            table = doc.add_table(rows=1, cols=len(section.headers))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, section.headers, strict=True):
                cell.text = str(text)
            for values in section.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, values, strict=True):
                    cell.text = str(value)
        if section.chart and section.chart.categories:
            doc.add_picture(io.BytesIO(chart_png(section.chart)), width=Cm(16))

    doc.add_heading(f"{fmt.chinese_number(len(document.sections) + 1)}、原始数据", level=1)
    headers = ["部分", "指标", "数值", "定义", "分子", "分母"]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for section in document.sections:
        for figure in section.figures:
            cells = table.add_row().cells
            values = [section.title, figure.label, figure.value, figure.definition,
                      figure.numerator, figure.denominator]  # fmt: skip
            for cell, value in zip(cells, values, strict=True):
                cell.text = value
    doc.save(path_or_file)
