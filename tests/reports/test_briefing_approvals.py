"""The briefing with the approvals and rectification apps: which units' figures were approved
(the rest flagged provisional), and the rectification section."""

import datetime
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from approvals.services import approval_approve, approval_submit
from rectification.services import item_create
from reports.briefings.docx import write_docx
from reports.briefings.sections import build_sections
from reports.briefings.services import briefing_create, build_document
from reports.briefings.xlsx import write_xlsx

pytestmark = pytest.mark.django_db
H1 = {"start": datetime.date(2019, 1, 1), "end": datetime.date(2019, 6, 30)}


def test_approved_units_and_provisional_ones(users, tree):
    approval = approval_submit(period_kind="half", year=2019, number=1, by=users.township_doctor)
    approval_approve(approval=approval, by=users.county_staff)
    briefing = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    document = build_document(briefing, users.county_staff)
    by_name = {a.unit_name: a for a in document.approvals}
    assert by_name["元马镇"].approved
    assert not by_name["黄瓜园镇"].approved
    assert "黄瓜园镇" in {a.unit_name for a in document.provisional}
    assert "元马镇" not in {a.unit_name for a in document.provisional}
    out = io.BytesIO()
    write_xlsx(document, out)
    cover = [c.value for row in load_workbook(out)["封面"].iter_rows() for c in row if c.value]
    assert any(
        text.startswith("黄瓜园镇：") and text.endswith("（数据为初步统计）") for text in cover
    )
    assert any(text.startswith("元马镇：") and "初步统计" not in text for text in cover)
    # the Word file lists them too, as bullets
    word = io.BytesIO()
    write_docx(document, word)
    bullets = [p.text for p in Document(word).paragraphs if p.style.name == "List Bullet"]
    assert len(bullets) == len(document.approvals)
    assert any(
        text.startswith("黄瓜园镇：") and text.endswith("（数据为初步统计）") for text in bullets
    )


def test_rectification_section(users, tree):
    common = {"source": "督查", "responsible_unit": "元马镇卫生院", "region": tree.township}
    late = item_create(
        found_on=datetime.date(2019, 2, 1), finding="档案不全", deadline=datetime.date(2019, 3, 31),
        by=users.county_staff, **common,
    )  # fmt: skip
    closed = item_create(
        found_on=datetime.date(2019, 3, 1), finding="签约不实", deadline=datetime.date(2019, 12, 31),
        by=users.county_staff, **common,
    )  # fmt: skip
    assert late.pk != closed.pk
    sections = build_sections(users.county_staff, tree.county, **H1)
    section = next(s for s in sections if s.key == "rectification")
    assert "累计排查问题2个" in section.narrative
    assert "逾期未整改1个" in section.narrative
    assert section.rows[0][:2] == ["元马镇卫生院", 2]
    # none in another county
    other = build_sections(users.other_county_staff, tree.other_county, **H1)
    assert "rectification" not in [s.key for s in other]
