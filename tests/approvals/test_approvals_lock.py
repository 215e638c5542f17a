"""Once a unit's period is approved, its records of that period change only by county staff,
and each such change is listed on the approval. One test per service that writes them."""

import datetime
from decimal import Decimal

import pytest

from approvals.models import ApprovalEdit
from approvals.services import ApprovalLocked
from contracts.models import FollowUp
from contracts.services import follow_up_record
from medconsortium.models import Settlement
from medconsortium.settlement_services import (
    encounter_settlement_upsert,
    encounter_settlements_upsert_bulk,
)
from screening.models import CheckUp, Screening
from screening.services import check_up_record, screening_batch_record, screening_record
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db

IN_MARCH = datetime.date(2019, 3, 10)
IN_APRIL = datetime.date(2019, 4, 10)


@pytest.fixture
def march(approve):
    return approve("month", 2019, 3)


def _member(registry):
    return registry.heads["village"]  # 能禹村, 元马镇


def test_follow_up_locked_for_the_township(users, registry, march):
    member = _member(registry)
    with pytest.raises(ApprovalLocked) as refused:
        follow_up_record(member=member, visited_on=IN_MARCH, by=users.township_doctor)
    assert "元马镇" in refused.value.messages[0] and "县级" in refused.value.messages[0]
    assert not FollowUp.objects.exists()  # rolled back with the refusal
    # Another month, or another township's member, is not locked.
    follow_up_record(member=member, visited_on=IN_APRIL, by=users.township_doctor)
    follow_up_record(
        member=registry.heads["other_township_village"], visited_on=IN_MARCH, by=users.county_staff
    )
    assert not ApprovalEdit.objects.exists()
    # County staff may, and the edit is listed on the approval.
    visit = follow_up_record(member=member, visited_on=IN_MARCH, by=users.county_staff)
    edit = ApprovalEdit.objects.get()
    assert edit.approval == march
    assert (edit.target_type, edit.target_id, edit.action) == (
        "contracts.followup",
        str(visit.pk),
        "create",
    )
    assert edit.by == users.county_staff and edit.record_date == IN_MARCH


def test_screening_locked(users, registry, march):
    member = _member(registry)
    with pytest.raises(ApprovalLocked):
        screening_record(
            member=member,
            screened_on=IN_MARCH,
            systolic=120,
            diastolic=80,
            by=users.township_doctor,
        )
    # The screening day's batch names the row that is locked.
    with pytest.raises(Exception) as batch:
        screening_batch_record(
            rows=[{"member": member, "systolic": 120, "diastolic": 80}],
            screened_on=IN_MARCH,
            by=users.village_doctor,
        )
    assert "0-__all__" in batch.value.message_dict
    assert not Screening.objects.exists()
    screening_record(
        member=member, screened_on=IN_MARCH, systolic=120, diastolic=80, by=users.county_staff
    )
    assert ApprovalEdit.objects.get().target_type == "screening.screening"


def test_check_up_locked(users, registry, march):
    member = _member(registry)
    with pytest.raises(ApprovalLocked):
        check_up_record(
            member=member, checked_on=IN_MARCH, systolic=120, diastolic=80, by=users.township_doctor
        )
    assert not CheckUp.objects.exists()
    check_up_record(
        member=member, checked_on=IN_MARCH, systolic=120, diastolic=80, by=users.county_staff
    )
    assert ApprovalEdit.objects.get().target_type == "screening.checkup"


@pytest.fixture
def hospital_march(users, approve):
    return approve("month", 2019, 3, by=users.hospital_staff)


def test_settlement_upsert_locked_for_the_institution(
    users, registry, institutions, hospital_march
):
    member = _member(registry)
    hospital = institutions.county_hospital
    with pytest.raises(ApprovalLocked):
        encounter_settlement_upsert(row=row(member, hospital), by=users.hospital_staff)
    assert not Settlement.objects.exists()
    # Another institution's settlements are not locked by this approval.
    encounter_settlement_upsert(
        row=row(member, institutions.township_centre), by=users.county_staff
    )
    assert not ApprovalEdit.objects.exists()
    settlement, what = encounter_settlement_upsert(row=row(member, hospital), by=users.county_staff)
    assert what == "created"
    # Unchanged: nothing to list; corrected: listed.
    encounter_settlement_upsert(row=row(member, hospital), by=users.county_staff)
    assert ApprovalEdit.objects.count() == 1
    corrected = row(member, hospital, pooled=Decimal("650.00"), out_of_pocket=Decimal("150.00"))
    with pytest.raises(ApprovalLocked):
        encounter_settlement_upsert(row=corrected, by=users.hospital_staff)
    encounter_settlement_upsert(row=corrected, by=users.county_staff)
    assert [e.action for e in ApprovalEdit.objects.order_by("id")] == ["create", "update"]
    assert {e.approval for e in ApprovalEdit.objects.all()} == {hospital_march}


def test_settlement_import_writer_locked(users, registry, institutions, hospital_march):
    member = _member(registry)
    hospital = institutions.county_hospital
    rows = [
        row(member, hospital, admitted_on=datetime.date(2019, 4, 1), discharged_on=IN_APRIL),
        row(member, hospital),
    ]
    with pytest.raises(ApprovalLocked):
        encounter_settlements_upsert_bulk(rows=rows, by=users.hospital_staff)
    assert not Settlement.objects.exists()
    done = encounter_settlements_upsert_bulk(rows=rows, by=users.county_staff)
    assert len(done.created) == 2
    edit = ApprovalEdit.objects.get()
    assert (edit.target_type, edit.record_date) == (
        "medconsortium.settlement",
        datetime.date(2019, 3, 8),
    )
    # Re-importing the same rows changes nothing and lists nothing.
    encounter_settlements_upsert_bulk(rows=rows, by=users.hospital_staff)
    assert ApprovalEdit.objects.count() == 1


def test_settlement_import_writer_checks_rows_in_batches(
    users, registry, institutions, hospital_march, monkeypatch
):
    """The rows are checked against approved periods a batch at a time (a prefecture's file
    would hold an EditTarget for every row at once): the same refusal, the same edits listed."""
    monkeypatch.setattr("medconsortium.settlement_services.GUARD_BATCH", 1)
    member = _member(registry)
    hospital = institutions.county_hospital
    rows = [
        row(member, hospital, admitted_on=datetime.date(2019, 4, 1), discharged_on=IN_APRIL),
        row(member, hospital),
        row(member, hospital, admitted_on=IN_APRIL, discharged_on=IN_APRIL),
        row(member, hospital, admitted_on=datetime.date(2019, 3, 2), discharged_on=IN_MARCH),
    ]
    with pytest.raises(ApprovalLocked):
        encounter_settlements_upsert_bulk(rows=rows, by=users.hospital_staff)
    assert not Settlement.objects.exists()
    done = encounter_settlements_upsert_bulk(rows=rows, by=users.county_staff)
    assert len(done.created) == 4
    dates = list(ApprovalEdit.objects.order_by("id").values_list("record_date", flat=True))
    assert dates == [datetime.date(2019, 3, 8), IN_MARCH]
