"""Imports of contracts and follow-ups: row errors with Excel's row numbers, all or nothing,
--skip-invalid, idempotent re-import, the commands and the web upload as a job."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from contracts import tasks
from contracts.choices import ContractStatus, ControlStatus
from contracts.importing import ImportRefused, import_contracts, import_followups
from contracts.models import Contract, FollowUp
from healthaid.models import AuditLog, Job
from tests.contracts.factories import ContractFactory, HouseholdFactory, MemberFactory, add_disease

pytestmark = pytest.mark.django_db

CONTRACT_HEADER = ["序号", "姓名", "证件号码", "团队", "签约医生", "签约日期", "服务包"]
FOLLOWUP_HEADER = [
    "证件号码",
    "姓名",
    "随访日期",
    "随访疾病",
    "随访方式",
    "收缩压",
    "舒张压",
    "空腹血糖",
]


def workbook(header, rows, title="元谋县家庭医生签约花名册") -> bytes:
    """A sheet as counties make them: a merged title row, a blank row, then the header (row 3)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def people(tree, team, users):
    """Three members of 能禹村 and the team's village doctor, 张秀英."""
    users.village_doctor.first_name = "张秀英"
    users.village_doctor.save()
    members = [
        MemberFactory(household=HouseholdFactory(village=tree.village), name=name)
        for name in ("李一", "李二", "李三")
    ]
    add_disease(members[0], "hypertension")
    add_disease(members[1], "t2dm")
    return members


