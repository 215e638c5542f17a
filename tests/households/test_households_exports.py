"""xlsx exports: roster headers, masking, formula neutralisation, audit of reveals."""

import io

import openpyxl
import pytest

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number
from healthaid.models import AuditLog
from households.exports import HOUSEHOLD_EXTRA_HEADERS, ROSTER_HEADERS
from tests.households.exporting import run_export
from tests.households.factories import HouseholdContactFactory, SpecialCardFactory, add_disease

pytestmark = pytest.mark.django_db

IMPORT_HEADERS = [
    "县",
    "乡镇",
    "村",
    "户编号",
    "姓名",
    "性别",
    "证件号码",
    "与户主关系",
    "民族",
    "联系电话",
    "贫困户属性",
    "主要致贫原因",
    "是否因病致贫",
    "脱贫年度",
    "患病情况",
    "慢病卡号",
]


def read(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def export(client, kind, data=None, query=""):
    """Start the export job, run it as the worker does, and download its file."""
    return run_export(client, kind, data, query)


def test_member_export_has_the_roster_import_headers_and_values(users, registry, client_as):
    head = registry.heads["village"]
    head.phone = "13987801234"
    head.save()
    add_disease(head, "hypertension")
    add_disease(head, "t2dm")
    SpecialCardFactory(member=head, number="MB532328000001")
    header, rows = read(export(client_as(users.county_staff), "member", {"q": "能禹户主"}))
    assert list(header) == IMPORT_HEADERS == list(ROSTER_HEADERS)
    [row] = rows
    record = dict(zip(header, row, strict=True))
    assert record["县"] == "元谋县"
    assert record["乡镇"] == "元马镇"
    assert record["村"] == "能禹村委会"
    assert record["户编号"] == registry.households["village"].number
    assert record["姓名"] == "能禹户主"
    assert record["性别"] == "男"
    assert record["证件号码"] == head.id_number_masked
    assert record["与户主关系"] == "户主"
    assert record["民族"] == "汉族"
    assert record["联系电话"] == "13987801234"
    assert record["贫困户属性"] == "一般贫困户"
    assert record["主要致贫原因"] == "因病"
    assert record["是否因病致贫"] == "是"
    assert record["脱贫年度"] == 2019
    assert record["患病情况"] == "高血压、2型糖尿病"
    assert record["慢病卡号"] == "MB532328000001"


def test_a_healthy_member_is_written_as_healthy(users, registry, client_as):
    _header, rows = read(export(client_as(users.county_staff), "member", {"q": "丙间配偶"}))
    [row] = rows
    assert row[7] == "配偶" and row[5] == "女"
    assert row[14] == "健康"
    assert row[12] == "否"


def test_household_export_puts_the_head_in_the_member_columns(users, registry, client_as):
    HouseholdContactFactory(household=registry.households["village"])
    header, rows = read(
        export(
            client_as(users.county_staff),
            "household",
            {"village": registry.households["village"].village_id},
        )
    )
    assert list(header) == [*IMPORT_HEADERS, *HOUSEHOLD_EXTRA_HEADERS]
    [row] = rows
    record = dict(zip(header, row, strict=True))
    assert record["姓名"] == "能禹户主"
    assert record["家庭人口数"] == 2
    assert record["贫困状态"] == "已脱贫"
    assert record["证件号码"] == registry.heads["village"].id_number_masked


def test_ids_are_masked_by_default_and_the_export_is_audited(users, registry, client_as):
    _header, rows = read(export(client_as(users.county_staff), "member"))
    numbers = [row[6] for row in rows]
    assert len(numbers) == 6
    assert all("********" in number for number in numbers)
    [row] = AuditLog.objects.filter(action=AuditAction.EXPORT)
    assert "0" in row.message and "6" in row.message
    assert row.region_code == users.county_staff.profile.region_id


@pytest.mark.parametrize("role", ["county_staff", "township_doctor", "village_doctor"])
def test_full_numbers_for_roles_that_may_reveal_with_one_audit_row(
    role, users, registry, client_as
):
    user = getattr(users, role)
    _header, rows = read(export(client_as(user), "member", {"full_ids": "1"}))
    clear = {
        decrypt_id_number(m.id_number_cipher)
        for m in (*registry.heads.values(), *registry.spouses.values())
    }
    numbers = [row[6] for row in rows]
    assert numbers and set(numbers) <= clear
    [audit] = AuditLog.objects.filter(action=AuditAction.EXPORT)
    assert audit.actor == user
    assert f"完整证件号码 {len(numbers)} 个" in audit.message
    for number in numbers:
        assert number not in audit.message + audit.target_repr + str(audit.after)


@pytest.mark.parametrize("role", ["hospital_staff", "supervisor"])
def test_roles_that_may_not_reveal_cannot_export_full_numbers(role, users, registry, client_as):
    response = export(client_as(getattr(users, role)), "member", {"full_ids": "1"})
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()
    # Masked exports still work for them.
    _header, rows = read(export(client_as(getattr(users, role)), "member"))
    assert rows and all("********" in row[6] for row in rows)


def test_the_export_follows_the_filters_in_the_query_string(users, tree, registry, client_as):
    response = export(
        client_as(users.county_staff),
        "member",
        {"full_ids": "1"},
        query=f"?township={tree.other_township.code}",
    )
    _header, rows = read(response)
    assert sorted(row[4] for row in rows) == sorted(["小雷宰户主", "小雷宰配偶"])


def test_cells_that_look_like_formulas_are_neutralised(users, registry, client_as):
    head = registry.heads["village"]
    head.name = '=HYPERLINK("http://evil","x")'
    head.phone = "+8613987800000"
    head.ethnicity = "@SUM(A1)"
    head.save()
    household = registry.households["village"]
    household.number = "-5323281012010001"
    household.save()
    _header, rows = read(
        export(client_as(users.county_staff), "member", {"village": household.village_id})
    )
    row = next(r for r in rows if "HYPERLINK" in r[4])
    assert row[4] == '\'=HYPERLINK("http://evil","x")'
    assert row[9] == "'+8613987800000"
    assert row[8] == "'@SUM(A1)"
    assert row[3] == "'-5323281012010001"
    # Nothing in the sheet is a formula.
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(export(client_as(users.county_staff), "member").streaming_content))
    )
    assert not [c for r in book.active.iter_rows() for c in r if c.data_type == "f"]
