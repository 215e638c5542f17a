"""Schedules in bulk, the worklist and team figures: results and fixed query counts."""

import datetime as dt
import pickle

import pytest

from contracts import selectors
from contracts.models import FollowUp
from contracts.owed import refresh_owed
from households.choices import ContactKind
from households.models import Member
from tests.contracts.factories import (
    ContactFactory,
    ContractFactory,
    FollowUpFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 5, 15)


def patient(village, team, doctor, *, codes=("hypertension",), signed=dt.date(2024, 1, 1), **kw):
    member = MemberFactory(household=HouseholdFactory(village=village), **kw)
    for code in codes:
        add_disease(member, code)
    if signed is not None:
        ContractFactory(member=member, team=team, doctor=doctor, signed_on=signed)
    return member


def make_patients(n, tree, team, users, visited_every=3):
    members = []
    for i in range(n):
        member = patient(tree.village if i % 2 else tree.village2, team, users.village_doctor)
        if i % visited_every == 0:
            FollowUpFactory(member=member, visited_on=dt.date(2024, 2, 1 + i % 20))
        members.append(member)
    return members


def test_schedules_for_runs_four_queries_whatever_the_size(
    tree, team, users, django_assert_num_queries
):
    make_patients(3, tree, team, users)
    with django_assert_num_queries(4):
        small = selectors.schedules_for(
            Member.objects.all(), start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), today=TODAY
        )
    make_patients(30, tree, team, users)
    with django_assert_num_queries(4):
        big = selectors.schedules_for(
            Member.objects.all(), start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), today=TODAY
        )
    assert len(small) == 3 and len(big) == 33


def test_schedule_uses_diagnosis_dates_and_contracts(tree, team, users):
    member = patient(
        tree.village, team, users.village_doctor, codes=(), signed=dt.date(2024, 2, 20)
    )
    add_disease(member, "hypertension", diagnosed_on=dt.date(2024, 1, 5))
    add_disease(member, "chd", diagnosed_on=dt.date(2024, 4, 2))
    FollowUpFactory(member=member, visited_on=dt.date(2024, 4, 10))
    windows = selectors.member_schedule(member, year=2024, today=TODAY)
    got = [(w.per_year, w.start.month, w.status) for w in windows]
    # Q1 is owed (the contract began mid-quarter) and was visited only in April: late.
    assert got == [
        (4, 1, "late"),
        (1, 1, "done"),
        (4, 4, "done"),
        (4, 7, "upcoming"),
        (4, 10, "upcoming"),
    ]


def test_worklist_groups_by_village_and_sorts_by_days_overdue(tree, team, users):
    on_time = patient(tree.village, team, users.village_doctor, name="按时")
    FollowUpFactory(member=on_time, visited_on=dt.date(2024, 1, 20))
    FollowUpFactory(member=on_time, visited_on=dt.date(2024, 4, 20))
    missed_q1 = patient(tree.village, team, users.village_doctor, name="漏访")
    FollowUpFactory(member=missed_q1, visited_on=dt.date(2023, 12, 1))
    due_only = patient(
        tree.village, team, users.village_doctor, name="本季", signed=dt.date(2024, 4, 10)
    )
    ContactFactory(household=due_only.household, phone="13800000001")
    patient(tree.village2, team, users.village_doctor, name="丙间")
    patient(tree.other_township_village, team, users.village_doctor, name="外乡")
    patient(tree.village, team, users.village_doctor, name="未签", signed=None)

    work = selectors.worklist(users.township_doctor, today=TODAY)
    assert [g.village.code for g in work.groups] == [tree.village.code, tree.village2.code]
    names = [e.member.name for e in work.groups[0].entries]
    assert names == ["漏访", "本季"]
    first = work.groups[0].entries[0]
    assert first.days_overdue == (TODAY - dt.date(2024, 3, 31)).days
    assert [w.status for w in first.windows] == ["overdue", "due"]
    assert work.groups[0].entries[1].contacts[0].phone == "13800000001"
    assert work.groups[0].entries[1].days_overdue == 0

    village_work = selectors.worklist(users.village_doctor, today=TODAY)
    assert [g.village.code for g in village_work.groups] == [tree.village.code]
    only_overdue = selectors.worklist(users.village_doctor, today=TODAY, show="overdue")
    assert [e.member.name for e in only_overdue.groups[0].entries] == ["漏访"]
    by_name = selectors.worklist(users.village_doctor, today=TODAY, sort="name")
    assert {e.member.name for e in by_name.groups[0].entries} == {"漏访", "本季"}


