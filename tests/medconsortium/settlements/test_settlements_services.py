"""The write services: one row and in bulk, idempotent, corrections audited, rules enforced."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from healthaid.choices import AuditAction
from healthaid.models import AuditLog
from medconsortium.choices import EncounterKind
from medconsortium.models import Encounter, Settlement
from medconsortium.settlement_services import (
    SettlementRowError,
    encounter_settlement_upsert,
    encounter_settlements_upsert_bulk,
    settlement_row_errors,
)
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db


def test_parts_that_do_not_add_up_are_refused_with_the_difference(registry, institutions):
    member = registry.heads["village"]
    bad = row(member, institutions.county_hospital, out_of_pocket=Decimal("99.99"))
    errors = settlement_row_errors(bad)
    assert len(errors) == 1
    assert "999.99" in errors[0] and "1,000.00" in errors[0] and "0.01" in errors[0]
    with pytest.raises(SettlementRowError) as caught:
        encounter_settlement_upsert(row=bad, by=None)
    assert "0.01" in str(caught.value)
    assert not Encounter.objects.exists()


def test_rules_dates_decimals_and_non_reimbursable(registry, institutions):
    member = registry.heads["village"]
    hospital = institutions.county_hospital
    assert settlement_row_errors(row(member, hospital)) == []
    assert settlement_row_errors(row(member, hospital, discharged_on=datetime.date(2019, 2, 1)))
    assert settlement_row_errors(row(member, hospital, kind=EncounterKind.OUTPATIENT))
    assert settlement_row_errors(row(member, hospital, non_reimbursable=Decimal("1000.01")))
    assert settlement_row_errors(row(member, hospital, non_reimbursable=Decimal("1000.00"))) == []
    assert settlement_row_errors(
        row(member, hospital, total=Decimal("1000.001"), out_of_pocket=Decimal("100.001"))
    )


def test_one_row_created_unchanged_then_corrected_with_audit(registry, institutions, users):
    member = registry.heads["village"]
    first = row(member, institutions.county_hospital)
    settlement, what = encounter_settlement_upsert(row=first, by=users.county_staff)
    assert what == "created"
    assert settlement.encounter.village_id == registry.households["village"].village_id
    assert encounter_settlement_upsert(row=first, by=users.county_staff)[1] == "unchanged"
    before = AuditLog.objects.count()
    corrected = row(
        member,
        institutions.county_hospital,
        pooled=Decimal("690.00"),
        out_of_pocket=Decimal("110.00"),
    )
    settlement, what = encounter_settlement_upsert(row=corrected, by=users.county_staff)
    assert what == "updated"
    settlement.refresh_from_db()
    assert settlement.out_of_pocket == Decimal("110.00")
    entry = AuditLog.objects.order_by("-id").first()
    assert AuditLog.objects.count() == before + 1
    assert entry.action == AuditAction.UPDATE
    assert entry.before == {"out_of_pocket": "100.00", "pooled": "700.00"}
    assert entry.after == {"out_of_pocket": "110.00", "pooled": "690.00"}
    assert entry.region_code == registry.households["village"].village_id


def _rows(registry, institutions, n=3, **overrides):
    members = [registry.heads["village"], registry.spouses["village"], registry.heads["village2"]]
    return [
        row(
            members[i % 3],
            institutions.county_hospital,
            admitted_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=i),
            discharged_on=datetime.date(2019, 1, 5) + datetime.timedelta(days=i),
            **overrides,
        )
        for i in range(n)
    ]


def test_bulk_is_idempotent_and_audits_corrections(registry, institutions, users):
    rows = _rows(registry, institutions, n=7)
    result = encounter_settlements_upsert_bulk(rows=rows, by=users.county_staff)
    assert result.counts() == {"created": 7, "updated": 0, "unchanged": 0}
    assert Settlement.objects.count() == 7
    stored = Settlement.objects.select_related("encounter").get(
        encounter__admitted_on=datetime.date(2019, 1, 1)
    )
    assert stored.total == Decimal("1000.00") and stored.one_stop is True
    assert stored.encounter.village_id == "532328101201"
    assert stored.encounter.created_by == users.county_staff
    assert AuditLog.objects.filter(action=AuditAction.IMPORT).count() == 1

    again = encounter_settlements_upsert_bulk(rows=_rows(registry, institutions, n=7), by=None)
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 7}
    audit_rows = AuditLog.objects.count()

    fixed = _rows(registry, institutions, n=7)
    fixed[2].assistance = Decimal("50.00")
    fixed[2].out_of_pocket = Decimal("150.00")
    fixed[2].one_stop = False
    fixed.append(
        row(
            registry.heads["village"],
            institutions.township_centre,
            kind=EncounterKind.OUTPATIENT,
            admitted_on=datetime.date(2019, 2, 1),
            discharged_on=datetime.date(2019, 2, 1),
        )
    )
    third = encounter_settlements_upsert_bulk(rows=fixed, by=users.county_staff)
    assert third.counts() == {"created": 1, "updated": 1, "unchanged": 6}
    assert third.updated == [2]
    changed = AuditLog.objects.filter(action=AuditAction.UPDATE).get()
    assert changed.before == {"assistance": "100.00", "one_stop": True, "out_of_pocket": "100.00"}
    assert changed.after == {"assistance": "50.00", "one_stop": False, "out_of_pocket": "150.00"}
    assert AuditLog.objects.count() == audit_rows + 2  # the correction and the import summary
    assert Settlement.objects.get(pk=changed.target_id).out_of_pocket == Decimal("150.00")


def test_bulk_refuses_a_bad_row_and_writes_nothing(registry, institutions):
    rows = _rows(registry, institutions, n=3)
    rows[1].pooled = Decimal("0.00")
    with pytest.raises(SettlementRowError) as caught:
        encounter_settlements_upsert_bulk(rows=rows, by=None)
    assert caught.value.index == 1
    assert not Encounter.objects.exists()


def test_bulk_refuses_the_same_encounter_twice(registry, institutions):
    rows = _rows(registry, institutions, n=2) + _rows(registry, institutions, n=1)
    with pytest.raises(SettlementRowError) as caught:
        encounter_settlements_upsert_bulk(rows=rows, by=None)
    assert caught.value.index == 2


def test_bulk_in_small_batches_matches_one_batch(registry, institutions):
    rows = _rows(registry, institutions, n=11)
    result = encounter_settlements_upsert_bulk(rows=rows, by=None, batch_size=3)
    assert len(result.created) == 11
    pairs = set(Settlement.objects.values_list("encounter__admitted_on", "encounter_id"))
    assert len(pairs) == 11
    assert all(s.encounter_id == s.encounter.pk for s in Settlement.objects.all())


def test_bulk_write_query_count(registry, institutions, django_assert_num_queries):
    # savepoint, existing read, villages, the keys' reservation (SQLite: the highest key
    # and sqlite_sequence), then SQLite: the encounters' and the settlements' executemany
    # (one query each); PostgreSQL: its two COPY streams go round Django's statement
    # wrappers, so they are not counted; then audit, release; plus the approvals read of the
    # lock on approved periods (approvals.services.guard_edits).
    expected = 7 if connection.vendor == "postgresql" else 10
    rows = _rows(registry, institutions, n=5)
    with django_assert_num_queries(expected):
        encounter_settlements_upsert_bulk(rows=rows, by=None)
    rows = _rows(registry, institutions, n=9)
    with django_assert_num_queries(expected):
        encounter_settlements_upsert_bulk(rows=rows[5:], by=None)
    assert Settlement.objects.count() == 9
