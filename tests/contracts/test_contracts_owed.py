"""The figures' derived rows (``contracts.owed``): every writer keeps them exact in its own
transaction, a call for members without contracts costs one query, the command and the
migration rebuild them, and a visit after the day asked for does not count."""

import datetime as dt
import importlib

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from contracts import owed, selectors, services
from contracts.admin import ContractAdmin, FollowUpAdmin
from contracts.importing import import_contracts, import_followups
from contracts.models import Contract, ContractSpan, FollowUp, OwedDiseaseSlots, OwedSlots
from households import services as registry
from households.models import Member
from tests.contracts.factories import (
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
    disease,
)
from tests.contracts.test_contracts_importing import (
    CONTRACT_HEADER,
    FOLLOWUP_HEADER,
    workbook,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 5, 15)


def assert_exact():
    """The stored rows are what a rebuild would write."""
    assert owed.drifted_members() == []


def figures(today=TODAY, area=None):
    return selectors.contract_figures(
        area or selectors.Area(), start=dt.date(today.year, 1, 1), end=today, today=today
    )


@pytest.fixture
def patient(tree):
    member = MemberFactory(household=HouseholdFactory(village=tree.village), name="王芳")
    add_disease(member, "hypertension")
    add_disease(member, "chd", diagnosed_on=dt.date(2024, 3, 1))
    return member


def test_contract_services_keep_the_rows_exact(tree, team, other_team, users, patient):
    by = users.county_staff
    household = HouseholdFactory(village=tree.village2)
    others = [MemberFactory(household=household) for _ in range(3)]
    add_disease(others[0], "t2dm")
    assert not ContractSpan.objects.exists()

    contract = services.contract_sign(
        member=patient,
        team=team,
        doctor=users.village_doctor,
        signed_on=dt.date(2023, 11, 20),
        by=by,
    )
    assert_exact()
    assert OwedSlots.objects.filter(member=patient, team=team).exists()
    services.household_sign(
        household=household,
        team=team,
        doctor=users.village_doctor,
        signed_on=dt.date(2024, 1, 10),
        by=by,
    )
    assert ContractSpan.objects.filter(member__in=others).count() == 3
    assert_exact()
    services.follow_up_record(member=patient, visited_on=dt.date(2024, 2, 3), by=by)
    assert_exact()
    renewal = services.contract_renew(
        contract=contract, team=other_team, doctor=other_team.leader, by=by
    )
    assert_exact()
    assert ContractSpan.objects.get(member=patient).team_id is None  # two teams
    services.contract_terminate(
        contract=renewal,
        terminated_on=renewal.valid_from + dt.timedelta(days=40),
        reason="迁出",
        by=by,
    )
    assert_exact()
    services.follow_up_rule_set(disease=disease("chd"), visits_per_year=4, by=by)
    assert_exact()
    services.follow_up_rule_set(disease=disease("hypertension"), visits_per_year=None, by=by)
    assert_exact()
    assert not OwedDiseaseSlots.objects.filter(disease=disease("hypertension")).exists()
    assert services.follow_up_rules_sync_from_catalogue() == 1  # hypertension's rule is back
    assert_exact()
    assert OwedDiseaseSlots.objects.filter(disease=disease("hypertension")).exists()
    assert services.contracts_expire(today=dt.date(2030, 1, 1), by=by) > 0
    assert_exact()


def test_imports_keep_the_rows_exact(tree, team, other_team, users, patient):
    users.village_doctor.first_name = "张秀英"
    users.village_doctor.save()
    number = patient.id_number
    sheet = workbook(
        CONTRACT_HEADER, [[1, "王芳", number, team.name, "张秀英", "2024-01-05", "基础包"]]
    )
    assert import_contracts(sheet, "签约.xlsx", by=users.county_staff, today=TODAY).applied
    assert_exact()
    assert ContractSpan.objects.get(member=patient).team_id == team.pk
    visits = workbook(
        FOLLOWUP_HEADER, [[number, "王芳", "2024-04-02", "高血压", "入户", 150, 95, None]]
    )
    assert import_followups(visits, "随访.xlsx", by=users.county_staff, today=TODAY).applied
    assert_exact()
    assert OwedSlots.objects.get(member=patient, year=2024, per_year=4).done == 1 << 3


def test_registry_writers_keep_the_rows_exact(tree, team, users, patient):
    by = users.county_staff
    ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    FollowUpFactory(member=patient, visited_on=dt.date(2024, 2, 1))
    assert_exact()
    registry.member_update(member=patient, pregnant=True, by=by)
    assert ContractSpan.objects.get(member=patient).key_person
    registry.member_set_diseases(member=patient, diseases=["copd"], by=by)
    assert_exact()
    assert set(OwedDiseaseSlots.objects.values_list("disease__code", flat=True)) == {"copd"}
    registry.member_update(member=patient, diseases=["t2dm"], by=by)
    assert_exact()
    moved_to = HouseholdFactory(village=tree.village2)
    registry.member_update(member=patient, household=moved_to, by=by)
    assert_exact()
    assert set(OwedSlots.objects.values_list("village", flat=True)) == {tree.village2.code}
    registry.household_update(household=moved_to, village=tree.other_township_village, by=by)
    assert_exact()
    assert ContractSpan.objects.get(member=patient).village == tree.other_township_village.code
    by_village = figures().contracts.by_village
    assert by_village[tree.other_township_village.code].contracted == 1
    assert tree.village2.code not in by_village