def test_township_doctor_without_a_team_gets_the_township(tree, institutions, rules, users):
    from healthaid.choices import Role
    from healthaid.models import UserProfile
    from tests.healthaid.factories import UserFactory

    doctor = UserFactory(username="lone")
    UserProfile.objects.create(
        user=doctor,
        role=Role.TOWNSHIP_DOCTOR,
        region=tree.township,
        institution=institutions.township_centre,
    )
    villages, needs_team = selectors.worklist_villages(doctor)
    assert not needs_team
    assert {v.code for v in villages} == {tree.village.code, tree.village2.code}
    villages, needs_team = selectors.worklist_villages(users.county_staff)
    assert needs_team and villages == []


def test_worklist_query_count_is_fixed(tree, team, users, django_assert_num_queries, settings):
    settings.WORKLIST_CACHE_SECONDS = 0  # computed every time: its own statements
    make_patients(4, tree, team, users)
    selectors.worklist(users.township_doctor, today=TODAY)  # warm the profile cache
    with django_assert_num_queries(8):
        small = selectors.worklist(users.township_doctor, today=TODAY)
    for member in make_patients(40, tree, team, users):
        ContactFactory(household=member.household)
    with django_assert_num_queries(8):
        big = selectors.worklist(users.township_doctor, today=TODAY)
    assert small.count == 4 - 0 and big.count == 44


def test_the_worklist_is_cached_until_what_it_reads_changes(
    tree, team, users, django_assert_num_queries
):
    doctor = users.township_doctor
    make_patients(3, tree, team, users)
    assert selectors.worklist(doctor, today=TODAY).count == 3
    with django_assert_num_queries(0):
        assert selectors.worklist(doctor, today=TODAY).count == 3
    # Another day, sort or page is another worklist.
    with django_assert_num_queries(8):
        selectors.worklist(doctor, today=TODAY + dt.timedelta(days=1))
    with django_assert_num_queries(8):
        selectors.worklist(doctor, today=TODAY, sort="name")

    (member,) = make_patients(1, tree, team, users)  # a contract and the registry
    assert selectors.worklist(doctor, today=TODAY).count == 4

    contact = ContactFactory(household=member.household)  # a contact written around services
    entry = next(
        e
        for g in selectors.worklist(doctor, today=TODAY).groups
        for e in g.entries
        if e.member.pk == member.pk
    )
    assert [(c.name, c.phone) for c in entry.contacts] == [(contact.name, contact.phone)]

    team.villages.remove(tree.village)  # the team's villages
    assert {g.village.code for g in selectors.worklist(doctor, today=TODAY).groups} <= {
        tree.village2.code
    }


def test_team_summary(tree, team, users):
    make_patients(6, tree, team, users, visited_every=2)
    MemberFactory(household=HouseholdFactory(village=tree.village))  # not contracted
    FollowUp.objects.update(visited_on=dt.date(2024, 4, 3))
    refresh_owed(FollowUp.objects.values_list("member_id", flat=True))
    summary = selectors.team_summary(team, users.county_staff, today=TODAY)
    assert summary.target == 7
    assert summary.contracted == 6
    assert (summary.windows_due, summary.windows_done) == (6, 3)
    assert summary.quarter == (dt.date(2024, 4, 1), dt.date(2024, 6, 30))


def random_registry(rng, tree, team, other_team, users, codes, people=60, villages=None):
    """Members with random diseases (some diagnosed mid-year), contracts starting and ending
    mid-window, terminations, renewals to another team, and visits early, on the edges and
    late; in 元谋县's three villages of ``tree`` unless ``villages`` says where."""
    villages = villages or [tree.village, tree.village2, tree.other_township_village]
    for _ in range(people):
        member = MemberFactory(
            household=HouseholdFactory(village=rng.choice(villages)),
            birth_date=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000)),
            pregnant=rng.random() < 0.05,
        )
        for code in rng.sample(codes, rng.randint(1, min(3, len(codes)))):
            diagnosed = None
            if rng.random() < 0.4:
                diagnosed = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
            add_disease(member, code, diagnosed_on=diagnosed)
        if rng.random() < 0.1:
            continue  # never contracted
        signed = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 600))
        first = ContractFactory(
            member=member,
            team=rng.choice([team, other_team]),
            doctor=users.village_doctor,
            signed_on=signed,
            status="expired",
        )
        if rng.random() < 0.3:
            first.terminated_on = signed + dt.timedelta(days=rng.randint(0, 200))
            first.save()
            refresh_owed([member.pk])
        elif rng.random() < 0.6:
            ContractFactory(
                member=member,
                team=rng.choice([team, other_team]),
                doctor=other_team.leader,
                signed_on=first.valid_to + dt.timedelta(days=rng.randint(-40, 40)),
            )
        for _visit in range(rng.randint(0, 7)):
            FollowUpFactory(
                member=member,
                visited_on=dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 600)),
            )


