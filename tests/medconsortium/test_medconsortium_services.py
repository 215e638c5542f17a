"""The consortium services: every referral transition allowed and refused, who may act,
the reserved quotas and their edges, the release job, sessions, exchanges, capacity."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from healthaid.models import AuditLog
from medconsortium import services
from medconsortium.choices import ReferralStatus, ReservedKind, SessionStatus
from medconsortium.models import Referral, ReservedCapacity
from medconsortium.services import TRANSITIONS
from medconsortium.tasks import release_reserved_task
from tests.contracts.factories import ContractFactory, DoctorTeamFactory
from tests.medconsortium.conftest import MONDAY, TODAY
from tests.medconsortium.factories import ExpertSessionFactory, ReservedCapacityFactory

pytestmark = pytest.mark.django_db

ACTIONS = {
    "accept": lambda r, by: services.referral_accept(referral=r, by=by),
    "reject": lambda r, by: services.referral_reject(referral=r, reason="床位已满", by=by),
    "admit": lambda r, by: services.referral_admit(referral=r, by=by),
    "discharge": lambda r, by: services.referral_discharge(referral=r, outcome="好转", by=by),
    "return_down": lambda r, by: services.referral_return_down(
        referral=r, outcome="回乡镇卫生院随访", by=by
    ),
    "cancel": lambda r, by: services.referral_cancel(referral=r, reason="患者拒绝", by=by),
}
PAIRS = [(status, action) for status in ReferralStatus.values for action in ACTIONS]


def request(users, registry, institutions, key="village", **kwargs):
    values = {
        "member": registry.heads[key],
        "to_institution": institutions.county_hospital,
        "reason": "血压控制不佳，需专科评估",
        "requested_on": TODAY,
        "by": users.township_doctor,
    }
    values.update(kwargs)
    return services.referral_request(**values)


def chinese(error: ValidationError) -> dict:
    with translation.override("zh-hans"):
        return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}


# --- transitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("status, action", PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_transition_is_allowed_or_refused(status, action, users, registry, institutions):
    referral = request(users, registry, institutions)
    Referral.objects.filter(pk=referral.pk).update(status=status, admitted_on=TODAY)
    referral.refresh_from_db()
    allowed, target = TRANSITIONS[action]
    audit_rows = AuditLog.objects.count()
    if status in allowed:
        result = ACTIONS[action](referral, users.county_staff)
        referral.refresh_from_db()
        expected = target or ReferralStatus.ADMITTED
        assert referral.status == expected
        if action == "return_down":
            assert result.direction == "down" and result.parent_id == referral.pk
            assert result.to_institution == institutions.township_centre
            assert AuditLog.objects.count() == audit_rows + 2
        else:
            assert AuditLog.objects.count() == audit_rows + 1
        row = AuditLog.objects.filter(target_id=str(referral.pk)).first()
        assert row.after["status"] == expected and row.before["status"] == status
    else:
        with pytest.raises(ValidationError) as caught:
            ACTIONS[action](referral, users.county_staff)
        assert "status" in caught.value.message_dict
        referral.refresh_from_db()
        assert referral.status == status
        assert AuditLog.objects.count() == audit_rows


def test_the_whole_journey_up_and_back_down(users, registry, institutions):
    referral = request(users, registry, institutions)
    assert referral.status == ReferralStatus.REQUESTED
    services.referral_accept(referral=referral, by=users.hospital_staff)
    services.referral_admit(referral=referral, inpatient=False, by=users.hospital_staff)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SEEN
    down = services.referral_return_down(
        referral=referral, outcome="血压已控制，回乡随访", by=users.hospital_staff
    )
    # The township receives the patient back.
    services.referral_accept(referral=down, by=users.township_doctor)
    down.refresh_from_db()
    assert down.status == ReferralStatus.ACCEPTED
    assert down.from_institution == institutions.county_hospital


def test_admit_as_inpatient_then_discharge(users, registry, institutions):
    referral = request(users, registry, institutions)
    services.referral_accept(referral=referral, by=users.hospital_staff)
    services.referral_admit(referral=referral, inpatient=True, by=users.hospital_staff)
    services.referral_discharge(referral=referral, outcome="痊愈出院", by=users.hospital_staff)
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.DISCHARGED, "痊愈出院")
    assert referral.closed_on is not None


# --- who may act -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("hospital_staff", True),
        ("county_staff", True),
        ("township_doctor", False),
        ("village_doctor", False),
        ("supervisor", False),
    ],
)
def test_only_the_receiving_side_accepts_an_up_referral(
    role, allowed, users, registry, institutions
):
    referral = request(users, registry, institutions)
    if allowed:
        services.referral_accept(referral=referral, by=getattr(users, role))
    else:
        with pytest.raises(PermissionDenied):
            services.referral_accept(referral=referral, by=getattr(users, role))


def test_hospital_staff_of_another_hospital_cannot_accept(users, registry, institutions):
    referral = request(
        users, registry, institutions, to_institution=institutions.prefecture_hospital
    )
    with pytest.raises(PermissionDenied):
        services.referral_accept(referral=referral, by=users.hospital_staff)


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("township_doctor", True),
        ("village_doctor", True),
        ("county_staff", True),
        ("hospital_staff", False),
        ("supervisor", False),
    ],
)
def test_only_the_sending_side_cancels(role, allowed, users, registry, institutions):
    referral = request(users, registry, institutions)
    if allowed:
        services.referral_cancel(referral=referral, reason="患者改期", by=getattr(users, role))
    else:
        with pytest.raises(PermissionDenied):
            services.referral_cancel(referral=referral, reason="患者改期", by=getattr(users, role))


@pytest.mark.parametrize("role", ["hospital_staff", "supervisor"])
def test_up_referrals_are_requested_by_doctors_and_the_bureau(role, users, registry, institutions):
    with pytest.raises(PermissionDenied):
        request(users, registry, institutions, by=getattr(users, role))


# --- input -----------------------------------------------------------------------------------


def test_bad_input_is_refused_in_chinese_naming_the_field(users, registry, institutions):
    with pytest.raises(ValidationError) as caught:
        request(users, registry, institutions, reason="  ")
    assert chinese(caught.value) == {"reason": ["转诊原因：此项为必填项。"]}
    with pytest.raises(ValidationError) as caught:
        request(users, registry, institutions, to_institution=institutions.village_clinic)
    assert chinese(caught.value)["to_institution"][0].startswith("转入机构：")
    with pytest.raises(ValidationError) as caught:
        request(users, registry, institutions, reserved="ward")
    assert chinese(caught.value)["reserved"][0].startswith("预留号源/床位：")
    referral = request(users, registry, institutions)
    with pytest.raises(ValidationError) as caught:
        services.referral_reject(referral=referral, reason="", by=users.hospital_staff)
    assert chinese(caught.value) == {"status_reason": ["拒绝或取消原因：此项为必填项。"]}


def test_a_second_open_referral_to_the_same_hospital_is_refused(users, registry, institutions):
    request(users, registry, institutions)
    with pytest.raises(ValidationError) as caught:
        request(users, registry, institutions)
    assert "member" in caught.value.message_dict


def test_the_contract_gives_the_referring_doctor(users, registry, institutions, tree):
    from contracts.services import follow_up_rules_sync_from_catalogue

    follow_up_rules_sync_from_catalogue()
    team = DoctorTeamFactory(
        institution=institutions.township_centre,
        villages=[tree.village],
        members=[users.village_doctor],
    )
    contract = ContractFactory(
        member=registry.heads["village"],
        team=team,
        doctor=users.village_doctor,
        signed_on=datetime.date(2024, 1, 1),
    )
    # Requested by the township doctor, who is not on the team: the contract's doctor refers.
    referral = request(users, registry, institutions)
    assert (referral.contract, referral.referring_doctor) == (contract, users.village_doctor)
    # A member without a contract: the acting doctor.
    other = request(users, registry, institutions, key="village2")
    assert (other.contract, other.referring_doctor) == (None, users.township_doctor)


# --- reserved quotas -------------------------------------------------------------------------


def test_the_last_reserved_slot_then_the_next_week_is_offered(users, registry, institutions):
    ReservedCapacityFactory(
        institution=institutions.county_hospital, week_start=MONDAY, reserved_slots=1
    )
    later = MONDAY + datetime.timedelta(days=14)
    ReservedCapacityFactory(
        institution=institutions.county_hospital, week_start=later, reserved_slots=2
    )
    first = request(
        users, registry, institutions, reserved=ReservedKind.SLOT, appointment_date=MONDAY
    )
    assert first.capacity.slots_used == 1
    with pytest.raises(ValidationError) as caught:
        request(
            users,
            registry,
            institutions,
            key="village2",
            reserved=ReservedKind.SLOT,
            appointment_date=MONDAY + datetime.timedelta(days=2),
        )
    message = chinese(caught.value)["reserved"][0]
    assert "2024-06-03" in message or "2024年6月3日" in message, message
    # The refused request wrote nothing.
    assert not Referral.objects.filter(member=registry.heads["village2"]).exists()
    # A rejected referral gives its slot back.
    services.referral_reject(referral=first, reason="非本院专科", by=users.hospital_staff)
    second = request(
        users,
        registry,
        institutions,
        key="village2",
        reserved=ReservedKind.SLOT,
        appointment_date=MONDAY,
    )
    assert second.capacity.slots_used == 1


def test_a_week_without_capacity_refuses_and_says_none_later(users, registry, institutions):
    with pytest.raises(ValidationError) as caught:
        request(users, registry, institutions, reserved=ReservedKind.BED, appointment_date=MONDAY)
    assert "reserved" in caught.value.message_dict


def test_beds_are_counted_apart_from_slots(users, registry, institutions):
    capacity = ReservedCapacityFactory(
        institution=institutions.county_hospital,
        week_start=MONDAY,
        reserved_slots=0,
        reserved_beds=1,
    )
    referral = request(
        users, registry, institutions, reserved=ReservedKind.BED, appointment_date=MONDAY
    )
    capacity.refresh_from_db()
    assert (capacity.beds_used, capacity.slots_used) == (1, 0)
    services.referral_accept(referral=referral, by=users.hospital_staff)
    with pytest.raises(ValidationError):
        services.referral_admit(referral=referral, inpatient=False, by=users.hospital_staff)
    services.referral_cancel(referral=referral, reason="患者改期", by=users.township_doctor)
    capacity.refresh_from_db()
    assert capacity.beds_used == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks race on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_requests_race_for_the_last_slot_and_exactly_one_wins(
    transactional_db, users, registry, institutions
):
    ReservedCapacityFactory(
        institution=institutions.county_hospital, week_start=MONDAY, reserved_slots=1
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(key):
        try:
            barrier.wait()
            request(
                users,
                registry,
                institutions,
                key=key,
                reserved=ReservedKind.SLOT,
                appointment_date=MONDAY,
            )
            outcomes[key] = "won"
        except ValidationError:
            outcomes[key] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(key,)) for key in ("village", "village2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "won"]
    capacity = ReservedCapacity.objects.get()
    assert capacity.slots_used == 1
    assert Referral.objects.filter(reserved=ReservedKind.SLOT).count() == 1


# --- the release job -------------------------------------------------------------------------


def test_unused_reserve_is_released_24_hours_before_its_week(users, registry, institutions):
    week = ReservedCapacityFactory(
        institution=institutions.county_hospital,
        week_start=MONDAY,
        reserved_slots=3,
        reserved_beds=2,
    )
    next_week = ReservedCapacityFactory(
        institution=institutions.county_hospital, week_start=MONDAY + datetime.timedelta(days=7)
    )
    request(users, registry, institutions, reserved=ReservedKind.SLOT, appointment_date=MONDAY)
    tz = timezone.get_current_timezone()
    # Saturday noon: more than 24 hours before Monday, nothing is due.
    assert (
        services.reserved_capacity_release_due(now=datetime.datetime(2024, 5, 18, 12, tzinfo=tz))
        == 0
    )
    # Sunday 00:00: 24 hours before.
    assert (
        services.reserved_capacity_release_due(now=datetime.datetime(2024, 5, 19, 0, 0, tzinfo=tz))
        == 1
    )
    week.refresh_from_db()
    next_week.refresh_from_db()
    assert (week.slots_used, week.slots_released, week.beds_released) == (1, 2, 2)
    assert week.slots_left == 0 and next_week.released_at is None
    assert AuditLog.objects.filter(
        target_type="medconsortium.reservedcapacity", target_id=str(week.pk)
    ).exists()
    # Run again: nothing more.
    assert (
        services.reserved_capacity_release_due(now=datetime.datetime(2024, 5, 19, 1, tzinfo=tz))
        == 0
    )
    # After the release, no reserved slot is left that week.
    with pytest.raises(ValidationError):
        request(
            users,
            registry,
            institutions,
            key="village2",
            reserved=ReservedKind.SLOT,
            appointment_date=MONDAY,
        )


def test_the_beat_task_releases_what_is_due(institutions):
    past = ReservedCapacityFactory(
        institution=institutions.county_hospital,
        week_start=timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday()),
    )
    assert release_reserved_task.apply().get() == 1
    past.refresh_from_db()
    assert past.released_at is not None and past.slots_released == past.reserved_slots


def test_the_release_task_is_on_the_beat_schedule(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="medconsortium.release_reserved")
    assert task.enabled and task.crontab.minute == "5" and task.crontab.hour == "*"


# --- capacity --------------------------------------------------------------------------------


def test_capacity_applies_the_shares_and_keeps_the_institutions_own(users, institutions):
    capacity = services.reserved_capacity_set(
        institution=institutions.county_hospital,
        week_start=MONDAY,
        expert_slots=48,
        beds=25,
        by=users.hospital_staff,
    )
    assert (capacity.slot_share, capacity.bed_share) == (Decimal("20.00"), Decimal("10.00"))
    assert (capacity.reserved_slots, capacity.reserved_beds) == (10, 3)  # 9.6 and 2.5, half up
    services.reserved_capacity_set(
        institution=institutions.county_hospital,
        week_start=MONDAY,
        expert_slots=40,
        beds=20,
        slot_share="25",
        by=users.hospital_staff,
    )
    later = services.reserved_capacity_set(
        institution=institutions.county_hospital,
        week_start=MONDAY + datetime.timedelta(days=7),
        expert_slots=40,
        beds=20,
        by=users.hospital_staff,
    )
    assert (later.slot_share, later.reserved_slots) == (Decimal("25.00"), 10)


def test_capacity_refuses_bad_weeks_shares_and_cuts_below_use(users, registry, institutions):
    with pytest.raises(ValidationError) as caught:
        services.reserved_capacity_set(
            institution=institutions.county_hospital,
            week_start=MONDAY + datetime.timedelta(days=1),
            expert_slots=10,
            beds=0,
            by=users.county_staff,
        )
    assert chinese(caught.value)["week_start"][0].startswith("周起始日：")
    with pytest.raises(ValidationError) as caught:
        services.reserved_capacity_set(
            institution=institutions.county_hospital,
            week_start=MONDAY,
            expert_slots=10,
            beds=0,
            slot_share="120",
            by=users.county_staff,
        )
    assert "slot_share" in caught.value.message_dict
    services.reserved_capacity_set(
        institution=institutions.county_hospital,
        week_start=MONDAY,
        expert_slots=10,
        beds=0,
        by=users.county_staff,
    )
    request(users, registry, institutions, reserved=ReservedKind.SLOT, appointment_date=MONDAY)
    request(
        users,
        registry,
        institutions,
        key="village2",
        reserved=ReservedKind.SLOT,
        appointment_date=MONDAY,
    )
    with pytest.raises(ValidationError) as caught:
        services.reserved_capacity_set(
            institution=institutions.county_hospital,
            week_start=MONDAY,
            expert_slots=5,
            beds=0,
            by=users.county_staff,
        )
    assert "expert_slots" in caught.value.message_dict


@pytest.mark.parametrize("role", ["township_doctor", "supervisor", "other_county_staff"])
def test_capacity_is_set_by_the_hospital_or_its_county(role, users, institutions):
    with pytest.raises(PermissionDenied):
        services.reserved_capacity_set(
            institution=institutions.county_hospital,
            week_start=MONDAY,
            expert_slots=10,
            beds=0,
            by=getattr(users, role),
        )


# --- sessions, exchanges, consultations, consortia -------------------------------------------


def test_a_session_is_planned_held_and_recorded(users, institutions):
    session = services.expert_session_plan(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=TODAY,
        half_day="am",
        specialty="心内科",
        experts=[
            {"name": "胡竹林", "title": "主任医师", "specialty": "心内科"},
            {"name": "李炯明", "title": "教授"},
        ],
        by=users.hospital_staff,
    )
    assert (session.expert_count, session.status) == (2, SessionStatus.PLANNED)
    with pytest.raises(ValidationError) as caught:
        services.expert_session_plan(
            host=institutions.county_hospital,
            visiting=institutions.prefecture_hospital,
            date=TODAY,
            half_day="am",
            specialty="心内科",
            experts=[{"name": "胡竹林"}],
            by=users.hospital_staff,
        )
    assert "date" in caught.value.message_dict
    services.expert_session_record(
        session=session,
        figures={
            "outpatients": 14,
            "teaching_rounds": 3,
            "case_discussions": 6,
            "trainings": 2,
            "people_trained": 30,
        },
        today=TODAY,
        by=users.hospital_staff,
    )
    session.refresh_from_db()
    assert (session.status, session.outpatients, session.people_trained) == (
        SessionStatus.HELD,
        14,
        30,
    )
    with pytest.raises(ValidationError) as caught:
        services.expert_session_record(
            session=session, figures={"outpatients": -1}, today=TODAY, by=users.hospital_staff
        )
    assert chinese(caught.value)["outpatients"][0].startswith("接诊门诊患者：")
    with pytest.raises(ValidationError):
        services.expert_session_cancel(session=session, reason="专家有事", by=users.hospital_staff)


def test_a_session_cannot_be_recorded_before_its_day_and_cancel_needs_a_reason(users, institutions):
    session = ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=TODAY + datetime.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as caught:
        services.expert_session_record(
            session=session, figures={"outpatients": 3}, today=TODAY, by=users.county_staff
        )
    assert "date" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.expert_session_cancel(session=session, reason="", by=users.county_staff)
    services.expert_session_cancel(session=session, reason="专家有事", by=users.county_staff)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.expert_session_record(
            session=session,
            figures={"outpatients": 3},
            today=TODAY + datetime.timedelta(days=5),
            by=users.county_staff,
        )


@pytest.mark.parametrize("role", ["township_doctor", "supervisor", "other_county_staff"])
def test_sessions_are_recorded_by_their_hospitals_and_county(role, users, institutions):
    with pytest.raises(PermissionDenied):
        services.expert_session_plan(
            host=institutions.county_hospital,
            visiting=institutions.prefecture_hospital,
            date=TODAY,
            half_day="pm",
            experts=[{"name": "胡竹林"}],
            by=getattr(users, role),
        )


def test_exchange_status_moves_forward_only(users, institutions):
    exchange = services.trainee_exchange_create(
        person="李医生",
        from_institution=institutions.township_centre,
        to_institution=institutions.county_hospital,
        department="骨科",
        start=datetime.date(2024, 3, 1),
        end=datetime.date(2024, 8, 31),
        by=users.hospital_staff,
    )
    services.trainee_exchange_set_status(
        exchange=exchange, status="in_progress", by=users.hospital_staff
    )
    services.trainee_exchange_set_status(
        exchange=exchange, status="completed", by=users.hospital_staff
    )
    with pytest.raises(ValidationError) as caught:
        services.trainee_exchange_set_status(
            exchange=exchange, status="in_progress", by=users.hospital_staff
        )
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.trainee_exchange_create(
            person="王医生",
            from_institution=institutions.township_centre,
            to_institution=institutions.county_hospital,
            department="骨科",
            start=datetime.date(2024, 3, 1),
            end=datetime.date(2024, 2, 1),
            by=users.county_staff,
        )
    assert "end" in caught.value.message_dict


def test_a_remote_consultation_is_recorded_and_audited(users, institutions):
    consultation = services.remote_consultation_record(
        requesting=institutions.township_centre,
        reading=institutions.county_hospital,
        kind="imaging",
        date=TODAY,
        summary="胸片未见异常",
        today=TODAY,
        by=users.hospital_staff,
    )
    assert AuditLog.objects.filter(
        target_type="medconsortium.remoteconsultation", target_id=str(consultation.pk)
    ).exists()
    with pytest.raises(ValidationError) as caught:
        services.remote_consultation_record(
            requesting=institutions.township_centre,
            reading=institutions.county_hospital,
            kind="xray",
            date=TODAY,
            today=TODAY,
            by=users.hospital_staff,
        )
    assert "kind" in caught.value.message_dict


def test_consortia_are_recorded_by_county_staff(users, institutions):
    consortium = services.consortium_create(
        name="元谋县医共体",
        kind="community",
        lead=institutions.county_hospital,
        members=[
            {"institution": institutions.township_centre, "items": ["remote_ecg", "training"]}
        ],
        signed_on=datetime.date(2019, 1, 1),
        by=users.county_staff,
    )
    assert consortium.memberships.get().items == ["remote_ecg", "training"]
    with pytest.raises(ValidationError) as caught:
        services.consortium_add_member(
            consortium=consortium, institution=institutions.township_centre, by=users.county_staff
        )
    assert "institution" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.consortium_create(
            name="双柏县医联体",
            kind="alliance",
            lead=institutions.other_county_hospital,
            by=users.county_staff,
        )
    with pytest.raises(PermissionDenied):
        services.consortium_create(
            name="医联体",
            kind="alliance",
            lead=institutions.county_hospital,
            by=users.hospital_staff,
        )


def test_a_household_that_moves_takes_its_referrals_along(users, registry, institutions, tree):
    """The referral keeps its member's village (scope and figures read it)."""
    from households.services import household_update
    from medconsortium.models import Referral as ReferralModel

    referral = request(users, registry, institutions)
    assert referral.village_id == tree.village.code
    household_update(
        household=registry.households["village"],
        village=tree.other_township_village,
        by=users.county_staff,
    )
    referral.refresh_from_db()
    assert referral.village_id == tree.other_township_village.code
    assert not ReferralModel.objects.visible_to(users.township_doctor).filter(pk=referral.pk)
