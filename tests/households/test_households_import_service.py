"""The roster import service: exact counts, exact error rows, all or nothing, re-imports."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number
from healthaid.models import AuditLog, Region
from households.choices import (
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
)
from households.importing.service import (
    parse_poverty_attribute,
    parse_poverty_cause,
    parse_relation,
    region_core,
    region_key,
    roster_import,
)
from households.models import Household, Member, MemberDisease, SpecialCard
from tests.households.test_households_import_fixtures import (
    BAD_ROWS,
    EXPECTED_ERRORS,
    GOOD_ROWS,
    H1,
    H2,
    H3,
    H4,
    ID,
    PLAIN_HEADER,
    all_clear_numbers,
    csv_bytes,
    good_rows_compact,
    good_xlsx,
    messy_xlsx,
    xlsx_bytes,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _import(source, by, filename="花名册.xlsx", **kwargs):
    return roster_import(source=source, filename=filename, by=by, **kwargs)


def _registry_counts():
    return (
        Household.objects.count(),
        Member.objects.count(),
        MemberDisease.objects.count(),
        SpecialCard.objects.count(),
        AuditLog.objects.count(),
        Region.objects.count(),
    )


# --- the messy roster ---------------------------------------------------------------------------


def test_messy_roster_is_refused_whole_with_every_error_at_its_excel_row(users):
    before = _registry_counts()
    result = _import(messy_xlsx(), users.county_staff)

    assert not result.applied and result.refused
    assert result.header_row == 3
    assert result.total_rows == 23
    assert [(e.row, e.column, e.code) for e in result.errors] == EXPECTED_ERRORS
    # What would have happened had the errors been skipped.
    assert result.households.as_dict() == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "skipped": 8,
    }
    assert result.members.created == 7 and result.members.skipped == 16
    assert _registry_counts() == before  # all or nothing: nothing at all


def test_error_values_and_messages(users):
    result = _import(messy_xlsx(), users.county_staff)
    by_row = {e.row: e for e in result.errors}
    # ID numbers in messages are masked, never shown whole.
    assert by_row[14].value == ID.k[:6] + "********" + ID.k[14:17] + by_row[14].value[-1]
    assert ID.k[:17] not in by_row[14].value
    assert "check character" in by_row[14].message
    assert "scientific notation" in by_row[13].message
    assert "stored by Excel as a number" in by_row[12].message
    assert by_row[15].value == "女" and "man" in by_row[15].message
    assert "row 17" in by_row[16].message and "row 16" in by_row[17].message
    assert by_row[18].value == "元某县" and "元某县" in by_row[18].message
    assert by_row[19].value == "不存在乡"
    assert by_row[20].value == "双柏县" and "outside your area" in by_row[20].message
    assert "row 22" in by_row[23].message
    assert by_row[24].value == "富裕户" and "一般贫困户" in by_row[24].message
    assert by_row[26].value == "12345"
    assert by_row[27].value == "明年"
    assert by_row[28].value == "邻居" and "户主" in by_row[28].message
    assert [(w.row, w.column, w.value) for w in result.warnings] == [(8, "患病情况", "某怪病")]
    assert "某怪病" in result.warnings[0].message


def test_skip_invalid_writes_exactly_the_valid_rows(users, tree):
    result = _import(messy_xlsx(), users.county_staff, skip_invalid=True)

    assert result.applied
    assert [(e.row, e.column, e.code) for e in result.errors] == EXPECTED_ERRORS
    assert result.households.as_dict() == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "skipped": 8,
    }
    assert result.members.as_dict() == {"created": 7, "updated": 0, "unchanged": 0, "skipped": 16}
    assert result.cards.created == 2
    assert result.villages_created == ["云南省/楚雄彝族自治州/元谋县/元马镇/新建村"]

    assert set(Household.objects.values_list("number", flat=True)) == {H1, H2, H3, H4}
    assert Member.objects.count() == 7
    names = set(Member.objects.values_list("name", flat=True))
    assert names == {"张三", "李四", "张小明", "王五", "赵六", "钱七", "孙八"}
    # Nothing of the other county, whatever the flag says.
    assert not Household.objects.filter(village__code__startswith="532322").exists()

    new_village = Region.objects.get(name="新建村")
    assert new_village.parent_id == tree.township.code
    assert new_village.code == "532328101203"
    assert Household.objects.get(number=H4).village_id == new_village.code


def test_values_are_normalised(users, tree):
    _import(messy_xlsx(), users.county_staff, skip_invalid=True)

    h1 = Household.objects.get(number=H1)
    assert h1.village_id == tree.village.code  # 能禹村 → 能禹村委会
    assert h1.poverty_attribute == PovertyAttribute.GENERAL
    assert h1.poverty_cause == PovertyCause.ILLNESS
    assert h1.illness_caused is True
    assert (h1.status, h1.lifted_year) == (PovertyStatus.LIFTED, 2019)
    h2 = Household.objects.get(number=H2)
    assert h2.village_id == tree.village2.code
    assert (h2.poverty_attribute, h2.poverty_cause) == (PovertyAttribute.DIBAO, "education")
    assert (h2.illness_caused, h2.lifted_year) == (False, 2020)
    h3 = Household.objects.get(number=H3)
    assert h3.poverty_attribute == PovertyAttribute.TEKUN
    assert (h3.status, h3.lifted_year) == (PovertyStatus.REGISTERED, None)

    zhang = Member.objects.by_id_number(ID.a).get()
    assert (zhang.name, zhang.sex, zhang.birth_date) == ("张三", "M", dt.date(1960, 3, 5))
    assert zhang.relation == Relation.HEAD and zhang.ethnicity == "彝族"
    assert zhang.phone == "13812345678"
    assert decrypt_id_number(zhang.id_number_cipher) == ID.a
    assert zhang.id_number_masked == ID.a[:6] + "********" + ID.a[14:]
    assert sorted(zhang.diseases.values_list("code", flat=True)) == ["hypertension", "t2dm"]
    assert zhang.health_status == HealthStatus.CHRONIC

    li = Member.objects.by_id_number(ID.b).get()
    assert (li.relation, li.phone, li.sex) == (Relation.SPOUSE, "0878-1234567", "F")
    assert not li.diseases.exists() and li.health_status == HealthStatus.HEALTHY
    son = Member.objects.by_id_number(ID.c).get()  # full-width digits in the file
    assert (son.relation, son.ethnicity, son.sex) == (Relation.SON, "", "M")
    assert sorted(son.diseases.values_list("code", flat=True)) == ["chd", "copd"]
    wang = Member.objects.by_id_number(ID.x).get()  # lower-case x in the file
    assert not wang.diseases.exists()  # 某怪病 is only a warning
    assert Member.objects.by_id_number(ID.e).get().relation == Relation.DAUGHTER

    cards = {c.number: c for c in SpecialCard.objects.select_related("member", "disease")}
    assert cards["MB0001"].member == zhang and cards["MB0001"].disease.code == "hypertension"
    assert cards["MB0002"].member.name == "钱七" and cards["MB0002"].disease.code == "t2dm"


def test_audit_rows_and_no_clear_id_number_anywhere(users):
    _import(messy_xlsx(), users.county_staff, skip_invalid=True)

    summary = AuditLog.objects.get(action=AuditAction.IMPORT)
    assert summary.actor == users.county_staff
    assert summary.target_repr == "花名册.xlsx"
    assert summary.after["households"]["created"] == 4
    assert summary.after["members"]["created"] == 7
    assert summary.region_code == "532328000000"
    creates = AuditLog.objects.filter(action=AuditAction.CREATE)
    by_type = {}
    for entry in creates:
        by_type[entry.target_type] = by_type.get(entry.target_type, 0) + 1
    # Members created with their household are listed in the household's row, with their
    # cards; they get no rows of their own.
    assert by_type == {"healthaid.region": 1, "households.household": 4}
    zhang = Member.objects.by_id_number(ID.a).get()
    entry = creates.get(target_type="households.household", target_id=str(zhang.household_id))
    assert entry.region_code == zhang.household.village_id
    assert entry.message == "Imported with 3 members"
    (record,) = [m for m in entry.after["members"] if m["id"] == zhang.pk]
    assert record["id_number_masked"] == zhang.id_number_masked and record["name"] == "张三"
    assert sorted(record["diseases"]) == ["hypertension", "t2dm"]
    assert record["card"] == {"number": "MB0001", "disease": "hypertension"}
    assert (
        sum(len(e.after["members"]) for e in creates.filter(target_type="households.household"))
        == 7
    )

    stored = " ".join(
        f"{e.target_repr} {e.message} {e.before} {e.after}" for e in AuditLog.objects.all()
    )
    for number in all_clear_numbers():
        assert number[:17] not in stored
    for member in Member.objects.all():
        assert member.id_number_cipher.startswith("v1:")
        assert member.id_number_masked.count("*") == 8


def test_error_workbook_has_the_original_rows_and_an_error_column(users):
    result = _import(messy_xlsx(), users.county_staff)
    data = result.error_workbook()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("县", "乡\u3000镇", "村", "户编号")
    assert rows[0][16] == "Error description"
    # Every row with an error, plus row 22 (its household has an error in row 23).
    assert len(rows) - 1 == len({e.row for e in result.errors}) + 1
    by_name = {row[4]: row for row in rows[1:]}
    assert by_name["郑一"][6] == BAD_ROWS[14][6]  # the original cell, as the file had it
    assert "证件号码" in by_name["郑一"][16] and "check character" in by_name["郑一"][16]
    assert "Not imported" in by_name["沈七"][16] and "23" in by_name["沈七"][16]
    assert by_name["杨九"][10] == "富裕户"


# --- re-imports ---------------------------------------------------------------------------------


def test_reimport_of_the_same_file_changes_nothing(users):
    first = _import(good_xlsx(), users.county_staff, filename="a.xlsx")
    assert first.applied and first.members.created == 7 and first.households.created == 4
    audit_rows = AuditLog.objects.count()
    stamps = dict(Member.objects.values_list("pk", "updated_at"))

    again = _import(good_xlsx(), users.county_staff, filename="a.xlsx")
    assert again.applied
    assert again.households.as_dict() == {"created": 0, "updated": 0, "unchanged": 4, "skipped": 0}
    assert again.members.as_dict() == {"created": 0, "updated": 0, "unchanged": 7, "skipped": 0}
    assert again.cards.created == 0 and again.cards.updated == 0
    assert again.villages_created == []
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    assert AuditLog.objects.count() == audit_rows + 1  # only the import's own row
    assert Member.objects.count() == 7 and Household.objects.count() == 4


def test_move_from_a_household_the_file_does_not_name(users):
    """The person's current household is read by id when the file does not list it."""
    _import(good_xlsx(), users.county_staff)
    zhao = Member.objects.by_id_number(ID.e).get()
    assert zhao.household.number == H2
    row = list(good_rows_compact()[6])
    row[3] = H3
    row[:3] = ["元谋县", "黄瓜园镇", "小雷宰村委会"]
    result = _import(xlsx_bytes({2: row}, header=PLAIN_HEADER, messy=False), users.county_staff)

    assert result.applied, result.errors
    assert result.members.updated == 1
    assert [(m.row, m.name, m.from_household, m.to_household) for m in result.moves] == [
        (2, "赵六", H2, H3)
    ]
    zhao.refresh_from_db()
    assert zhao.household.number == H3


