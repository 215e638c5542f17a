"""A briefing as a Word document (python-docx): cover, contents, one section per topic with
its paragraph, its table by region and its chart as an image (``charts.chart_png``), and the
raw figures with their definitions. Word shows text as text: nothing in a .docx is a formula."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
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
        # the style's id looked up once: python-docx resolves a style given by name for
        # every paragraph by scanning all styles (0.5 s for a county's hundred units)
        bullet = doc.styles["List Bullet"].style_id
        for approval in document.approvals:
            text = f"{approval.unit_name}：{approval.status_label}"
            if not approval.approved:
                text += "（数据为初步统计）"
            doc.add_paragraph(text)._p.style = bullet

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
            _table(doc, section.headers, section.rows)
        if section.chart and section.chart.categories:
            doc.add_picture(io.BytesIO(chart_png(section.chart)), width=Cm(16))

    doc.add_heading(f"{fmt.chinese_number(len(document.sections) + 1)}、原始数据", level=1)
    rows = [
        [section.title, f.label, f.value, f.definition, f.numerator, f.denominator]
        for section in document.sections
        for f in section.figures
    ]
    _table(doc, ["部分", "指标", "数值", "定义", "分子", "分母"], rows)
    doc.save(path_or_file)


def _table(doc, headers, rows) -> None:
    """A grid table, its rows written as XML in one piece: python-docx's cell API searches
    the table's XML for every cell, which costs more than the rest of the document."""
    width = len(headers)
    table = doc.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    cell_width = table._tbl.tblGrid.gridCol_lst[0].w if width else None
    tcw = f'<w:tcW w:w="{int(cell_width.twips)}" w:type="dxa"/>' if cell_width else ""
    xml = "".join(
        "<w:tr>"
        + "".join(
            f'<w:tc><w:tcPr>{tcw}</w:tcPr><w:p><w:r><w:t xml:space="preserve">'
            f"{escape(str(value))}</w:t></w:r></w:p></w:tc>"
            for value in values
        )
        + "</w:tr>"
        for values in [headers, *rows]
    )
    fragment = parse_xml(f"<w:tbl {nsdecls('w')}>{xml}</w:tbl>")
    for row in list(fragment):
        table._tbl.append(row)
