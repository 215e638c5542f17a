"""The import-export Resources: export layout, and imports that run the service's stages."""

from __future__ import annotations

import pytest
import tablib
from django.core.exceptions import PermissionDenied
from django.utils import translation

from healthaid.choices import AuditAction
from healthaid.models import AuditLog
from households.choices import PovertyAttribute, PovertyStatus
from households.importing.resources import HouseholdResource, MemberRosterResource
from households.importing.service import roster_import
from households.models import Household, Member
from tests.households.test_households_import_fixtures import (
    BAD_ROWS,
    GOOD_ROWS,
    H1,
    H2,
    ID,
    PLAIN_HEADER,
    good_xlsx,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _dataset(rows, header=PLAIN_HEADER) -> tablib.Dataset:
    return tablib.Dataset(
        *[[("" if v is None else v) for v in row] for row in rows], headers=header
    )


@pytest.fixture
def registry(users):
    result = roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert result.applied
    return result


def test_member_export_has_the_roster_layout_with_masked_numbers(registry):
    data = MemberRosterResource().export()
    assert list(data.headers) == PLAIN_HEADER
    rows = {row[4]: row for row in data}
    zhang = rows["张三"]
    assert zhang[:4] == ("元谋县", "元马镇", "能禹村委会", H1)
    assert zhang[5] == "男" and zhang[7] == "户主" and zhang[9] == "13812345678"
    assert zhang[6] == ID.a[:6] + "********" + ID.a[14:]
    assert zhang[10:14] == ("一般贫困户", "因病", "是", "2019")
    assert zhang[14] == "高血压、2型糖尿病" and zhang[15] == "MB0001"
    assert rows["李四"][14] == "健康"
    assert rows["王五"][10] == "低保贫困户"
    for row in data:
        assert not any(number in str(row) for number in (ID.a, ID.b, ID.x))


def test_member_import_through_the_resource_runs_the_service(users):
    resource = MemberRosterResource()
    dataset = _dataset(GOOD_ROWS.values())
    preview = resource.import_data(dataset, dry_run=True, user=users.county_staff)
    assert not preview.has_errors() and not preview.has_validation_errors()
    assert preview.totals["new"] == 7
    assert Member.objects.count() == 0

    result = MemberRosterResource().import_data(
        _dataset(GOOD_ROWS.values()), user=users.county_staff, file_name="admin.xlsx"
    )
    assert result.totals["new"] == 7 and not result.has_validation_errors()
    assert Member.objects.count() == 7 and Household.objects.count() == 4
    assert Member.objects.by_id_number(ID.c).get().diseases.count() == 2  # normalised
    summary = AuditLog.objects.get(action=AuditAction.IMPORT)
    assert summary.target_repr == "admin.xlsx" and summary.actor == users.county_staff
    created = AuditLog.objects.filter(target_type="households.household", action="create")
    assert sum(len(entry.after["members"]) for entry in created) == 7

    again = MemberRosterResource().import_data(
        _dataset(GOOD_ROWS.values()), user=users.county_staff
    )
    assert again.totals["skip"] == 7 and again.totals["new"] == 0
    assert Member.objects.count() == 7


def test_member_import_with_errors_writes_nothing(users):
    rows = [*GOOD_ROWS.values(), BAD_ROWS[14], BAD_ROWS[20]]
    result = MemberRosterResource().import_data(_dataset(rows), user=users.county_staff)
    assert result.has_validation_errors()
    invalid = {row.number: row for row in result.invalid_rows}
    assert set(invalid) == {8, 9}  # dataset rows 8 and 9 (sheet rows 9 and 10)
    assert "证件号码" in invalid[8].field_specific_errors
    assert "outside your area" in invalid[9].field_specific_errors["县"][0]
    assert Member.objects.count() == 0 and Household.objects.count() == 0

    skipped = MemberRosterResource().import_data(
        _dataset(rows), user=users.county_staff, skip_invalid=True
    )
    assert skipped.totals["new"] == 7 and skipped.totals["invalid"] == 2
    assert Member.objects.count() == 7


def test_member_import_accepts_header_variants(users):
    header = [*PLAIN_HEADER]
    header[6] = "身份证号码"
    header[4] = "姓 名"
    result = MemberRosterResource().import_data(
        _dataset(GOOD_ROWS.values(), header=header), user=users.county_staff
    )
    assert result.totals["new"] == 7 and Member.objects.count() == 7


def test_member_import_refuses_roles_that_may_not_write(users):
    result = MemberRosterResource().import_data(_dataset(GOOD_ROWS.values()), user=users.supervisor)
    assert result.has_errors()
    assert isinstance(result.base_errors[0].error, PermissionDenied)
    assert Member.objects.count() == 0


def test_household_export_and_update_by_number(users, registry):
    exported = HouseholdResource(user=users.county_staff).export()
    assert list(exported.headers)[:4] == ["户编号", "县", "乡镇", "村"]
    rows = {row[0]: row for row in exported}
    assert rows[H1][4:9] == ("一般贫困户", "因病", "是", "2019", 3)

    dataset = tablib.Dataset(
        [H1, "低保户", "因病致贫", "是", ""],
        ["9999999999999999", "低保户", "因病", "是", ""],
        headers=["户编号", "贫困户属性", "主要致贫原因", "是否因病致贫", "脱贫年度"],
    )
    result = HouseholdResource(user=users.county_staff).import_data(dataset)
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["update"] == 1 and result.totals["skip"] == 1
    h1 = Household.objects.get(number=H1)
    assert h1.poverty_attribute == PovertyAttribute.DIBAO
    assert (h1.status, h1.lifted_year) == (PovertyStatus.REGISTERED, None)
    entry = AuditLog.objects.filter(action=AuditAction.UPDATE, target_id=str(h1.pk)).get()
    assert entry.after["poverty_attribute"] == "dibao"


def test_household_import_cleans_cells_and_keeps_to_the_users_area(users, registry):
    bad = tablib.Dataset(
        [H2, "富裕户", "", "", ""],
        headers=["户编号", "贫困户属性", "主要致贫原因", "是否因病致贫", "脱贫年度"],
    )
    result = HouseholdResource(user=users.county_staff).import_data(bad)
    assert result.has_validation_errors()
    assert "一般贫困户" in str(result.invalid_rows[0].error_dict)

    other = tablib.Dataset([H2, "低保户"], headers=["户编号", "贫困户属性"])
    result = HouseholdResource(user=users.other_county_staff).import_data(other)
    assert result.totals["skip"] == 1
    assert Household.objects.get(number=H2).poverty_attribute == PovertyAttribute.DIBAO