def test_updated_file_updates_in_place_and_reports_moves(users):
    _import(good_xlsx(), users.county_staff)
    zhang = Member.objects.by_id_number(ID.a).get()
    zhao = Member.objects.by_id_number(ID.e).get()

    rows = {n: list(r) for n, r in good_rows_compact().items()}
    rows[2][9] = "13700002222"  # 张三's new phone
    rows[2][14] = "高血压"  # 糖尿病 no longer listed
    rows[3][13] = "2021"  # household H1 lifted in 2021 (row of 李四, head says 2019: head wins)
    rows[2][13] = 2021
    rows[6][3] = H3  # 赵六 moves from H2 to H3 (same file, another household)
    rows[6][:3] = ["元谋县", "黄瓜园镇", "小雷宰村委会"]
    rows[7][10] = "低保贫困户"  # 钱七's household becomes dibao
    result = _import(xlsx_bytes(rows, header=PLAIN_HEADER, messy=False), users.county_staff)

    assert result.applied, result.errors
    assert result.households.as_dict() == {"created": 0, "updated": 2, "unchanged": 2, "skipped": 0}
    assert result.members.as_dict() == {"created": 0, "updated": 2, "unchanged": 5, "skipped": 0}
    assert [(m.row, m.name, m.from_household, m.to_household) for m in result.moves] == [
        (6, "赵六", H2, H3)
    ]
    zhang.refresh_from_db()
    assert zhang.phone == "13700002222"
    assert list(zhang.diseases.values_list("code", flat=True)) == ["hypertension"]
    assert zhang.special_cards.get().disease.code == "hypertension"
    assert Household.objects.get(number=H1).lifted_year == 2021
    zhao.refresh_from_db()
    assert zhao.household.number == H3 and zhao.pk == Member.objects.by_id_number(ID.e).get().pk
    assert Household.objects.get(number=H3).poverty_attribute == PovertyAttribute.DIBAO
    assert Member.objects.count() == 7

    update = AuditLog.objects.get(
        action=AuditAction.UPDATE, target_type="households.member", target_id=str(zhao.pk)
    )
    assert update.before == {"household": H2} and update.after == {"household": H3}
    assert "Moved from household" in update.message
    update = AuditLog.objects.get(
        action=AuditAction.UPDATE, target_type="households.member", target_id=str(zhang.pk)
    )
    assert update.before["phone"] == "13812345678" and update.after["phone"] == "13700002222"
    assert update.before["diseases"] == ["hypertension", "t2dm"]
    assert update.after["diseases"] == ["hypertension"]


