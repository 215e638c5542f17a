"""The figures' target rows (``contracts.models.TargetMember``): one a member, with the
household's village, the birth date and the day-independent key-group flag, kept by every
writer of the registry (``members_changed``, ``refresh_owed``) and by ``post_save`` of members,
households and diagnoses, so the target group of an area is read by a range of village codes
(issue #13) and still counts exactly the registry's people."""

import datetime as dt
import importlib

import pytest
from django.core.management import CommandError, call_command

from contracts import owed, selectors
from contracts.models import TargetMember
from healthaid.idnumbers import make_id_number
from households import services as registry
from households.models import Household, Member, MemberDisease
from tests.contracts.factories import HouseholdFactory, MemberFactory, disease

pytestmark = pytest.mark.django_db


def row(member):
    target = TargetMember.objects.get(member=member)
    return target.village, target.birth_date, target.key_person


def target_total(area=None):
    figures = selectors.contract_figures(
        area or selectors.Area(),
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        completion=False,
    )
    return figures.contracts.total()


def test_rows_follow_saves_made_around_the_services(tree):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    assert row(member) == (tree.village.code, dt.date(1960, 5, 1), False)
    member.pregnant = True
    member.save()
    assert row(member)[2] is True
    member.pregnant = False
    member.birth_date = dt.date(1950, 1, 2)
    member.save()
    assert row(member) == (tree.village.code, dt.date(1950, 1, 2), False)
    MemberDisease.objects.create(member=member, disease=disease("hypertension"))
    assert row(member)[2] is True  # a 4-a-year disease
    household = member.household
    household.village = tree.other_county_village
    household.save()
    assert row(member)[0] == tree.other_county_village.code
    assert owed.drifted_targets() == []
    member.delete()
    assert not TargetMember.objects.exists()


def test_rows_follow_the_registry_services(tree, users):
    by = users.county_staff
    household = registry.household_create(
        by=by, number="C53232810120900001", village=tree.village, address="能禹村1号"
    )
    member = registry.member_create(
        by=by,
        household=household,
        name="李梅",
        id_number=make_id_number("532328", dt.date(1980, 1, 1), 27),
        relation="head",
        diseases=["t2dm"],
    )
    assert row(member) == (tree.village.code, dt.date(1980, 1, 1), True)
    registry.member_set_diseases(member=member, diseases=["copd"], by=by)
    assert row(member)[2] is False  # removed through the service: members_changed
    registry.household_update(household=household, village=tree.village2, by=by)
    assert row(member)[0] == tree.village2.code
    assert owed.drifted_targets() == []
    assert target_total(selectors.Area(tree.village2.prefix)).target == 1
    registry.member_delete(member=member, by=by)
    assert not TargetMember.objects.exists()


def test_bulk_writes_call_refresh_owed_for_every_member(tree):
    """Writers that bypass ``save`` (the roster import, the demo) pass their members to
    ``refresh_owed``, as they do for the contract rows; the target rows come with it."""
    households = Household.objects.bulk_create(
        [Household(number=f"B{i:05d}", village=tree.village) for i in range(3)]
    )
    members = Member.objects.bulk_create(
        [
            Member(
                household=households[i % 3],
                name=f"人{i}",
                id_number_cipher="-",
                id_number_index=f"bulk-{i}",
                id_number_masked="*" * 18,
                sex="F",
                birth_date=dt.date(2020, 1, 1) if i % 2 else dt.date(1980, 1, 1),
            )
            for i in range(10)
        ]
    )
    assert target_total().target == 0
    owed.refresh_owed(member.pk for member in members)
    assert owed.drifted_targets() == []
    total = target_total()
    assert (total.target, total.key_group_target) == (10, 5)  # the 4-year-olds
    # Again: nothing changes, nothing is rewritten.
    owed.refresh_owed(member.pk for member in members)
    assert TargetMember.objects.count() == 10


def test_the_command_reports_and_repairs_drift_of_the_target_rows(tree, capsys):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    call_command("rebuild_contract_figures", "--check")
    TargetMember.objects.update(village=tree.village2.code)  # around the writers
    with pytest.raises(CommandError, match="1 members"):
        call_command("rebuild_contract_figures", "--check")
    TargetMember.objects.all().delete()
    with pytest.raises(CommandError, match="1 members"):
        call_command("rebuild_contract_figures", "--check")
    call_command("rebuild_contract_figures")
    assert "target rows of 1 people" in capsys.readouterr().out
    assert row(member)[0] == tree.village.code
    call_command("rebuild_contract_figures", "--check")


def test_migration_fills_the_target_rows_of_existing_members(tree):
    members = [MemberFactory(household=HouseholdFactory(village=tree.village)) for _ in range(3)]
    TargetMember.objects.all().delete()
    migration = importlib.import_module("contracts.migrations.0007_target_members")
    migration.fill(None, None)
    assert TargetMember.objects.count() == len(members)
    assert owed.drifted_targets() == []
