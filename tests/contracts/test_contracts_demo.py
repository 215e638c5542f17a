"""The demo seed: teams even without households; contracts and visits for a few; idempotent."""

import datetime as dt

import pytest

from contracts import demo, owed
from contracts.models import Contract, ContractSpan, DoctorTeam, FollowUp
from households.models import Member
from tests.contracts.factories import HouseholdFactory, MemberFactory, add_disease

pytestmark = pytest.mark.django_db


def test_seed_with_no_households_makes_teams_only(tree, institutions, users, rules):
    context = {"villages": [tree.village, tree.village2, tree.other_township_village], "users": []}
    summary = demo.seed("small", context)
    assert "teams" in summary
    teams = DoctorTeam.objects.filter(institution=institutions.township_centre)
    # Two villages → two teams of 元马镇卫生院, one for each village: no village is covered twice.
    assert teams.count() == 2
    assert sorted(teams.values_list("villages", flat=True)) == sorted(
        [tree.village.code, tree.village2.code]
    )
    # The demo users join the teams of their township and village.
    assert teams.filter(members=users.township_doctor).exists()
    assert teams.filter(members=users.village_doctor, villages=tree.village).exists()
    assert not Contract.objects.exists()
    assert demo.seed("small", context) == "contracts already seeded; nothing added"


def test_seed_contracts_and_follow_ups_once(tree, institutions, users, rules):
    for i in range(60):
        member = MemberFactory(
            household=HouseholdFactory(village=tree.village),
            birth_date=dt.date(1950 + i % 50, 1, 1),
        )
        if i % 3 == 0:
            add_disease(member, "hypertension")
    context = {"villages": [tree.village, tree.village2], "users": []}
    demo.seed("small", context)
    contracted = Member.objects.filter(contracts__isnull=False).distinct().count()
    assert 40 <= contracted <= 58  # about 82%, key groups higher
    assert Contract.objects.filter(status="active").values("member").distinct().count() > 0
    visits = FollowUp.objects.count()
    assert visits > 0
    assert all(f.contract_id for f in FollowUp.objects.all())
    assert owed.drifted_members() == []  # the county figures' derived rows were built
    assert ContractSpan.objects.exists()
    before = (Contract.objects.count(), visits)
    demo.seed("small", context)
    assert (Contract.objects.count(), FollowUp.objects.count()) == before