def test_reimport_finds_households_whose_numbers_need_quoting(users):
    odd = 'H"1,{2}\\3 4'  # quote, comma, braces, backslash: array-literal syntax on PostgreSQL
    row = [*GOOD_ROWS[4]]
    row[3] = odd
    data = xlsx_bytes({2: row}, header=PLAIN_HEADER, messy=False)
    assert _import(data, users.county_staff).households.created == 1
    again = _import(data, users.county_staff)
    assert again.households.unchanged == 1 and again.members.unchanged == 1
    assert Household.objects.get().number == odd.replace(" ", "")


def test_dry_run_writes_nothing_but_reports_what_would_happen(users):
    before = _registry_counts()
    result = _import(good_xlsx(), users.county_staff, dry_run=True)
    assert result.dry_run and not result.applied and result.would_apply
    assert result.members.created == 7 and result.households.created == 4
    assert result.villages_created == ["云南省/楚雄彝族自治州/元谋县/元马镇/新建村"]
    assert _registry_counts() == before


def test_gbk_csv_imports_like_the_workbook(users):
    rows = [list(r) for r in GOOD_ROWS.values()]
    rows[0][9] = "13812345678"
    data = csv_bytes(rows, "gb18030")
    result = _import(data, users.county_staff, filename="花名册.csv")
    assert result.applied, (result.file_error, result.errors)
    assert result.members.created == 7
    assert Member.objects.by_id_number(ID.x).get().name == "王五"


