"""The settlement import (结算明细, issue 9) on the shared import framework."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from healthaid.choices import AuditAction, JobStatus
from healthaid.idnumbers import decrypt_id_number
from healthaid.importing.command import ImportStopped
from healthaid.models import AuditLog, Job
from households.services import disease_catalogue_sync
from medconsortium.models import Encounter, Settlement
from medconsortium.settlement_importing import SETTLEMENT_COLUMNS, settlement_import
from tests.households.factories import build_registry

HEADER = [spec.label for spec in SETTLEMENT_COLUMNS]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def registry(tree, users):
    disease_catalogue_sync()
    return build_registry(tree)


def line(member, institution="元谋县人民医院", **changes):
    values = {
        "医疗机构": institution,
        "就诊类型": "住院",
        "姓名": member.name,
        "证件号码": decrypt_id_number(member.id_number_cipher),
        "入院日期": "2019-03-01",
        "出院日期": "2019-03-08",
        "总费用": 5000.5,
        "基本医保统筹支付": 3000,
        "大病保险": 500,
        "医疗救助": 800.5,
        "其他保障": 200,
        "个人自付": 500,
        "目录外费用": 100,
        "一站式结算": "是",
        "先诊疗后付费": "否",
    }
    values.update(changes)
    return [values[h] for h in HEADER]


def workbook(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["元谋县2019年上半年建档立卡贫困人口结算明细"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(data, user, **options):
    return settlement_import(source=data, filename="结算.xlsx", by=user, **options)


def test_a_clean_file_imports_and_reimporting_it_changes_nothing(registry, users):
    heads = registry.heads
    rows = [
        line(heads["village"]),
        line(heads["village2"], "元马镇卫生院", 就诊类型="门诊", 出院日期=None, 总费用="120.00",
             基本医保统筹支付="80", 大病保险=0, 医疗救助=0, 其他保障=0, 个人自付="40.00",
             目录外费用=0),
    ]  # fmt: skip
    data = workbook(rows)
    result = run(data, users.county_staff)
    assert result.applied and result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert result.header_row == 2
    settlement = Settlement.objects.get(encounter__member=heads["village"])
    assert settlement.total == Decimal("5000.50") and settlement.assistance == Decimal("800.50")
    assert settlement.one_stop and not settlement.treat_first_pay_later
    visit = Encounter.objects.get(member=heads["village2"])
    assert visit.kind == "outpatient" and visit.admitted_on == visit.discharged_on
    assert visit.institution.name == "元马镇卫生院"

    audit_rows = AuditLog.objects.count()
    again = run(data, users.county_staff)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Encounter.objects.count() == 2 and Settlement.objects.count() == 2
    assert AuditLog.objects.count() == audit_rows


def test_a_corrected_row_updates_its_settlement_with_an_audit_row(registry, users):
    head = registry.heads["village"]
    run(workbook([line(head)]), users.county_staff)
    corrected = run(workbook([line(head, 基本医保统筹支付=3100, 个人自付=400)]), users.county_staff)
    assert (corrected.created, corrected.updated) == (0, 1)
    settlement = Settlement.objects.get()
    assert (settlement.pooled, settlement.out_of_pocket) == (Decimal("3100.00"), Decimal("400.00"))
    entry = AuditLog.objects.filter(
        action=AuditAction.UPDATE, target_type="medconsortium.settlement"
    ).get()
    assert entry.after["pooled"] in ("3100.00", "3100") and "out_of_pocket" in entry.before


def test_parts_that_do_not_add_up_are_refused_with_the_difference(registry, users):
    head = registry.heads["village"]
    result = run(workbook([line(head, 个人自付=510)]), users.county_staff)
    assert not result.applied
    (error,) = result.errors
    assert (error.row, error.column, error.code) == (3, "总费用", "parts")
    assert "difference -10.00" in error.message or "difference 10.00" in error.message
    assert not Encounter.objects.exists()


def test_registry_rules_unknown_id_is_an_error_a_different_name_a_warning(registry, users):
    head, spouse = registry.heads["village"], registry.spouses["village"]
    stranger = line(head, 证件号码="110101199003074514")
    rows = [line(head, 姓名="张冒名"), line(spouse, 姓名=None), stranger]
    result = run(workbook(rows), users.county_staff, skip_invalid=True)
    assert [(e.row, e.column, e.code) for e in result.errors] == [(5, "证件号码", "unknown_member")]
    assert result.errors[0].value == "110101********4514"  # masked
    assert [(w.row, w.code) for w in result.warnings] == [(3, "name_mismatch")]
    assert result.applied and result.created == 2 and result.skipped == 1


def test_institutions_resolve_by_variant_and_an_unknown_one_is_named(registry, users):
    head, spouse = registry.heads["village"], registry.spouses["village"]
    rows = [line(head, "元马卫生院"), line(spouse, "元谋县第九人民医院")]
    result = run(workbook(rows), users.county_staff)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (4, "医疗机构", "unknown_institution")
    ]
    assert "元谋县第九人民医院" in result.errors[0].message
    assert not result.applied and not Encounter.objects.exists()
    assert run(workbook(rows[:1]), users.county_staff).created == 1
    assert Encounter.objects.get().institution.name == "元马镇卫生院"


def test_hospital_staff_import_only_their_own_institutions_rows(registry, users):
    head, spouse = registry.heads["village"], registry.spouses["village"]
    rows = [line(head, "元谋县人民医院"), line(spouse, "元马镇卫生院")]
    result = run(workbook(rows), users.hospital_staff, skip_invalid=True)
    assert [(e.row, e.code) for e in result.errors] == [(4, "other_institution")]
    assert "元谋县人民医院" in result.errors[0].message
    assert result.created == 1
    assert set(Encounter.objects.values_list("institution__name", flat=True)) == {"元谋县人民医院"}


@pytest.mark.parametrize("role", ["township_doctor", "village_doctor", "supervisor"])
def test_other_roles_may_not_import(registry, users, role):
    result = run(workbook([line(registry.heads["village"])]), getattr(users, role))
    assert result.file_error_code == "forbidden" and not Encounter.objects.exists()


def test_dry_run_counts_exactly_and_writes_nothing(registry, users):
    head = registry.heads["village"]
    run(workbook([line(head)]), users.county_staff)
    rows = [line(head, 基本医保统筹支付=3100, 个人自付=400), line(registry.spouses["village"])]
    preview = run(workbook(rows), users.county_staff, dry_run=True)
    assert (preview.created, preview.updated, preview.applied) == (1, 1, False)
    assert Encounter.objects.count() == 1
    assert Settlement.objects.get().pooled == Decimal("3000.00")


def test_cells_a_person_types(registry, users):
    head = registry.heads["village"]
    rows = [
        line(head, 就诊类型="急诊", 总费用="abc", 基本医保统筹支付=1.234, 一站式结算="也许",
             入院日期="2019-03-09"),
    ]  # fmt: skip
    result = run(workbook(rows), users.county_staff)
    assert {(e.column, e.code) for e in result.errors} >= {
        ("就诊类型", "invalid_choice"),
        ("总费用", "invalid"),
        ("基本医保统筹支付", "decimal_places"),
        ("一站式结算", "invalid_bool"),
    }


def test_discharge_before_admission_and_duplicate_encounters(registry, users):
    head = registry.heads["village"]
    rows = [line(head, 出院日期="2019-02-01"), line(head), line(head)]
    result = run(workbook(rows), users.county_staff)
    assert [(e.row, e.code) for e in result.errors] == [(3, "date_order"), (5, "duplicate")]
    assert "row 4" in result.errors[1].message


def test_the_headers_are_required_exactly(registry, users):
    header = [h for h in HEADER if h != "目录外费用"]
    result = run(workbook([line(registry.heads["village"])[:-3] + ["是", "否"]], header=header),
                 users.county_staff)  # fmt: skip
    assert result.file_error_code == "missing_columns" and "目录外费用" in result.file_error


# --- the command --------------------------------------------------------------------------------


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_settlements", *args, stdout=out, stderr=err)
    except ImportStopped as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_the_command_exit_codes(registry, users, tmp_path):
    good, bad, junk = tmp_path / "good.xlsx", tmp_path / "bad.xlsx", tmp_path / "junk.xlsx"
    head = registry.heads["village"]
    good.write_bytes(workbook([line(head)]))
    bad.write_bytes(workbook([line(registry.spouses["village"], 个人自付=1)]))
    junk.write_bytes(b"%PDF-1.4")
    assert command(str(bad), "--dry-run")[0] == 1
    code, out, err = command(str(bad), "--user", "county")
    assert code == 1 and "Row 3, 总费用" in err and "Nothing was written" in err
    code, out, _err = command(str(good), "--dry-run")
    assert code == 0 and "1 created" in out and not Encounter.objects.exists()
    code, out, _err = command(str(good), "--user", "county")
    assert code == 0 and "Import applied." in out and Encounter.objects.count() == 1
    code, out, _err = command(str(bad), "--skip-invalid")
    assert code == 0 and Encounter.objects.count() == 1
    assert command(str(junk))[0] == 2


# --- the upload page ----------------------------------------------------------------------------


@pytest.fixture
def county(client_as, users, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_as(users.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_upload_page_runs_the_import_as_a_job(
    registry, county, django_capture_on_commit_callbacks
):
    page = county.get(reverse("settlement-import:upload"))
    assert page.status_code == 200 and "20 MB" in page.content.decode()
    rows = [line(registry.heads["village"]), line(registry.spouses["village"], 个人自付=1)]
    upload = SimpleUploadedFile("结算.xlsx", workbook(rows))
    with django_capture_on_commit_callbacks(execute=True):
        response = county.post(
            reverse("settlement-import:upload"), {"file": upload, "skip_invalid": "on"}
        )
    job = Job.objects.get()
    assert response.url == reverse("settlement-import:job", args=[job.uuid])
    assert job.status == JobStatus.SUCCEEDED and job.result["created"] == 1
    text = county.get(response.url).content.decode()
    assert 'data-testid="import-summary"' in text and 'data-row="4"' in text
    errors = county.get(reverse("settlement-import:error-file", args=[job.uuid]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active
    assert len(list(sheet.iter_rows(values_only=True))) == 2


def test_the_upload_page_is_for_county_and_hospital_staff(registry, client_as, users):
    for role, allowed in [("hospital_staff", True), ("township_doctor", False)]:
        response = client_as(getattr(users, role)).get(reverse("settlement-import:upload"))
        assert (response.status_code == 200) is allowed


def test_a_prefecture_hospital_imports_its_patients_from_every_county(
    registry, users, institutions, tree
):
    from django.contrib.auth import get_user_model

    from healthaid.choices import Role
    from healthaid.models import UserProfile

    clerk = get_user_model().objects.create_user("prefecture-clerk")
    UserProfile.objects.create(
        user=clerk,
        role=Role.HOSPITAL_STAFF,
        region=tree.prefecture,
        institution=institutions.prefecture_hospital,
    )
    result = run(workbook([line(registry.heads["village"], "楚雄州人民医院")]), clerk)
    assert result.applied and result.created == 1, result.errors
