"""The registry's services: validation with field-named Chinese messages, and their audit rows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from healthaid.choices import AuditAction
from healthaid.idnumbers import make_id_number
from healthaid.models import AuditLog
from households import services
from households.choices import ContactKind, PovertyStatus, Relation, Sex
from households.models import Household, HouseholdContact, Member, MemberDisease, SpecialCard
from tests.households.factories import HouseholdFactory, new_id_number

pytestmark = pytest.mark.django_db


def audit_rows(action=None, target_type=None):
    rows = AuditLog.objects.all()
    if action:
        rows = rows.filter(action=action)
    if target_type:
        rows = rows.filter(target_type=target_type)
    return list(rows)


@pytest.fixture
def household(tree, catalogue):
    return HouseholdFactory(village=tree.village, number="5323281012010001")


def messages_of(excinfo, field):
    return " ".join(excinfo.value.message_dict[field])


# --- households ------------------------------------------------------------------------------


def test_household_create_writes_the_household_and_an_audit_row(tree, users, catalogue):
    household = services.household_create(
        number=" 5323281012010009 ",
        village=tree.village,
        status=PovertyStatus.LIFTED,
        lifted_year=2019,
        poverty_cause="illness",
        illness_caused=True,
        by=users.county_staff,
    )
    assert household.number == "5323281012010009"
    assert household.created_by == users.county_staff
    [row] = audit_rows(AuditAction.CREATE, "households.household")
    assert row.target_id == str(household.pk)
    assert row.actor == users.county_staff
    assert row.region_code == tree.village.code
    assert row.after["number"] == "5323281012010009"
    assert row.after["illness_caused"] is True


def test_household_number_must_be_new(household, tree, users):
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(
            number=household.number, village=tree.village2, by=users.county_staff
        )
    assert "户编号" in messages_of(excinfo, "number")
    assert household.number in messages_of(excinfo, "number")
    assert Household.objects.count() == 1
    assert not audit_rows(AuditAction.CREATE)


def test_household_needs_a_village_not_a_township(tree, users):
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(number="X1", village=tree.township, by=users.county_staff)
    assert "村" in messages_of(excinfo, "village")


@pytest.mark.parametrize(
    "status, year, problem",
    [
        (PovertyStatus.LIFTED, None, "脱贫年度"),
        (PovertyStatus.LIFTED, 2009, "2014"),
        (PovertyStatus.REGISTERED, 2019, "脱贫年度"),
    ],
)
def test_lifted_year_follows_the_status(tree, users, status, year, problem):
    with pytest.raises(ValidationError) as excinfo:
        services.household_create(
            number="X1",
            village=tree.village,
            status=status,
            lifted_year=year,
            by=users.county_staff,
        )
    assert problem in messages_of(excinfo, "lifted_year")


def test_household_update_audits_only_the_changed_fields(household, users):
    services.household_update(
        household=household, status=PovertyStatus.MONITORED, by=users.county_staff
    )
    household.refresh_from_db()
    assert household.status == PovertyStatus.MONITORED
    [row] = audit_rows(AuditAction.UPDATE)
    assert row.before == {"status": "lifted"}
    assert row.after == {"status": "monitored"}
    # Saving again with nothing changed writes no row.
    services.household_update(household=household, by=users.county_staff)
    assert len(audit_rows(AuditAction.UPDATE)) == 1


def test_household_update_rejects_unknown_fields(household, users):
    with pytest.raises(TypeError):
        services.household_update(household=household, colour="red", by=users.county_staff)


def test_household_with_members_cannot_be_deleted(household, users):
    services.member_create(
        household=household, name="张三", id_number=new_id_number(), by=users.county_staff
    )
    with pytest.raises(ValidationError) as excinfo:
        services.household_delete(household=household, by=users.county_staff)
    assert "1" in " ".join(excinfo.value.messages)
    assert Household.objects.filter(pk=household.pk).exists()


def test_household_delete_audits_the_snapshot(household, users):
    pk = household.pk
    services.household_delete(household=household, by=users.county_staff)
    assert not Household.objects.filter(pk=pk).exists()
    [row] = audit_rows(AuditAction.DELETE)
    assert row.target_id == str(pk)
    assert row.before["number"] == "5323281012010001"


def test_contacts_are_replaced_and_audited_once(household, users):
    services.household_set_contacts(
        household=household,
        contacts=[
            {"kind": ContactKind.VILLAGE_DOCTOR, "name": "张医生", "phone": "13987800001"},
            {"kind": ContactKind.EMERGENCY, "name": "", "phone": "120"},
            {"kind": ContactKind.CONTRACTED_DOCTOR, "name": "", "phone": ""},  # blank: skipped
        ],
        by=users.county_staff,
    )
    assert sorted(household.contacts.values_list("kind", "phone")) == [
        ("emergency", "120"),
        ("village_doctor", "13987800001"),
    ]
    [row] = audit_rows(AuditAction.UPDATE)
    assert row.after["contacts"] == [
        ["village_doctor", "张医生", "13987800001"],
        ["emergency", "", "120"],
    ]
    # The same list again changes nothing and writes nothing.
    services.household_set_contacts(
        household=household,
        contacts=[
            {"kind": ContactKind.EMERGENCY, "name": "", "phone": "120"},
            {"kind": ContactKind.VILLAGE_DOCTOR, "name": "张医生", "phone": "13987800001"},
        ],
        by=users.county_staff,
    )
    assert len(audit_rows(AuditAction.UPDATE)) == 1


def test_contact_phone_is_checked(household, users):
    with pytest.raises(ValidationError) as excinfo:
        services.household_set_contacts(
            household=household,
            contacts=[{"kind": ContactKind.VILLAGE_DOCTOR, "name": "张医生", "phone": "call me"}],
            by=users.county_staff,
        )
    assert "村医" in messages_of(excinfo, "contacts")
    assert not HouseholdContact.objects.exists()


# --- members ---------------------------------------------------------------------------------


def test_member_create_derives_sex_and_birth_date_and_stores_the_number_protected(household, users):
    number = make_id_number("532328", datetime.date(1968, 3, 9), 123)
    raw = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    member = services.member_create(
        household=household,
        name=" 李秀英 ",
        id_number=raw,
        relation=Relation.SPOUSE,
        diseases=["hypertension", "t2dm"],
        by=users.county_staff,
    )
    member.refresh_from_db()
    assert member.name == "李秀英"
    assert member.sex == Sex.MALE  # 123 is odd
    assert member.birth_date == datetime.date(1968, 3, 9)
    assert member.id_number_masked == f"532328********{number[-4:]}"
    assert number not in (member.id_number_cipher, member.id_number_index)
    assert list(Member.objects.by_id_number(number)) == [member]
    assert sorted(member.diseases.values_list("code", flat=True)) == ["hypertension", "t2dm"]
    [row] = audit_rows(AuditAction.CREATE, "households.member")
    assert row.after["diseases"] == ["2型糖尿病", "高血压"]
    assert "id_number_cipher" not in row.after and "id_number_index" not in row.after
    assert number not in str(row.after)


def test_sex_contradicting_the_number_is_refused_naming_the_field(household, users):
    number = make_id_number("532328", datetime.date(1970, 1, 1), 2)  # even: female
    with pytest.raises(ValidationError) as excinfo:
        services.member_create(
            household=household, name="王五", id_number=number, sex=Sex.MALE, by=users.county_staff
        )
    message = messages_of(excinfo, "sex")
    assert message.startswith("性别：")
    assert "女" in message and "男" in message
    assert not Member.objects.exists()
    assert not AuditLog.objects.exists()


def test_an_agreeing_sex_is_accepted(household, users):
    number = make_id_number("532328", datetime.date(1970, 1, 1), 2)
    member = services.member_create(
        household=household, name="王芳", id_number=number, sex=Sex.FEMALE, by=users.county_staff
    )
    assert member.sex == Sex.FEMALE


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "必填"),
        ("53232819700101002", "18"),
        (make_id_number("532328", datetime.date(1970, 1, 1), 2)[:17] + "0", "校验"),
        (5.32328197001010e17, "Excel"),
        ("532328197013010021", "日期"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(household, users, raw, reason):
    if reason == "校验" and raw.endswith(
        make_id_number("532328", datetime.date(1970, 1, 1), 2)[-1]
    ):
        pytest.skip("the check character happened to be 0")
    with pytest.raises(ValidationError) as excinfo:
        services.member_create(
            household=household, name="赵六", id_number=raw, by=users.county_staff
        )
    message = messages_of(excinfo, "id_number")
    assert message.startswith("证件号码：")
    assert reason in message


def test_a_number_already_registered_is_refused(household, users):
    number = new_id_number()
    services.member_create(household=household, name="甲", id_number=number, by=users.county_staff)
    other = HouseholdFactory(village=household.village)
    with pytest.raises(ValidationError) as excinfo:
        # The same number, typed differently, is still the same number.
        services.member_create(
            household=other,
            name="乙",
            id_number=f"{number[:9]} {number[9:]}",
            by=users.county_staff,
        )
    assert "已登记" in messages_of(excinfo, "id_number")
    assert Member.objects.count() == 1


def test_unknown_disease_codes_are_refused(household, users):
    with pytest.raises(ValidationError) as excinfo:
        services.member_create(
            household=household,
            name="丙",
            id_number=new_id_number(),
            diseases=["hypertension", "flu"],
            by=users.county_staff,
        )
    assert "flu" in messages_of(excinfo, "diseases")
    assert not Member.objects.exists()


def test_member_update_with_a_new_number_rederives_sex_and_birth(household, users):
    member = services.member_create(
        household=household, name="丁", id_number=new_id_number(Sex.MALE), by=users.county_staff
    )
    new_number = make_id_number("532328", datetime.date(1990, 5, 6), 4)
    services.member_update(
        member=member, id_number=new_number, phone="13900000000", by=users.county_staff
    )
    member.refresh_from_db()
    assert (member.sex, member.birth_date) == (Sex.FEMALE, datetime.date(1990, 5, 6))
    assert member.id_number_masked.endswith(new_number[-4:])
    row = audit_rows(AuditAction.UPDATE)[0]
    assert set(row.after) >= {"sex", "phone", "id_number_masked"}
    # The birth date beside the masked number would be the full number.
    assert "birth_date" not in row.after and "birth_date" not in row.before
    assert new_number not in str(row.after) + str(row.before)


def test_member_update_without_number_keeps_it_and_checks_sex(household, users):
    member = services.member_create(
        household=household, name="戊", id_number=new_id_number(Sex.MALE), by=users.county_staff
    )
    cipher = member.id_number_cipher
    services.member_update(member=member, id_number="", name="戊二", by=users.county_staff)
    member.refresh_from_db()
    assert member.id_number_cipher == cipher and member.name == "戊二"
    with pytest.raises(ValidationError) as excinfo:
        services.member_update(member=member, sex=Sex.FEMALE, by=users.county_staff)
    assert "性别" in messages_of(excinfo, "sex")


def test_member_update_cannot_take_another_members_number(household, users):
    first = new_id_number()
    services.member_create(household=household, name="甲", id_number=first, by=users.county_staff)
    second = services.member_create(
        household=household, name="乙", id_number=new_id_number(), by=users.county_staff
    )
    with pytest.raises(ValidationError):
        services.member_update(member=second, id_number=first, by=users.county_staff)


def test_member_set_diseases_replaces_and_audits(household, users):
    member = services.member_create(
        household=household,
        name="己",
        id_number=new_id_number(),
        diseases=["hypertension"],
        by=users.county_staff,
    )
    services.member_set_diseases(member=member, diseases=["t2dm", "copd"], by=users.county_staff)
    assert sorted(
        MemberDisease.objects.filter(member=member).values_list("disease__code", flat=True)
    ) == [
        "copd",
        "t2dm",
    ]
    row = audit_rows(AuditAction.UPDATE)[0]
    assert row.before == {"diseases": ["高血压"]}
    assert row.after == {"diseases": ["2型糖尿病", "慢性阻塞性肺疾病"]}


def test_special_card_add_checks_the_number(household, users):
    member = services.member_create(
        household=household, name="庚", id_number=new_id_number(), by=users.county_staff
    )
    card = services.special_card_add(
        member=member,
        number="MB0001",
        disease="hypertension",
        issued_on=datetime.date(2020, 1, 2),
        by=users.county_staff,
    )
    assert card.disease.code == "hypertension"
    assert audit_rows(AuditAction.CREATE, "households.specialcard")[0].after["number"] == "MB0001"
    with pytest.raises(ValidationError) as excinfo:
        services.special_card_add(member=member, number="MB0001", by=users.county_staff)
    assert "MB0001" in messages_of(excinfo, "card_number")
    assert SpecialCard.objects.count() == 1


def test_member_delete_removes_diagnoses_and_audits(household, users):
    member = services.member_create(
        household=household,
        name="辛",
        id_number=new_id_number(),
        diseases=["tb"],
        by=users.county_staff,
    )
    pk = member.pk
    services.member_delete(member=member, by=users.county_staff)
    assert not Member.objects.filter(pk=pk).exists()
    assert not MemberDisease.objects.filter(member_id=pk).exists()
    row = audit_rows(AuditAction.DELETE)[0]
    assert row.before["household_id"] == household.pk
    assert row.before["diseases"] == ["肺结核"]


# --- reveal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["county_staff", "township_doctor", "village_doctor"])
def test_reveal_returns_the_number_and_audits_without_it(household, users, role):
    number = new_id_number()
    member = services.member_create(
        household=household, name="壬", id_number=number, by=users.county_staff
    )
    user = getattr(users, role)
    assert services.member_reveal_id_number(member=member, by=user) == number
    [row] = audit_rows(AuditAction.REVEAL)
    assert row.actor == user
    assert row.target_id == str(member.pk)
    assert row.region_code == household.village_id
    for value in (row.target_repr, row.message, str(row.before), str(row.after)):
        assert number not in value


@pytest.mark.parametrize("role", ["hospital_staff", "supervisor"])
def test_roles_that_may_not_reveal_are_refused_and_nothing_is_audited(household, users, role):
    member = services.member_create(
        household=household, name="癸", id_number=new_id_number(), by=users.county_staff
    )
    with pytest.raises(PermissionDenied):
        services.member_reveal_id_number(member=member, by=getattr(users, role))
    assert not audit_rows(AuditAction.REVEAL)