def contract_rows(people):
    a, b, c = people
    return [
        [1, a.name, a.id_number, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", "基础包"],
        [
            2,
            b.name,
            b.id_number.lower(),
            "元马镇第1家庭医生团队",
            "张秀英",
            dt.datetime(2024, 3, 2),
            "",
        ],
        [
            3,
            c.name,
            f" {c.id_number[:6]} {c.id_number[6:]}",
            "元马镇第1家庭医生团队",
            "张秀英",
            "2024年3月3日",
            "个性化包",
        ],
    ]


# --- contracts --------------------------------------------------------------------------------


def test_contracts_import_creates_and_is_idempotent(people, users):
    data = workbook(CONTRACT_HEADER, contract_rows(people))
    result = import_contracts(data, "签约.xlsx", by=users.county_staff, today=dt.date(2024, 6, 1))
    assert (result.created, result.errors, result.applied) == (3, [], True)
    contracts = Contract.objects.order_by("signed_on")
    assert [c.signed_on for c in contracts] == [
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 2),
        dt.date(2024, 3, 3),
    ]
    assert contracts[2].package == "personalised"
    assert all(c.status == ContractStatus.ACTIVE for c in contracts)
    # Written in the importer's language (here the portal's default, Chinese).
    created = AuditLog.objects.filter(target_type="contracts.contract", action="create")
    assert [entry.message for entry in created] == ["由表格导入"] * 3

    again = import_contracts(data, "签约.xlsx", by=users.county_staff, today=dt.date(2024, 6, 1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Contract.objects.count() == 3

    rows = contract_rows(people)
    rows[0][6] = "个性化包"
    changed = import_contracts(
        workbook(CONTRACT_HEADER, rows), by=users.county_staff, today=dt.date(2024, 6, 1)
    )
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert Contract.objects.get(signed_on=dt.date(2024, 3, 1)).package == "personalised"


def test_contracts_import_reports_every_error_with_excel_row_numbers(people, users, tree):
    a, b, c = people
    stranger = MemberFactory(household=HouseholdFactory(village=tree.other_county_village))
    bad_check = a.id_number[:17] + ("0" if a.id_number[17] != "0" else "1")
    rows = [
        [1, a.name, a.id_number, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],  # row 4: ok
        [2, b.name, b.id_number, "不存在的团队", "张秀英", "2024-03-01", ""],  # row 5
        [3, c.name, c.id_number, "元马镇第1家庭医生团队", "王五", "2024-03-01", ""],  # row 6
        [4, "x", bad_check, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],  # row 7
        [5, "y", 5.32328196005e17, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],  # row 8
        [6, "z", stranger.id_number, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],  # 9
        [7, a.name, a.id_number, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],  # row 10
        [8, c.name, c.id_number, "元马镇第1家庭医生团队", "张秀英", "2024/13/45", "金卡"],  # 11
    ]
    result = import_contracts(
        workbook(CONTRACT_HEADER, rows),
        "bad.xlsx",
        by=users.county_staff,
        today=dt.date(2024, 6, 1),
    )
    assert not result.applied and result.refused
    assert Contract.objects.count() == 0
    got = [(e.row, e.column) for e in result.errors]
    assert got == [
        (5, "团队"),
        (6, "签约医生"),
        (7, "证件号码"),
        (8, "证件号码"),
        (9, "证件号码"),
        (10, "证件号码"),
        (11, "签约日期"),
        (11, "服务包"),
    ]
    assert "不存在的团队" in result.errors[0].message
    assert "王五" in result.errors[1].message
    assert "4" in result.errors[5].message  # "already appear in row 4"
    assert result.skipped == 7
    sheet = openpyxl.load_workbook(io.BytesIO(result.error_file)).active
    assert sheet.max_row == 8  # header + 7 rejected rows
    assert sheet.cell(row=2, column=4).value == "不存在的团队"


def test_contracts_import_skip_invalid_writes_the_valid_rows(people, users):
    rows = contract_rows(people)
    rows[1][3] = "没有这个团队"
    result = import_contracts(
        workbook(CONTRACT_HEADER, rows),
        by=users.county_staff,
        skip_invalid=True,
        today=dt.date(2024, 6, 1),
    )
    assert result.applied
    assert (result.created, result.skipped) == (2, 1)
    assert [e.row for e in result.errors] == [5]
    assert Contract.objects.count() == 2


def test_contracts_import_overlap_and_renewal(people, team, users):
    a = people[0]
    ContractFactory(member=a, team=team, doctor=users.village_doctor, signed_on=dt.date(2023, 3, 1))
    rows = [
        [1, a.name, a.id_number, "元马镇第1家庭医生团队", "张秀英", "2023-09-01", ""],
        [2, a.name, a.id_number, "元马镇第1家庭医生团队", "张秀英", "2024-03-01", ""],
    ]
    result = import_contracts(
        workbook(CONTRACT_HEADER, rows),
        by=users.county_staff,
        skip_invalid=True,
        today=dt.date(2024, 6, 1),
    )
    assert [e.row for e in result.errors] == [4]  # overlaps the 2023 contract
    assert result.created == 1
    statuses = dict(Contract.objects.values_list("signed_on", "status"))
    assert statuses == {dt.date(2023, 3, 1): "expired", dt.date(2024, 3, 1): "active"}


def test_dry_run_writes_nothing(people, users):
    result = import_contracts(
        workbook(CONTRACT_HEADER, contract_rows(people)), by=users.county_staff, dry_run=True
    )
    assert result.created == 3 and not result.applied
    assert not Contract.objects.exists()


def test_not_a_spreadsheet_is_refused_with_a_message(users, rules):
    with pytest.raises(ImportRefused) as excinfo:
        import_contracts(b"%PDF-1.4 ...", "scan.xlsx", by=users.county_staff)
    assert excinfo.value.code == "unreadable"
    with pytest.raises(ImportRefused) as excinfo:
        import_contracts(workbook(["甲", "乙"], [[1, 2]]), "x.xlsx", by=users.county_staff)
    assert excinfo.value.code == "no_header"


def test_import_is_scoped_to_the_user(people, users):
    data = workbook(CONTRACT_HEADER, contract_rows(people))
    result = import_contracts(data, by=users.other_county_staff, today=dt.date(2024, 6, 1))
    assert not result.applied
    assert {e.column for e in result.errors} == {"证件号码", "团队"}


# --- follow-ups -------------------------------------------------------------------------------


def followup_rows(people):
    a, b, _c = people
    return [
        [a.id_number, a.name, "2024-04-10", "高血压", "入户", 160, 100, None],
        [a.id_number, a.name, "2024/5/10", "高血压病", "电话", "135", "85", None],
        [b.id_number, b.name, dt.date(2024, 4, 11), "糖尿病", "门诊", None, None, "6.5"],
        [b.id_number, b.name, "2024-05-20", "", "", None, None, 8.2],
    ]


def test_followups_import_derives_control_status_and_is_idempotent(people, team, users):
    ContractFactory(
        member=people[0], team=team, doctor=users.village_doctor, signed_on=dt.date(2024, 1, 1)
    )
    data = workbook(FOLLOWUP_HEADER, followup_rows(people), title="随访记录")
    result = import_followups(data, by=users.county_staff, today=dt.date(2024, 6, 1))
    assert (result.created, result.errors) == (4, [])
    statuses = list(
        FollowUp.objects.order_by("member_id", "visited_on").values_list(
            "visited_on", "place", "control_status", "contract_id"
        )
    )
    contract = Contract.objects.get(member=people[0])
    assert statuses == [
        (dt.date(2024, 4, 10), "home", ControlStatus.NOT_CONTROLLED, contract.pk),
        (dt.date(2024, 5, 10), "phone", ControlStatus.CONTROLLED, contract.pk),
        (dt.date(2024, 4, 11), "clinic", ControlStatus.CONTROLLED, None),
        (dt.date(2024, 5, 20), "home", ControlStatus.NOT_CONTROLLED, None),
    ]
    again = import_followups(data, by=users.county_staff, today=dt.date(2024, 6, 1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert FollowUp.objects.count() == 4


def test_followups_import_errors(people, users):
    a = people[0]
    rows = [
        [a.id_number, a.name, "2024-04-10", "高血压", "入户", 160, 100, None],  # row 4
        [a.id_number, a.name, "2024-04-10", "高血压", "入户", 150, 100, None],  # 5: duplicate
        [a.id_number, a.name, "2024-04-12", "感冒发烧", "入户", 120, 80, None],  # 6
        [a.id_number, a.name, "2024-04-13", "高血压", "微信", 80, 120, None],  # 7
        [a.id_number, a.name, "", "高血压", "入户", "一百", None, "abc"],  # 8
        [a.id_number, a.name, "2030-01-01", "高血压", "入户", None, None, None],  # 9
    ]
    result = import_followups(
        workbook(FOLLOWUP_HEADER, rows), by=users.county_staff, today=dt.date(2024, 6, 1)
    )
    assert not result.applied and not FollowUp.objects.exists()
    assert [(e.row, e.column) for e in result.errors] == [
        (5, "证件号码"),
        (6, "随访疾病"),
        (7, "随访方式"),
        (7, "舒张压"),
        (8, "随访日期"),
        (8, "收缩压"),
        (8, "空腹血糖"),
        (9, "随访日期"),
    ]
    skipped = import_followups(
        workbook(FOLLOWUP_HEADER, rows),
        by=users.county_staff,
        skip_invalid=True,
        today=dt.date(2024, 6, 1),
    )
    assert (skipped.created, skipped.skipped) == (1, 5)


# --- commands ---------------------------------------------------------------------------------


def test_commands_exit_status_and_summary(people, users, tmp_path, capsys):
    good = tmp_path / "contracts.xlsx"
    good.write_bytes(workbook(CONTRACT_HEADER, contract_rows(people)))
    rows = contract_rows(people)
    rows[0][3] = "未知团队"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(CONTRACT_HEADER, rows))
    with pytest.raises(CommandError, match="Refused"):
        call_command("import_contracts", str(bad))
    assert "row 4" in capsys.readouterr().err
    assert not Contract.objects.exists()
    call_command("import_contracts", str(bad), "--skip-invalid", "--user", "county")
    assert Contract.objects.count() == 2
    call_command("import_contracts", str(good))
    assert "1 created" in capsys.readouterr().out
    followups = tmp_path / "followups.csv"
    lines = ["证件号码,随访日期,随访疾病,随访方式,收缩压,舒张压,空腹血糖"]
    lines.append(f"{people[0].id_number},2024/4/10,高血压,入户,150,95,")
    followups.write_bytes("\n".join(lines).encode("gb18030"))
    call_command("import_followups", str(followups))
    assert FollowUp.objects.get().control_status == ControlStatus.NOT_CONTROLLED


# --- web upload -------------------------------------------------------------------------------


def test_web_upload_runs_as_a_job_and_keeps_the_error_file(
    people, users, client_as, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.import_task, "delay", lambda job_id: tasks.import_task(job_id))
    rows = contract_rows(people)
    rows[2][4] = "不认识的医生"
    client = client_as(users.county_staff)
    upload = SimpleUploadedFile("签约.xlsx", workbook(CONTRACT_HEADER, rows))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contracts:import"), {"kind": "contracts", "file": upload})
    job = Job.objects.get()
    assert response.url == reverse("contracts:import-job", args=[job.uuid])
    assert job.status == "refused"
    assert job.result["error_count"] == 1 and job.result["errors"][0]["row"] == 6
    page = client.get(response.url).content.decode()
    assert "不认识的医生" in page
    errors = client.get(reverse("contracts:import-errors", args=[job.uuid]))
    assert errors.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content)))
    assert book.active.cell(row=2, column=5).value == "不认识的医生"
    # Another user cannot see the job.
    assert client_as(users.township_doctor).get(response.url).status_code == 404

    upload = SimpleUploadedFile("签约.xlsx", workbook(CONTRACT_HEADER, rows))
    with django_capture_on_commit_callbacks(execute=True):
        client_as(users.county_staff).post(
            reverse("contracts:import"), {"kind": "contracts", "file": upload, "skip_invalid": "on"}
        )
    job = Job.objects.order_by("-pk").first()
    assert job.status == "succeeded" and job.result["created"] == 2
    assert Contract.objects.count() == 2


def test_web_upload_roles(users, client_as, rules):
    assert client_as(users.village_doctor).get(reverse("contracts:import")).status_code == 403
    assert client_as(users.township_doctor).get(reverse("contracts:import")).status_code == 200