def test_admin_deletes_keep_the_rows_exact(tree, team, users, patient):
    request = RequestFactory().post("/")
    request.user = users.county_staff
    contract = ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    visits = [
        FollowUpFactory(member=patient, visited_on=dt.date(2024, month, 3)) for month in (2, 5)
    ]
    FollowUpAdmin(FollowUp, admin.site).delete_model(request, visits[0])
    assert_exact()
    FollowUpAdmin(FollowUp, admin.site).delete_queryset(request, FollowUp.objects.all())
    assert_exact()
    ContractAdmin(Contract, admin.site).delete_queryset(
        request, Contract.objects.filter(pk=contract.pk)
    )
    assert_exact()
    assert not ContractSpan.objects.exists() and not OwedSlots.objects.exists()


def test_members_without_contracts_cost_two_queries(
    tree, team, users, patient, django_assert_num_queries
):
    """The roster import calls it with every member it wrote: new members have no contract
    rows, only their target rows (one statement for all of them on PostgreSQL; on SQLite,
    whose RETURNING gives only new values, the rows' old villages are read first, for the
    counties whose figures versions move)."""
    targets = 1 if connection.vendor == "postgresql" else 2
    newcomers = [MemberFactory(household=patient.household).pk for _ in range(3)]
    with django_assert_num_queries(targets + 1):
        assert owed.refresh_owed([*newcomers, *range(10**9, 10**9 + 50_000)]) == 0
    ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    # The target rows; the look-up; three deletes; contracts, key-group diseases, people,
    # rules, ruled diseases, visits; three inserts: the same for one member or thousands.
    with django_assert_num_queries(targets + 13):
        assert owed.refresh_owed([patient.pk, *newcomers]) == 1


def test_rebuild_command_repairs_drift(tree, team, users, patient, capsys):
    ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    FollowUpFactory(member=patient, visited_on=dt.date(2024, 2, 1))
    call_command("rebuild_contract_figures", "--check")
    OwedSlots.objects.update(done=0)  # a change made around the services
    ContractSpan.objects.all().delete()
    with pytest.raises(CommandError, match="1 members"):
        call_command("rebuild_contract_figures", "--check")
    call_command("rebuild_contract_figures")
    assert "1 members" in capsys.readouterr().out
    assert_exact()
    call_command("rebuild_contract_figures", "--check")


def test_migration_fills_the_rows_of_existing_data(tree, team, users, patient):
    ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    FollowUpFactory(member=patient, visited_on=dt.date(2024, 2, 1))
    expected = owed.stored_rows()
    for model in (ContractSpan, OwedSlots, OwedDiseaseSlots):
        model.objects.all().delete()
    migration = importlib.import_module("contracts.migrations.0004_owed_slots")
    migration.fill(None, None)
    assert owed.stored_rows() == expected and expected.spans and expected.slots


def test_a_visit_after_the_day_asked_for_does_not_count(tree, team, users, patient):
    """Figures for a past day: the window holding that day is done only by a visit on or
    before it (earlier windows and later ones need no look-up)."""
    ContractFactory(member=patient, team=team, doctor=users.village_doctor)
    FollowUpFactory(member=patient, visited_on=dt.date(2024, 2, 1))
    FollowUpFactory(member=patient, visited_on=dt.date(2024, 5, 20))
    members = Member.objects.all()
    for today, done in [
        (dt.date(2024, 5, 15), 1 + 0 + 1),  # Q1 and the year (February); Q2 not yet
        (dt.date(2024, 5, 20), 1 + 1 + 1),
        (dt.date(2024, 2, 1), 1 + 1),  # Q1 and the year, on the visit's day
        (dt.date(2024, 1, 31), 0),
    ]:
        got = figures(today).completion
        reference = selectors.completion_counts_in_memory(
            members, start=dt.date(2024, 1, 1), end=today, today=today
        )
        assert (got.due, got.done) == (reference.due, reference.done)
        assert got.done == done
        assert dict(got.by_disease) == dict(reference.by_disease)


def test_a_team_without_villages_has_empty_figures(tree, institutions, users, patient):
    from tests.contracts.factories import DoctorTeamFactory

    empty = DoctorTeamFactory(institution=institutions.township_centre, name="空队")
    ContractFactory(member=patient, team=empty, doctor=users.village_doctor)
    summary = selectors.team_summary(empty, users.county_staff, today=TODAY)
    assert (summary.target, summary.contracted) == (0, 0)
    assert summary.windows_due == 2  # the quarter's window and the year's, wherever they live
    figures = selectors.contract_figures(selectors.Area("5323", ()), start=TODAY, end=TODAY)
    assert figures.contracts.total().target == 0
