"""Screening services: thresholds at their edges, suspected cases, confirmation feeding the
contracts app's schedule, check-ups one per half year, prescriptions, audit rows."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts.models import OwedSlots
from healthaid.models import AuditLog
from households.models import MemberDisease
from screening import services
from screening.choices import Comparison, SuspicionStatus
from screening.models import CheckUp, Prescription, ScreeningItem, Suspicion
from tests.screening.factories import ContractFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def member(tree, catalogue):
    return MemberFactory(household=HouseholdFactory(village=tree.village))


def record(member, user, **values):
    return services.screening_record(member=member, screened_on=TODAY, by=user, **values)


@pytest.mark.parametrize(
    ("values", "abnormal"),
    [
        ({"systolic": 139, "diastolic": 89}, []),
        ({"systolic": 140, "diastolic": 89}, ["systolic"]),
        ({"systolic": 139, "diastolic": 90}, ["diastolic"]),
        ({"systolic": 140, "diastolic": 90}, ["systolic", "diastolic"]),
        ({"fasting_glucose": Decimal("6.9")}, []),
        ({"fasting_glucose": Decimal("7.0")}, ["fasting_glucose"]),
        ({"random_glucose": Decimal("11.0")}, []),
        ({"random_glucose": Decimal("11.1")}, ["random_glucose"]),
        # BMI is judged as recorded, one decimal: 71.5 kg at 1.60 m is 27.9, 71.6 kg is 28.0.
        ({"height": Decimal("160"), "weight": Decimal("71.5")}, []),
        ({"height": Decimal("160"), "weight": Decimal("71.6")}, ["bmi"]),
        ({"extra": {"haemoglobin": "110"}}, []),
        ({"extra": {"haemoglobin": "109"}}, ["haemoglobin"]),
    ],
)
def test_thresholds_at_their_edges(member, users, values, abnormal):
    screening = record(member, users.village_doctor, **values)
    assert screening.abnormal_items == abnormal
    assert screening.abnormal is bool(abnormal)


def test_bmi_derived_and_judged(member, users):
    screening = record(member, users.village_doctor, height=Decimal("160"), weight=Decimal("72"))
    assert screening.bmi == Decimal("28.1")
    assert screening.abnormal_items == ["bmi"]


def test_thresholds_are_data(member, users):
    item = ScreeningItem.objects.get(code="systolic")
    services.screening_item_set_threshold(item=item, threshold="130", by=users.county_staff)
    assert record(member, users.village_doctor, systolic=130, diastolic=80).abnormal_items == [
        "systolic"
    ]
    item.comparison = Comparison.BELOW
    item.save()
    assert record(member, users.village_doctor, systolic=120, diastolic=80).abnormal


def test_abnormal_without_known_disease_is_suspected_once(member, users):
    first = record(member, users.village_doctor, systolic=160, diastolic=95)
    record(member, users.village_doctor, systolic=150, diastolic=92)
    open_ = Suspicion.objects.filter(member=member, status=SuspicionStatus.TO_CONFIRM)
    assert [(s.disease.code, s.screening_id) for s in open_] == [("hypertension", first.pk)]


def test_known_disease_is_not_suspected(member, users):
    from tests.screening.factories import add_disease

    add_disease(member, "t2dm")
    record(member, users.village_doctor, fasting_glucose=Decimal("9.0"))
    assert not Suspicion.objects.exists()


def test_confirm_adds_disease_and_feeds_follow_up_schedule(member, users, team):
    ContractFactory(member=member, team=team, doctor=users.township_doctor, signed_on=TODAY)
    assert not OwedSlots.objects.filter(member=member).exists()
    record(member, users.village_doctor, systolic=170, diastolic=100)
    suspicion = Suspicion.objects.get(member=member)
    services.suspicion_confirm(suspicion=suspicion, by=users.township_doctor)
    suspicion.refresh_from_db()
    assert suspicion.status == SuspicionStatus.CONFIRMED
    assert MemberDisease.objects.filter(member=member, disease__code="hypertension").exists()
    # members_changed reached contracts.owed: the member now owes quarterly follow-ups.
    assert OwedSlots.objects.filter(member=member, per_year=4).exists()
    with pytest.raises(ValidationError):
        services.suspicion_confirm(suspicion=suspicion, by=users.township_doctor)


def test_rule_out_leaves_the_list(member, users):
    record(member, users.village_doctor, random_glucose=Decimal("12.0"))
    suspicion = Suspicion.objects.get(member=member)
    services.suspicion_rule_out(suspicion=suspicion, note="复查正常", by=users.township_doctor)
    assert Suspicion.objects.get().status == SuspicionStatus.RULED_OUT
    assert not MemberDisease.objects.filter(member=member).exists()


def test_messages_name_the_field(member, users, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        record(member, users.village_doctor, systolic=1600, diastolic=90)
    assert error.value.message_dict["systolic"][0].startswith("收缩压")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        record(member, users.village_doctor, systolic=140)
    assert "diastolic" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record(member, users.village_doctor)
    assert "systolic" in error.value.message_dict


def test_screening_is_audited(member, users):
    screening = record(member, users.village_doctor, systolic=120, diastolic=80)
    entry = AuditLog.objects.get(target_type="screening.screening", target_id=str(screening.pk))
    assert entry.region_code == member.household.village_id
    assert entry.actor == users.village_doctor


def test_batch_all_or_nothing(tree, users, catalogue):
    members = [MemberFactory(household=HouseholdFactory(village=tree.village)) for _ in range(3)]
    rows = [
        {"member": members[0], "systolic": 120, "diastolic": 80},
        {"member": members[1]},  # nobody measured: skipped
        {"member": members[2], "systolic": 90, "diastolic": 95},
    ]
    with pytest.raises(ValidationError) as error:
        services.screening_batch_record(rows=rows, screened_on=TODAY, by=users.village_doctor)
    assert "2-diastolic" in error.value.message_dict
    assert not members[0].screenings.exists()
    rows[2]["diastolic"] = 70
    created = services.screening_batch_record(rows=rows, screened_on=TODAY, by=users.village_doctor)
    assert [s.member_id for s in created] == [members[0].pk, members[2].pk]


def test_one_check_up_per_half_year(member, users):
    services.check_up_record(
        member=member, checked_on=datetime.date(2024, 3, 1), by=users.village_doctor
    )
    with pytest.raises(ValidationError) as error:
        services.check_up_record(
            member=member, checked_on=datetime.date(2024, 6, 30), by=users.village_doctor
        )
    assert "checked_on" in error.value.message_dict
    second = services.check_up_record(
        member=member, checked_on=datetime.date(2024, 7, 1), by=users.village_doctor
    )
    assert (second.year, second.half) == (2024, 2)
    assert CheckUp.objects.filter(member=member).count() == 2


def test_catalogue_seeded_with_the_common_prescriptions(catalogue):
    codes = set(Prescription.objects.values_list("disease__code", flat=True))
    assert codes == {"hypertension", "t2dm", "copd", "chd", "cerebrovascular", "tb", "smi", "oa"}


def test_prescription_issue_and_edit(member, users, team):
    prescription = Prescription.objects.get(disease__code="hypertension")
    issued = services.prescription_issue(
        member=member, prescription=prescription, by=users.village_doctor
    )
    assert issued.team == team  # the team covering the member's village
    services.prescription_save(
        prescription=prescription, lifestyle="每天吃盐不超过5克。", by=users.county_staff
    )
    prescription.refresh_from_db()
    assert prescription.lifestyle == "每天吃盐不超过5克。"
    with pytest.raises(ValidationError):
        services.prescription_save(prescription=prescription, title=" ", by=users.county_staff)