def test_utf8_bom_csv(users):
    data = csv_bytes([list(r) for r in GOOD_ROWS.values()], "utf-8-sig")
    result = _import(data, users.county_staff, filename="roster.csv")
    assert result.applied and result.members.created == 7


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "photo.xlsx", "unreadable"),
        (b"", "empty.csv", "empty"),
        ("备注,说明\r\n1,2\r\n".encode("gb18030"), "notes.csv", "no_header"),
        (b"a,b", "roster.pdf", "unsupported_type"),
    ],
)
def test_file_level_errors_are_reported_not_raised(users, data, filename, code):
    result = _import(data, users.county_staff, filename=filename)
    assert result.file_error_code == code and result.file_error
    assert not result.applied and Household.objects.count() == 0


def test_an_id_number_in_another_column_is_masked_in_messages(users):
    rows = {2: [*GOOD_ROWS[4][:9], ID.b, *GOOD_ROWS[4][10:]]}  # 李四's number as 张三's phone
    result = _import(xlsx_bytes(rows, header=PLAIN_HEADER, messy=False), users.county_staff)
    [error] = result.errors
    assert error.column == "联系电话" and error.code == "invalid_phone"
    assert error.value == ID.b[:6] + "********" + ID.b[14:]
    assert ID.b not in error.message and ID.b[:6] + "********" in error.message


def test_size_cap_from_the_settings(users, settings):
    settings.ROSTER_MAX_BYTES = 1024 * 1024
    result = _import(b"x" * (1024 * 1024 + 1), users.county_staff, filename="big.csv")
    assert result.file_error_code == "too_large" and "1 MB" in result.file_error


def test_roles_that_may_not_write_the_registry_are_refused(users):
    result = _import(good_xlsx(), users.township_doctor)
    assert result.file_error_code == "forbidden" and not result.applied
    assert Member.objects.count() == 0


# --- scope --------------------------------------------------------------------------------------


def test_rows_of_another_county_are_errors_never_writes(users):
    rows = {2: ["双柏县", "妥甸镇", "大庄村委会", "5323221012010001", "蒋六", "男", ID.q, "户主"]}
    data = xlsx_bytes(rows, header=PLAIN_HEADER[:8], messy=False)
    for skip in (False, True):
        result = _import(data, users.county_staff, skip_invalid=skip)
        assert [(e.row, e.column, e.code) for e in result.errors] == [(2, "县", "outside_scope")]
        assert Household.objects.count() == 0 and Member.objects.count() == 0
    # The other county's own staff import it.
    result = _import(data, users.other_county_staff)
    assert result.applied and Household.objects.get().village.name == "大庄村委会"


