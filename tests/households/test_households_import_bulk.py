"""The roster import's bulk write: keys, the COPY stream, locks and failures mid-write."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from healthaid import audit
from healthaid.choices import AuditAction
from healthaid.importing import bulk
from healthaid.models import AuditLog
from households import services, tasks
from households.importing import service
from households.importing.service import roster_import
from households.models import Household, Member, MemberDisease, SpecialCard
from households.selectors import member_history
from households.signals import members_changed
from tests.households.factories import HouseholdFactory
from tests.households.test_households_import_fixtures import (
    H1,
    ID,
    PLACE2,
    PLAIN_HEADER,
    good_rows_compact,
    good_xlsx,
    xlsx_bytes,
)


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _registry() -> tuple[int, ...]:
    return (
        Household.objects.count(),
        Member.objects.count(),
        MemberDisease.objects.count(),
        SpecialCard.objects.count(),
        AuditLog.objects.count(),
    )


def test_new_records_take_the_next_keys_and_the_orm_carries_on_after_them(users, tree):
    before = HouseholdFactory(village=tree.village)
    result = roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert result.applied

    imported = sorted(Household.objects.exclude(pk=before.pk).values_list("pk", flat=True))
    assert imported == list(range(imported[0], imported[0] + len(imported)))
    assert imported[0] > before.pk
    after = HouseholdFactory(village=tree.village)
    assert after.pk > imported[-1]
    members = sorted(Member.objects.values_list("pk", flat=True))
    assert members == list(range(members[0], members[0] + 7))


def test_a_failure_in_the_middle_of_the_write_leaves_nothing_behind(users, monkeypatch):
    """The import's own thread fails while a statement is being sent (on PostgreSQL, while the
    COPY stream has a statement open): the error comes out, nothing is written, and the
    connection works afterwards."""
    before = _registry()
    calls = {"n": 0}
    real = service.encryptor

    def failing_encryptor():
        encrypt = real()

        def encrypt_or_fail(canonical):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk on fire")
            return encrypt(canonical)

        return encrypt_or_fail

    monkeypatch.setattr(service, "encryptor", failing_encryptor)
    with pytest.raises(RuntimeError, match="disk on fire"):
        roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)

    assert _registry() == before
    monkeypatch.setattr(service, "encryptor", real)
    again = roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert again.applied and again.members.created == 7


def test_a_statement_the_database_refuses_leaves_nothing_behind(users, monkeypatch):
    """The database refuses a row mid-write (on PostgreSQL, inside the COPY stream's thread):
    the database's error comes out in the import's thread and the whole import is undone."""
    before = _registry()
    real_build = bulk.BulkTable._builder

    def bad_builder(self, attnames):
        build = real_build(self, attnames)
        if self.model is not MemberDisease:
            return build

        def poisoned(values):
            params = build(values)
            params[attnames.index("member_id")] = "not a number"
            return params

        return poisoned

    monkeypatch.setattr(bulk.BulkTable, "_builder", bad_builder)
    with pytest.raises(Exception) as caught:
        roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert not isinstance(caught.value, AssertionError)

    assert _registry() == before
    monkeypatch.undo()
    again = roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert again.applied and again.members.created == 7 and MemberDisease.objects.exists()


def test_registry_tables_are_locked_against_other_writers_while_the_import_writes(
    users, monkeypatch
):
    if not _on_postgresql():
        pytest.skip("SQLite's write transaction locks the whole database already")
    seen = {}
    real_write = service.RosterImport.write

    def write(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relation::regclass::text FROM pg_locks "
                "WHERE pid = pg_backend_pid() AND mode = 'ShareRowExclusiveLock'"
            )
            seen["locked"] = {row[0] for row in cursor.fetchall()}
        return real_write(self)

    monkeypatch.setattr(service.RosterImport, "write", write)
    assert roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff).applied
    assert seen["locked"] >= {
        model._meta.db_table for model in (Household, Member, MemberDisease, SpecialCard)
    }


def test_statistics_are_refreshed_after_a_large_import_commits(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(service, "ANALYZE_AFTER", 5)
    queued = []
    monkeypatch.setattr(tasks.analyze_registry, "delay", lambda: queued.append(True))
    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert result.applied
    assert queued == ([True] if _on_postgresql() else [])


def test_small_imports_leave_the_statistics_to_autovacuum(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.analyze_registry, "delay", lambda: queued.append(True))
    with django_capture_on_commit_callbacks(execute=True):
        assert roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff).applied
    assert queued == []


def test_analyze_registry_refreshes_the_planner_statistics(users):
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    tasks.analyze_registry()  # a no-op on SQLite
    if _on_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [Member._meta.db_table],
            )
            assert cursor.fetchone()[0] == 7


def test_audit_rows_keep_their_author_when_the_account_is_removed(users, tree):
    author = get_user_model().objects.create_user("leaving", password="x")
    household = HouseholdFactory(village=tree.village)
    entry = audit.record(
        action=AuditAction.UPDATE, instance=household, by=author, message="before leaving"
    )
    author.delete()

    entry = AuditLog.objects.get(pk=entry.pk)
    assert entry.actor_id is not None and entry.actor_name == "leaving"
    assert AuditLog.objects.select_related("actor").get(pk=entry.pk).actor is None


@pytest.fixture
def sent():
    """The ``member_ids`` of every ``members_changed`` the test's writers send."""
    signals: list[list[int]] = []

    def receiver(sender, member_ids, **kwargs):
        signals.append(list(member_ids))

    members_changed.connect(receiver, weak=False, dispatch_uid="test-import-bulk")
    yield signals
    members_changed.disconnect(dispatch_uid="test-import-bulk")


def test_the_import_says_which_members_it_created_or_changed(users, sent):
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert sent == [sorted(Member.objects.values_list("pk", flat=True))]

    sent.clear()
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert sent == []  # nothing changed

    rows = good_rows_compact()
    rows[2] = [*rows[2][:9], "13900009999", *rows[2][10:]]  # 张三's phone
    roster_import(
        source=xlsx_bytes(rows, header=PLAIN_HEADER, messy=False),
        filename="a.xlsx",
        by=users.county_staff,
    )
    assert sent == [[Member.objects.by_id_number(ID.a).get().pk]]


def test_a_household_moved_to_another_village_changes_all_its_members(users, tree, sent):
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    sent.clear()
    household = Household.objects.get(number=H1)
    everyone = sorted(household.members.values_list("pk", flat=True))
    assert len(everyone) == 3

    # The head's row alone, in another village: the two members the file leaves out move too.
    head = [*PLACE2, *good_rows_compact()[2][3:]]
    roster_import(
        source=xlsx_bytes({2: head}, header=PLAIN_HEADER, messy=False),
        filename="b.xlsx",
        by=users.county_staff,
    )
    household.refresh_from_db()
    assert household.village.name.startswith("丙间")
    assert sent == [everyone]


def test_a_member_created_with_the_household_finds_the_import_in_their_history(
    users, tree, client_as
):
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    zhang = Member.objects.by_id_number(ID.a).get()
    other = Member.objects.exclude(household=zhang.household).first()
    household_row = AuditLog.objects.get(
        target_type="households.household", target_id=str(zhang.household_id)
    )

    assert household_row in member_history(zhang, users.county_staff)
    assert household_row not in member_history(other, users.county_staff)
    # A household created by hand lists nobody: its members' histories do not show it.
    handmade = HouseholdFactory(village=tree.village)
    audit.record(action=AuditAction.CREATE, instance=handmade, by=users.county_staff)
    member = services.member_create(
        household=handmade,
        by=users.county_staff,
        name="手工",
        id_number=ID.h,
    )
    assert [e.target_type for e in member_history(member, users.county_staff)] == [
        "households.member"
    ]

    # The note is written in the importer's language (here the portal's default).
    page = client_as(users.county_staff).get(reverse("households:member-detail", args=[zhang.pk]))
    assert "随户导入 3 名成员" in page.content.decode()


def test_records_forget_their_author_when_the_account_is_removed(users):
    author = users.county_staff
    assert roster_import(source=good_xlsx(), filename="a.xlsx", by=author).applied
    assert Member.objects.filter(created_by=author).count() == 7

    author.delete()  # the ORM nulls created_by (no database constraint does it)
    assert not Member.objects.filter(created_by_id__isnull=False).exists()
    assert not Household.objects.filter(created_by_id__isnull=False).exists()
