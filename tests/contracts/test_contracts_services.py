"""Signing, renewing and ending contracts, recording follow-ups: rules, audit, control status."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from contracts import services
from contracts.choices import ContractStatus, ControlStatus
from contracts.models import Contract, FollowUp, FollowUpRule
from healthaid.models import AuditLog
from tests.contracts.factories import (
    ContractFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
    disease,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def member(tree):
    return MemberFactory(household=HouseholdFactory(village=tree.village), name="李四")


def sign(member, team, users, **kwargs):
    return services.contract_sign(
        member=member, team=team, doctor=users.village_doctor, by=users.village_doctor, **kwargs
    )


# --- control status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "codes, bp, glucose, expected",
    [
        ({"hypertension"}, (139, 89), None, ControlStatus.CONTROLLED),
        ({"hypertension"}, (140, 80), None, ControlStatus.NOT_CONTROLLED),
        ({"hypertension"}, (130, 90), None, ControlStatus.NOT_CONTROLLED),
        ({"hypertension"}, (None, None), None, ControlStatus.UNKNOWN),
        ({"t2dm"}, (None, None), Decimal("6.9"), ControlStatus.CONTROLLED),
        ({"t2dm"}, (None, None), Decimal("7.0"), ControlStatus.NOT_CONTROLLED),
        ({"hypertension", "t2dm"}, (120, 80), Decimal("6.5"), ControlStatus.CONTROLLED),
        ({"hypertension", "t2dm"}, (120, 80), Decimal("8.1"), ControlStatus.NOT_CONTROLLED),
        ({"hypertension", "t2dm"}, (160, 100), Decimal("5.0"), ControlStatus.NOT_CONTROLLED),
        ({"hypertension", "t2dm"}, (120, 80), None, ControlStatus.UNKNOWN),
        ({"hypertension", "t2dm"}, (165, 95), None, ControlStatus.NOT_CONTROLLED),
        ({"chd"}, (170, 100), None, ControlStatus.UNKNOWN),
    ],
)
def test_control_status_thresholds(codes, bp, glucose, expected):
    got = services.control_status_for(
        disease_codes=codes, systolic=bp[0], diastolic=bp[1], fasting_glucose=glucose
    )
    assert got == expected


# --- contracts --------------------------------------------------------------------------------


def test_sign_defaults_to_a_year_and_is_audited(member, team, users):
    contract = sign(member, team, users, signed_on=dt.date(2024, 3, 1))
    assert (contract.valid_from, contract.valid_to) == (dt.date(2024, 3, 1), dt.date(2025, 2, 28))
    assert contract.status == ContractStatus.ACTIVE
    entry = AuditLog.objects.get(target_type="contracts.contract", target_id=str(contract.pk))
    assert entry.action == "create"
    assert entry.region_code == member.household.village_id


def test_leap_day_contract_runs_to_the_day_before_the_anniversary():
    assert services.default_valid_to(dt.date(2024, 2, 29)) == dt.date(2025, 2, 27)


def test_second_active_contract_is_refused_by_the_service(member, team, users):
    sign(member, team, users, signed_on=dt.date(2024, 3, 1))
    with pytest.raises(ValidationError, match="已有有效签约|already has an active contract"):
        sign(member, team, users, signed_on=dt.date(2024, 6, 1))
    assert Contract.objects.filter(member=member).count() == 1


def test_partial_unique_constraint_backs_the_service_up(member, team, users):
    ContractFactory(member=member, team=team, doctor=users.village_doctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(member=member, team=team, doctor=users.village_doctor)
    # Terminated and expired contracts do not count against the one active contract.
    ContractFactory(
        member=member, team=team, doctor=users.village_doctor, status=ContractStatus.EXPIRED
    )


def test_lapsed_active_contract_is_expired_when_signing_again(member, team, users):
    old = ContractFactory(
        member=member,
        team=team,
        doctor=users.village_doctor,
        signed_on=dt.date(2022, 1, 1),
    )
    new = sign(member, team, users, signed_on=dt.date(2024, 3, 1))
    old.refresh_from_db()
    assert old.status == ContractStatus.EXPIRED
    assert new.status == ContractStatus.ACTIVE


def test_doctor_must_be_on_the_team(member, team, other_team, users):
    with pytest.raises(ValidationError) as excinfo:
        services.contract_sign(
            member=member, team=other_team, doctor=users.village_doctor, by=users.county_staff
        )
    assert "doctor" in excinfo.value.message_dict


def test_household_batch_signing_is_one_action(tree, team, users):
    household = HouseholdFactory(village=tree.village)
    a, b, c = (MemberFactory(household=household) for _ in range(3))
    ContractFactory(member=c, team=team, doctor=users.village_doctor, signed_on=dt.date(2024, 1, 1))
    agreement = SimpleUploadedFile("协议.pdf", PDF, content_type="application/pdf")
    created, skipped = services.household_sign(
        household=household,
        team=team,
        doctor=users.village_doctor,
        signed_on=dt.date(2024, 4, 1),
        agreement=agreement,
        by=users.village_doctor,
    )
    assert {x.member_id for x in created} == {a.pk, b.pk}
    assert skipped == [c]
    stored = list(Contract.objects.filter(member__in=[a, b]).values_list("agreement", flat=True))
    assert stored[0] and stored[0] == stored[1]
    assert (
        AuditLog.objects.filter(target_type="contracts.contract", message="随全户签约").count() == 2
    )


def test_agreement_file_type_and_size_are_checked(member, team, users, settings):
    with pytest.raises(ValidationError, match="PDF|JPG"):
        sign(member, team, users, agreement=SimpleUploadedFile("a.docx", b"PK\x03\x04"))
    with pytest.raises(ValidationError, match="PDF"):
        sign(member, team, users, agreement=SimpleUploadedFile("a.pdf", b"\xff\xd8\xff\xe0"))
    settings.CONTRACT_AGREEMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError, match="MB"):
        sign(member, team, users, agreement=big)
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert sign(member, team, users, agreement=png).agreement.name.endswith(".png")


def test_renew_starts_the_day_after_and_closes_the_old_one(member, team, users):
    contract = sign(member, team, users, signed_on=dt.date(2024, 3, 1))
    renewal = services.contract_renew(
        contract=contract, signed_on=dt.date(2025, 2, 1), by=users.village_doctor
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert contract.renewed_as == renewal
    assert (renewal.valid_from, renewal.valid_to) == (dt.date(2025, 3, 1), dt.date(2026, 2, 28))
    with pytest.raises(ValidationError):
        services.contract_renew(contract=contract, by=users.village_doctor)


def test_terminate_needs_a_reason_and_an_active_contract(member, team, users):
    contract = sign(member, team, users, signed_on=dt.date(2024, 3, 1))
    with pytest.raises(ValidationError):
        services.contract_terminate(contract=contract, reason=" ", by=users.village_doctor)
    ended = services.contract_terminate(
        contract=contract,
        reason="迁出本村",
        terminated_on=dt.date(2024, 8, 1),
        by=users.village_doctor,
    )
    assert ended.status == ContractStatus.TERMINATED
    assert ended.effective_end == dt.date(2024, 8, 1)
    with pytest.raises(ValidationError):
        services.contract_terminate(contract=ended, reason="again", by=users.village_doctor)
    # The member can be signed again once the contract is over.
    assert sign(member, team, users, signed_on=dt.date(2024, 9, 1)).status == "active"


def test_expire_closes_contracts_past_their_end(member, team, users):
    ContractFactory(member=member, team=team, doctor=users.village_doctor)
    assert services.contracts_expire(today=dt.date(2025, 1, 1)) == 1
    assert Contract.objects.get(member=member).status == ContractStatus.EXPIRED


# --- follow-ups -------------------------------------------------------------------------------


def test_follow_up_derives_control_status_and_links_the_contract(member, team, users):
    add_disease(member, "hypertension")
    contract = sign(member, team, users, signed_on=dt.date(2024, 1, 10))
    follow_up = services.follow_up_record(
        member=member,
        visited_on=dt.date(2024, 2, 1),
        systolic=160,
        diastolic=100,
        by=users.village_doctor,
    )
    assert follow_up.control_status == ControlStatus.NOT_CONTROLLED
    assert follow_up.contract == contract
    assert follow_up.doctor == users.village_doctor
    assert AuditLog.objects.filter(target_type="contracts.followup").count() == 1


def test_follow_up_disease_counts_for_control_even_if_not_on_the_roster(member, users):
    follow_up = services.follow_up_record(
        member=member,
        visited_on=dt.date(2024, 2, 1),
        disease=disease("t2dm"),
        fasting_glucose=Decimal("6.1"),
        by=users.village_doctor,
    )
    assert follow_up.control_status == ControlStatus.CONTROLLED
    assert follow_up.contract is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"systolic": 160}, "diastolic"),
        ({"systolic": 80, "diastolic": 120}, "diastolic"),
        ({"systolic": 1600, "diastolic": 100}, "systolic"),
        ({"fasting_glucose": Decimal("70")}, "fasting_glucose"),
        ({"visited_on": dt.date(2999, 1, 1)}, "visited_on"),
    ],
)
def test_follow_up_refuses_implausible_values(member, users, values, field):
    with pytest.raises(ValidationError) as excinfo:
        services.follow_up_record(member=member, by=users.village_doctor, **values)
    assert field in excinfo.value.message_dict
    assert not FollowUp.objects.exists()


def test_rules_are_seeded_from_the_catalogue_and_editable(users):
    rules = dict(FollowUpRule.objects.values_list("disease__code", "visits_per_year"))
    assert rules["hypertension"] == rules["t2dm"] == rules["tb"] == rules["smi"] == 4
    assert rules["chd"] == rules["copd"] == 1
    # The catalogue also schedules two severe mental disorders it lists on their own.
    assert rules["schizophrenia"] == rules["bipolar"] == 4
    assert len(rules) == 12
    services.follow_up_rule_set(disease=disease("chd"), visits_per_year=2, by=users.county_staff)
    assert FollowUpRule.objects.get(disease__code="chd").visits_per_year == 2
    services.follow_up_rule_set(disease=disease("chd"), visits_per_year=None, by=users.county_staff)
    assert not FollowUpRule.objects.filter(disease__code="chd").exists()
    assert AuditLog.objects.filter(target_type="contracts.followuprule").count() == 2