def test_existing_household_or_person_outside_scope_is_an_error(users, tree):
    other = _import(
        xlsx_bytes(
            {2: ["双柏县", "妥甸镇", "大庄村委会", H1, "蒋六", "男", ID.a, "户主"]},
            header=PLAIN_HEADER[:8],
            messy=False,
        ),
        users.other_county_staff,
    )
    assert other.applied
    result = _import(good_xlsx(), users.county_staff, skip_invalid=True)
    codes = {(e.row, e.code) for e in result.errors}
    assert (2, "household_outside_scope") in codes  # H1 belongs to 双柏县 now
    assert (2, "member_outside_scope") in codes  # and so does 张三
    assert Member.objects.by_id_number(ID.a).get().household.village_id.startswith("532322")


def test_township_names_match_tolerantly_but_never_ambiguously(users, tree):
    Region.objects.create(code="532328101204", name="能禹新村", level=12, parent=tree.township)
    Region.objects.create(code="532328101205", name="能禹新村委会", level=12, parent=tree.township)
    rows = {2: ["元谋", "元马", "能禹新", "5323281012040001", "甲", "男", ID.g, "户主"]}
    result = _import(xlsx_bytes(rows, header=PLAIN_HEADER[:8], messy=False), users.county_staff)
    assert [(e.column, e.code) for e in result.errors] == [("村", "ambiguous_region")]
    assert "能禹新村" in result.errors[0].message


def test_copy_lines_escape_what_postgresql_copy_text_needs():
    from healthaid.importing.bulk import copy_line

    line = copy_line(["a\tb", None, True, False, 5, "x\\y", "行\n二", dt.date(2019, 7, 19)])
    assert line == "a\\tb\t\\N\tt\tf\t5\tx\\\\y\t行\\n二\t2019-07-19\n"


def test_region_names_reduce_to_their_core():
    assert region_core(region_key("能禹村委会")) == "能禹"
    assert region_core(region_key("能禹村")) == "能禹"
    assert region_core(region_key(" 元马镇 ")) == "元马"
    assert region_core(region_key("元谋县")) == "元谋"
    assert region_core(region_key("村")) == "村"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("户主", Relation.HEAD),
        ("之子", Relation.SON),
        ("长子", Relation.SON),
        ("次子", Relation.SON),
        ("之女", Relation.DAUGHTER),
        ("长女", Relation.DAUGHTER),
        ("之儿媳", Relation.DAUGHTER_IN_LAW),
        ("之孙女", Relation.GRANDDAUGHTER),
        ("户主之父", Relation.FATHER),
        ("妻子", Relation.SPOUSE),
        (" 配 偶 ", Relation.SPOUSE),
        ("", None),
    ],
)
def test_relation_synonyms(text, expected):
    assert parse_relation(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("因病", PovertyCause.ILLNESS),
        ("因病致贫", PovertyCause.ILLNESS),
        ("病", PovertyCause.ILLNESS),
        ("因残致贫", PovertyCause.DISABILITY),
        ("缺劳动力", PovertyCause.LABOUR),
        ("交通条件落后", PovertyCause.TRANSPORT),
        ("自身发展动力不足", PovertyCause.MOTIVATION),
    ],
)
def test_cause_synonyms(text, expected):
    assert parse_poverty_cause(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一般贫困户", PovertyAttribute.GENERAL),
        ("一般户", PovertyAttribute.GENERAL),
        ("低保户", PovertyAttribute.DIBAO),
        ("低保贫困户", PovertyAttribute.DIBAO),
        ("特困供养户", PovertyAttribute.TEKUN),
        ("五保户", PovertyAttribute.TEKUN),
    ],
)
def test_attribute_synonyms(text, expected):
    assert parse_poverty_attribute(text) == expected


# --- query count --------------------------------------------------------------------------------


def _bench_county():
    from bench.import_roster import county_regions

    for code, name, level, parent in county_regions():
        Region(code=code, name=name, level=level, parent_id=parent).save()


def _count_queries(rows: list[list], by) -> tuple[int, int]:
    from bench.import_roster import HEADER

    data = xlsx_bytes(dict(enumerate(rows, start=2)), header=list(HEADER), messy=False)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        result = roster_import(source=data, filename="r.xlsx", by=by)
        assert result.applied, result.errors[:3]
        transaction.set_rollback(True)
    return len(queries), result.members.created


def test_query_count_does_not_grow_with_the_rows(db):
    from bench.import_roster import make_rows

    _bench_county()
    small, n_small = _count_queries(make_rows(200), None)
    large, n_large = _count_queries(make_rows(2000), None)
    assert (n_small, n_large) == (200, 2000)
    # Chunks of 1,000 rows add a statement per table; nothing is done per row.
    # (23 and 27 queries when written.)
    assert large <= small + 6, (small, large)
    assert large <= 35