PERIODS = [
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2024, 8, 20)),
    (dt.date(2023, 6, 15), dt.date(2024, 3, 31), dt.date(2025, 1, 1)),
    (dt.date(2024, 4, 1), dt.date(2024, 6, 30), dt.date(2024, 6, 30)),
    (dt.date(2024, 2, 10), dt.date(2024, 2, 10), dt.date(2024, 2, 10)),
]


def assert_same_completion(area):
    from contracts.selectors import completion_counts, completion_counts_in_memory

    members = area.members()
    for start, end, today in PERIODS:
        in_db = completion_counts(area, start=start, end=end, today=today)
        in_memory = completion_counts_in_memory(members, start=start, end=end, today=today)
        assert in_db.due > 0
        assert (in_db.due, in_db.done) == (in_memory.due, in_memory.done)
        assert dict(in_db.by_village) == {k: v for k, v in in_memory.by_village.items() if v[0]}
        assert dict(in_db.by_team) == dict(in_memory.by_team)
        assert dict(in_db.by_disease) == dict(in_memory.by_disease)


def test_completion_in_the_database_matches_the_schedule_rules(tree, team, other_team, users):
    """The SQL aggregate and the per-member reference agree on random data with every edge:
    diagnoses mid-year, contracts starting and ending mid-window, terminations, renewals to
    another team, several diseases, visits early, on the edges and late."""
    import random

    codes = ["hypertension", "t2dm", "chd", "copd", "tb", "cancer_outpatient"]
    random_registry(random.Random(20240515), tree, team, other_team, users, codes)
    assert_same_completion(selectors.Area())


def test_completion_in_the_database_for_every_frequency(tree, team, other_team, users):
    """Rules of 1, 2, 3, 4, 6 and 12 visits a year (windows of 12, 6, 4, 3, 2 and 1 months),
    two diseases sharing a frequency, on random data: the SQL agrees with the reference."""
    import random

    from contracts.models import FollowUpRule
    from households.models import Disease

    frequencies = {
        "hypertension": 12,
        "t2dm": 6,
        "chd": 3,
        "copd": 2,
        "tb": 4,
        "cancer_outpatient": 1,
        "ra": 4,
    }
    for code, per_year in frequencies.items():
        FollowUpRule.objects.update_or_create(
            disease=Disease.objects.get(code=code), defaults={"visits_per_year": per_year}
        )
    random_registry(random.Random(77), tree, team, other_team, users, list(frequencies))
    assert_same_completion(selectors.Area())
    # A scope and a subset: the township's members only, and two villages.
    assert_same_completion(selectors.Area("532328101"))
    assert_same_completion(selectors.Area("5323", (tree.village.code, tree.village2.code)))


def test_contract_counts_match_a_per_member_reference(tree, team, other_team, users):
    """Each member once, in their village, under the team of their latest contract in
    effect in the period (by start, then team); key groups as ``key_group_q`` has them."""
    import random
    from collections import Counter

    from contracts.models import Contract
    from contracts.selectors import contract_counts, key_group_q

    random_registry(random.Random(9), tree, team, other_team, users, ["t2dm", "chd"], 80)
    members = Member.objects.all()
    for start, end, _today in PERIODS:
        tally = contract_counts(selectors.Area(), start=start, end=end)
        latest: dict[int, tuple] = {}
        for contract in Contract.objects.in_effect_between(start, end):
            key = (contract.valid_from, contract.team_id)
            if contract.member_id not in latest or key > latest[contract.member_id]:
                latest[contract.member_id] = key
        key_people = set(members.filter(key_group_q(end)).values_list("pk", flat=True))
        target, key_target = Counter(), Counter()
        signed, key_signed = Counter(), Counter()
        for pk, village in members.values_list("pk", "household__village_id"):
            target[village] += 1
            key_target[village] += pk in key_people
            if pk in latest:
                signed[village, latest[pk][1]] += 1
                key_signed[village, latest[pk][1]] += pk in key_people
        assert {v: c.target for v, c in tally.by_village.items()} == dict(target)
        assert {v: c.key_group_target for v, c in tally.by_village.items()} == dict(key_target)
        assert {k: c.contracted for k, c in tally.by_village_team.items()} == dict(signed)
        assert {k: c.key_group_contracted for k, c in tally.by_village_team.items()} == dict(
            key_signed
        )
        total = tally.total()
        assert total.contracted == len(latest)


