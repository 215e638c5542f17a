"""Printed health prescriptions: one A5 page per issued prescription, many pages in one PDF.

ReportLab draws with its built-in CJK CID font STSong-Light (Adobe-GB1), which PDF readers
supply themselves, so nothing but the PyPI package is needed to print Chinese. The page
names the member with the masked ID number only (a printed sheet leaves the clinic), the
doctor and the team, and the household's 亲情号码.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from households.models import HouseholdContact

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


@dataclass
class Page:
    title: str
    member_name: str
    id_masked: str
    sex_age: str
    village: str
    household: str
    issued_on: str
    doctor: str
    team: str
    sections: list[tuple[str, str]]
    contacts: list[str]


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def pages_for(issued_queryset) -> list[Page]:
    """The pages of the issued prescriptions, by village, household and member. Two queries."""
    issued = list(
        issued_queryset.select_related(
            "member__household__village", "prescription", "doctor", "team"
        ).order_by("member__household__village_id", "member__household__number", "member_id", "pk")
    )
    contacts: dict[int, list[str]] = {}
    for contact in HouseholdContact.objects.filter(
        household_id__in={i.member.household_id for i in issued}
    ).order_by("household_id", "kind"):
        contacts.setdefault(contact.household_id, []).append(str(contact))
    pages = []
    for item in issued:
        member, rx = item.member, item.prescription
        pages.append(
            Page(
                title=rx.title,
                member_name=member.name,
                id_masked=member.id_number_masked,
                sex_age=f"{member.get_sex_display()} {member.age_on(item.issued_on)}{_('y')}",
                village=member.household.village.name,
                household=member.household.number,
                issued_on=item.issued_on.isoformat(),
                doctor=_person(item.doctor),
                team=item.team.name if item.team else "",
                sections=[
                    (_("Causes"), rx.cause),
                    (_("Diagnosis criteria"), rx.diagnosis),
                    (_("Treatment principles (Western medicine)"), rx.western_treatment),
                    (_("Treatment principles (Chinese medicine)"), rx.tcm_treatment),
                    (_("Lifestyle"), rx.lifestyle),
                    (_("When to see a doctor"), rx.see_doctor),
                ],
                contacts=contacts.get(member.household_id, []),
            )
        )
    return pages


def render_pdf(pages: list[Page]) -> bytes:
    font = _font()
    title = ParagraphStyle("t", fontName=font, fontSize=14, leading=18, alignment=1)
    head = ParagraphStyle("h", fontName=font, fontSize=9.5, leading=13, spaceBefore=3)
    body = ParagraphStyle("b", fontName=font, fontSize=8.5, leading=11.5, wordWrap="CJK")
    small = ParagraphStyle("s", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK")
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=_("Health prescription"),
        author="healthaid",
    )
    story = []
    for index, page in enumerate(pages):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(escape(page.title), title))
        story.append(Spacer(1, 2 * mm))
        facts = [
            [
                Paragraph(escape(f"{_('Full name')}：{page.member_name}"), small),
                Paragraph(escape(f"{_('ID number')}：{page.id_masked}"), small),
            ],
            [
                Paragraph(escape(f"{page.sex_age} · {page.village}"), small),
                Paragraph(escape(f"{_('Household')}：{page.household}"), small),
            ],
        ]
        table = Table(facts, colWidths=[62 * mm, 62 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "#888888")]))
        story.append(table)
        for heading, text in page.sections:
            story.append(Paragraph(escape(heading), head))
            story.append(Paragraph(escape(text), body))
        story.append(Spacer(1, 3 * mm))
        story.append(
            Paragraph(
                escape(
                    f"{_('Doctor')}：{page.doctor}　{_('Team')}：{page.team}　"
                    f"{_('Date issued')}：{page.issued_on}"
                ),
                small,
            )
        )
        if page.contacts:
            story.append(
                Paragraph(escape(f"{_('Contact numbers')}：" + "；".join(page.contacts)), small)
            )
    document.build(story)
    return buffer.getvalue()
