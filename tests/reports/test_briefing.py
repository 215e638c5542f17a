"""Briefings: seed 002's sentences as the oracle, the writers read back, numbering, templates."""

import datetime
import io
import os
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook

from reports.briefings import formats as fmt
from reports.briefings.narrative import fill, validate_template
from reports.briefings.sections import allowed_placeholders, build_sections
from reports.briefings.services import (
    briefing_create,
    briefing_reader,
    briefing_run,
    briefing_take_number,
    build_document,
    template_save,
)
from reports.briefings.xlsx import write_xlsx
from reports.models import Briefing, BriefingCounter, BriefingStatus
from tests.medconsortium.settlements.test_settlements_figures import seed_002  # noqa: F401

pytestmark = pytest.mark.django_db
H1 = {"start": datetime.date(2019, 1, 1), "end": datetime.date(2019, 6, 30)}

SEED_002_SETTLEMENT = (
    "全县建档立卡贫困人口门诊就诊45862人次，总费用236.45万元，统筹支付96.93万元，个人支付139.51万元；"
    "全县建档立卡贫困人口规范转诊转院住院2517人次，总费用1160.04万元，个人自付111.82万元，"
    "实际报销比例90.36%，人均自付444.25元，自付比例9.64%"
)


def test_number_formats_as_the_seeds_print_them():
    assert fmt.issue_label(26) == "第二十六期"
    assert fmt.issue_label(10) == "第十期"
    assert fmt.issue_label(105) == "第一百零五期"
    assert fmt.issue_label(None) == "未编号"
    assert fmt.period_words(*H1.values()) == "上半年"
    assert fmt.period_words(datetime.date(2019, 4, 1), datetime.date(2019, 6, 30)) == "第二季度"
    assert fmt.period_words(datetime.date(2019, 3, 1), datetime.date(2019, 3, 31)) == "3月"


def test_seed_002_settlement_paragraph(seed_002, users, tree):  # noqa: F811
    sections = build_sections(users.county_staff, tree.county, **H1)
    settlements = next(s for s in sections if s.key == "settlements")
    assert settlements.narrative == SEED_002_SETTLEMENT + "。"
    # the table by township adds up to the county
    assert sum(row[3] for row in settlements.rows) == 2517
    assert [row[0] for row in settlements.rows] == ["元马镇", "黄瓜园镇"]
    # every figure of the raw-data sheet has its definition; ratios their parts
    ratio = next(f for f in settlements.figures if f.key == "actual_reimbursement_ratio")
    assert (ratio.value, ratio.numerator, ratio.denominator) == (
        "90.36%",
        "10482222.75",
        "11600400.00",
    )
    # a scheduled run reads as the publisher: the same paragraph
    reader_sections = build_sections(briefing_reader(tree.county), tree.county, **H1)
    assert next(s for s in reader_sections if s.key == "settlements").narrative == (
        settlements.narrative
    )


def test_only_sections_with_data(seed_002, users, tree):  # noqa: F811
    keys = [s.key for s in build_sections(users.county_staff, tree.county, **H1)]
    assert "settlements" in keys
    assert "five_ones" not in keys and "free_clinics" not in keys
    later = build_sections(
        users.county_staff, tree.county, datetime.date(2030, 1, 1), datetime.date(2030, 6, 30)
    )
    assert "settlements" not in [s.key for s in later]


def test_templates_are_filled_safely():
    allowed = allowed_placeholders("settlements")
    validate_template("{area}门诊{outpatient_visits}人次", allowed)
    for bad in ("{nope}", "{area.__class__}", "{area[0]}", "{area!r}", "{area:>10}", "{", "{}"):
        with pytest.raises(ValidationError):
            validate_template(bad, allowed)
    with pytest.raises(ValidationError, match="nope"):
        validate_template("{area}{nope}", allowed)
    assert fill("{{字面}}{a}", {"a": "1"}) == "{字面}1"
    assert fill("{a.__class__}", {"a": "1"}) == "{a.__class__}"