def test_worklist_pages_and_village_filter(tree, team, users, django_assert_num_queries):
    for i in range(5):
        patient(tree.village if i < 3 else tree.village2, team, users.village_doctor)
    work = selectors.worklist(users.township_doctor, today=TODAY, per_page=2)
    assert (work.total, work.pages, work.page, work.count) == (5, 3, 1, 2)
    assert [(v.code, n) for v, n in work.village_counts] == [
        (tree.village.code, 3),
        (tree.village2.code, 2),
    ]
    last = selectors.worklist(users.township_doctor, today=TODAY, per_page=2, page=9)
    assert (last.page, last.count) == (3, 1)
    assert last.groups[0].village == tree.village2
    only = selectors.worklist(users.township_doctor, today=TODAY, village=tree.village2.code)
    assert only.total == 2 and only.village == tree.village2
    assert only.due == 5  # the counts cover every village


@pytest.mark.parametrize("seed", [3, 11])
def test_worklist_matches_the_schedule_rules(tree, team, other_team, users, seed):
    """The worklist (from the derived rows) against every member's schedule by the rules of
    ``contracts.schedules``: the same people, windows, statuses, diseases, days overdue and
    counts, on random data, on days at window edges."""
    import random

    from contracts.models import FollowUpRule
    from households.models import Disease

    FollowUpRule.objects.update_or_create(
        disease=Disease.objects.get(code="copd"), defaults={"visits_per_year": 2}
    )
    codes = ["hypertension", "t2dm", "chd", "copd", "tb"]
    random_registry(random.Random(seed), tree, team, other_team, users, codes, people=50)
    for today in [dt.date(2024, 3, 31), dt.date(2024, 4, 1), dt.date(2024, 8, 20), TODAY]:
        start, end = selectors.rolling_year(today)
        expected = {}
        for member_id, schedule in selectors.schedules_for(
            Member.objects.filter(household__village__in=[tree.village, tree.village2]),
            start=start,
            end=end,
            today=today,
        ).items():
            needing = [w for w in schedule.windows if w.needs_visit]
            if needing:
                expected[member_id] = [
                    (w.start, w.end, w.per_year, w.status, w.disease_ids) for w in needing
                ]
        work = selectors.worklist(users.township_doctor, today=today, per_page=1000)
        got = {
            entry.member.pk: [
                (w.start, w.end, w.per_year, w.status, w.disease_ids) for w in entry.windows
            ]
            for group in work.groups
            for entry in group.entries
        }
        assert got == expected
        assert work.due == sum(w[3] == "due" for ws in expected.values() for w in ws)
        assert work.overdue == sum(w[3] == "overdue" for ws in expected.values() for w in ws)
        for group in work.groups:
            for entry in group.entries:
                assert entry.days_overdue == max(
                    (today - w[1]).days if w[3] == "overdue" else 0 for w in got[entry.member.pk]
                )


def test_the_cached_worklist_holds_plain_values(tree, team, users):
    """The worklist is cached and loaded on every view: its people and contacts are plain
    values (no member, household or contact instances, no encrypted number)."""
    (member,) = make_patients(1, tree, team, users)
    ContactFactory(
        household=member.household, kind=ContactKind.OTHER, name="王小明", phone="13900000000"
    )
    work = selectors.worklist(users.township_doctor, today=TODAY)
    (entry,) = [e for g in work.groups for e in g.entries]
    assert entry.member == selectors.WorklistMember(
        member.pk,
        member.name,
        member.sex,
        member.birth_date,
        member.household.number,
        member.phone,
    )
    assert entry.member.age_on(TODAY) == member.age_on(TODAY)
    assert entry.contacts == [selectors.WorklistContact(ContactKind.OTHER, "王小明", "13900000000")]
    assert b"households.models" not in pickle.dumps(work)
