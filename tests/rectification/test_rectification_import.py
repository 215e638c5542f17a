"""The 问题清单 import: a good file, bad rows named (row, column, value, reason), all or nothing
unless --skip-invalid, dry run, the command and the upload page's job."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from healthaid.models import AuditLog, Job
from rectification.importing import rectification_import
from rectification.models import RectificationItem

pytestmark = pytest.mark.django_db

HEADERS = ["来源", "问题", "责任单位", "整改措施", "整改时限"]
GOOD = [
    ["省委巡视", "贫困人口签约服务履约不到位", "元马镇卫生院", "逐户核实，补齐随访", "2099-06-30"],
    ["州级督查", "慢病卡办理不及时", "县卫健局", "集中办理", datetime.date(2099, 3, 31)],
    ["明察暗访", "家庭医生不熟悉签约对象", "黄瓜园镇卫生院", "开展培训", "2019年12月31日"],
]
BAD = [
    ["走访", "来源不明的问题", "县卫健局", "核查", "2099-01-01"],  # row 5: unknown source
    ["审计", "", "县卫健局", "核查", "下月"],  # row 6: no finding, no date
]


def workbook(rows, title=True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["元谋县健康扶贫问题整改清单"])  # a title row above the header
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_good_file(users, tree):
    result = rectification_import(
        source=workbook(GOOD), filename="清单.xlsx", by=users.county_staff
    )
    assert result.applied and not result.errors
    assert (result.total_rows, result.created) == (3, 3)
    items = {i.responsible_unit: i for i in RectificationItem.objects.all()}
    assert items["元马镇卫生院"].region == tree.township  # the township it names
    assert items["黄瓜园镇卫生院"].region == tree.other_township
    assert items["县卫健局"].region == tree.county
    assert items["元马镇卫生院"].source == "patrol"
    assert items["县卫健局"].source == "supervision"
    assert items["黄瓜园镇卫生院"].source == "unannounced"
    assert items["黄瓜园镇卫生院"].status == "overdue"  # its deadline has passed
    assert items["县卫健局"].deadline == datetime.date(2099, 3, 31)
    assert AuditLog.objects.filter(target_type="rectification.rectificationitem").count() == 3
    again = rectification_import(source=workbook(GOOD), filename="清单.xlsx", by=users.county_staff)
    assert (again.created, again.unchanged) == (0, 3)
    assert RectificationItem.objects.count() == 3


def test_bad_rows_are_named_and_refuse_all(users, tree):
    result = rectification_import(
        source=workbook(GOOD + BAD), filename="清单.xlsx", by=users.county_staff
    )
    assert not result.applied
    assert not RectificationItem.objects.exists()
    named = {(e.row, e.column, e.value) for e in result.errors}
    assert named == {(6, "来源", "走访"), (7, "问题", ""), (7, "整改时限", "下月")}
    assert all(e.message for e in result.errors)
    errors = openpyxl.load_workbook(io.BytesIO(result.error_workbook())).active
    assert [c.value for c in next(errors.iter_rows(min_row=2, max_row=2))][:1] == ["走访"]


def test_skip_invalid_and_dry_run(users, tree):
    dry = rectification_import(
        source=workbook(GOOD + BAD), filename="a.xlsx", by=users.county_staff, dry_run=True
    )
    assert not dry.applied and dry.created == 3 and len(dry.errors) == 3
    assert not RectificationItem.objects.exists()
    result = rectification_import(
        source=workbook(GOOD + BAD), filename="a.xlsx", by=users.county_staff, skip_invalid=True
    )
    assert result.applied and result.created == 3 and result.skipped == 2
    assert RectificationItem.objects.count() == 3


def test_roles_and_scope(users, tree):
    refused = rectification_import(
        source=workbook(GOOD), filename="a.xlsx", by=users.township_doctor
    )
    assert refused.file_error_code == "forbidden"
    outside = rectification_import(
        source=workbook(GOOD), filename="a.xlsx", by=users.county_staff, region_code="532322"
    )
    assert outside.file_error_code == "forbidden"
    assert not RectificationItem.objects.exists()


def test_command(users, tree, tmp_path, capsys):
    path = tmp_path / "问题清单.xlsx"
    path.write_bytes(workbook(GOOD + BAD))
    with pytest.raises(CommandError):
        call_command("import_rectification", str(path), "--region", "532328")
    assert not RectificationItem.objects.exists()
    call_command(
        "import_rectification", str(path), "--region", "532328", "--dry-run", "--skip-invalid"
    )
    assert not RectificationItem.objects.exists()
    call_command("import_rectification", str(path), "--region", "532328", "--skip-invalid")
    assert RectificationItem.objects.count() == 3
    out = capsys.readouterr()
    assert "6" in out.err and "走访" in out.err
    with pytest.raises(CommandError):  # an operator run must say which county
        call_command("import_rectification", str(path))


def test_upload_page_runs_the_job(users, tree, client_as, django_capture_on_commit_callbacks):
    client = client_as(users.county_staff)
    assert client.get(reverse("rectification:import")).status_code == 200
    upload = SimpleUploadedFile("清单.xlsx", workbook(GOOD + BAD))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rectification:import"), {"file": upload, "skip_invalid": "on"}
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("rectification:import-job", args=[job.uuid])
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result["created"] == 3
    page = client.get(reverse("rectification:import-job", args=[job.uuid]))
    assert page.context["result"].skipped == 2
    errors = client.get(reverse("rectification:import-errors", args=[job.uuid]))
    assert errors.status_code == 200
    assert client_as(users.township_doctor).get(reverse("rectification:import")).status_code == 403