def test_county_template_used_and_unknown_refused(seed_002, users, tree):  # noqa: F811
    with pytest.raises(ValidationError):
        template_save(publisher=tree.county, section="settlements", text="{x}", by=None)
    template_save(
        publisher=tree.county,
        section="settlements",
        text="=1+1 {area}住院{inpatient_person_times}人次",
        by=users.county_staff,
    )
    briefing = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    document = build_document(briefing, users.county_staff)
    settlements = next(s for s in document.sections if s.key == "settlements")
    assert settlements.narrative == "=1+1 全县住院2517人次"
    # a township without templates of its own writes in its county's words
    township = briefing_create(user=None, publisher=tree.township, kind="poverty", **H1)
    township_doc = build_document(township)
    assert next(s for s in township_doc.sections if s.key == "settlements").narrative.startswith(
        "=1+1 全镇住院"
    )
    # read back: the text that looks like a formula is text
    out = io.BytesIO()
    write_xlsx(document, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert "=1+1 全县住院2517人次" in cells
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


def test_xlsx_read_back(seed_002, users, tree, tmp_path):  # noqa: F811
    briefing = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    briefing_run(briefing, action="generate", user=users.county_staff)
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.READY and briefing.number is None
    book = load_workbook(briefing.xlsx_file.open("rb"))
    assert book.sheetnames[0] == "封面" and book.sheetnames[1] == "目录"
    assert book.sheetnames[-1] == "原始数据"
    cover = [c.value for row in book["封面"].iter_rows() for c in row if c.value]
    assert "卫生健康工作简报" in cover and "未编号" in cover and "元谋县" in cover
    sheet = next(ws for ws in book.worksheets if ws.title.endswith("医疗费用结算和报销"))
    assert sheet["A2"].value == SEED_002_SETTLEMENT + "。"
    assert sheet._charts or book.worksheets  # openpyxl does not read charts back; see below
    raw = [tuple(c.value for c in row) for row in book["原始数据"].iter_rows(min_row=2)]
    assert ("医疗费用结算和报销", "实际报销比例", "90.36%", "（总费用 − 个人自付）÷ 总费用",
            "10482222.75", "11600400.00") in raw  # fmt: skip
    # the native chart is in the package
    import zipfile

    with zipfile.ZipFile(briefing.xlsx_file.open("rb")) as package:
        assert any(name.startswith("xl/charts/chart") for name in package.namelist())
    with zipfile.ZipFile(briefing.docx_file.open("rb")) as package:
        assert any(name.startswith("word/media/") for name in package.namelist())


def test_make_briefing_command(seed_002, tree, tmp_path):  # noqa: F811
    out, docx = tmp_path / "b.xlsx", tmp_path / "b.docx"
    call_command(
        "make_briefing", "--region", tree.county.code, "--start", "2019-01-01",
        "--end", "2019-06-30", "--out", str(out), "--docx", str(docx), stdout=io.StringIO(),
    )  # fmt: skip
    book = load_workbook(out)
    assert "未编号" in [c.value for row in book["封面"].iter_rows() for c in row]
    from docx import Document

    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert SEED_002_SETTLEMENT in text


def test_numbers_never_twice_never_skipped(users, tree, monkeypatch):
    first = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    second = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    briefing_run(first, action="generate", user=users.county_staff)
    # the publish job is killed after taking its number, before the files are written
    import reports.briefings.services as services

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "briefing_write", killed)
    with pytest.raises(SystemExit):
        briefing_run(first, action="publish", user=users.county_staff)
    first.refresh_from_db()
    assert first.number == 1
    monkeypatch.undo()
    # it runs again: the same number, the files written with it
    briefing_run(first, action="publish", user=users.county_staff)
    briefing_take_number(first)
    first.refresh_from_db()
    assert (first.number, first.status) == (1, BriefingStatus.PUBLISHED)
    book = load_workbook(first.xlsx_file.open("rb"))
    assert "第一期" in [c.value for row in book["封面"].iter_rows() for c in row]
    assert BriefingCounter.objects.get(publisher=tree.county).last_number == 1
    # the next briefing takes the next number
    briefing_take_number(second)
    assert second.number == 2
    assert BriefingCounter.objects.get(publisher=tree.county).last_number == 2
    # another publisher counts on its own
    other = briefing_create(user=None, publisher=tree.township, kind="poverty", **H1)
    assert briefing_take_number(other).number == 1
    assert sorted(Briefing.objects.values_list("number", flat=True)) == [1, 1, 2]


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("libreoffice"), reason="no libreoffice on this machine")
def test_libreoffice_opens_both_files(seed_002, users, tree, tmp_path):  # noqa: F811
    briefing = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    document = build_document(briefing, users.county_staff)
    write_xlsx(document, str(tmp_path / "b.xlsx"))
    from reports.briefings.docx import write_docx

    write_docx(document, str(tmp_path / "b.docx"))
    for name, target in (("b.xlsx", "ods"), ("b.docx", "odt")):
        subprocess.run(
            ["libreoffice", "--headless", "--convert-to", target, "--outdir", str(tmp_path),
             str(tmp_path / name)],
            check=True, capture_output=True, timeout=180,
            env={**os.environ, "HOME": str(tmp_path)},
        )  # fmt: skip
        assert (tmp_path / f"b.{target}").stat().st_size > 0


def test_a_briefing_whose_job_was_reaped_can_be_written_again(users, tree):
    from healthaid.jobs import reap_stale_jobs
    from healthaid.models import Job
    from reports.briefings.services import briefing_start, can_publish, can_regenerate

    class Task:
        def delay(self, job_id):
            pass

    briefing = briefing_create(user=users.county_staff, publisher=tree.county, kind="work", **H1)
    job = briefing_start(briefing, user=users.county_staff, task=Task())
    assert not can_regenerate(briefing)  # its job is on its way
    Job.objects.filter(pk=job.pk).update(status="running", heartbeat_at=None, started_at=None)
    assert reap_stale_jobs() == 1  # the worker died; beat's reaper fails the job
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.GENERATING
    assert can_regenerate(briefing) and not can_publish(briefing)
