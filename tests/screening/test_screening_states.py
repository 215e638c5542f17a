"""The derived five-ones item states: every writer keeps them exact in its transaction, the
rebuild command recomputes and checks them, the household page links their evidence."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from contracts import services as contract_services
from households import services as household_services
from screening import selectors, services
from screening.models import HouseholdItemState, Prescription
from screening.states import campaign_state_differences
from tests.screening.factories import HouseholdFactory, MemberFactory, make_campaign

pytestmark = pytest.mark.django_db
START = dt.date(2024, 4, 1)
DURING = dt.date(2024, 4, 10)


@pytest.fixture
def setup(tree, users, team, catalogue):
    campaign = make_campaign(tree.county, start=START)
    households = [
        HouseholdFactory(village=tree.village, illness_caused=True),
        HouseholdFactory(village=tree.village, illness_caused=True),
    ]
    members = [MemberFactory(household=h) for h in households]
    items = {i.source if i.source != "manual" else "handbook": i for i in campaign.items.all()}
    return campaign, households, members, items


def _state(household, item):
    return HouseholdItemState.objects.filter(household=household, item=item).first()


def _exact(campaign):
    assert campaign_state_differences(campaign) == (set(), set())


def test_screening_prescription_and_mark_write_their_state(setup, users):
    campaign, households, members, items = setup
    assert not HouseholdItemState.objects.exists()
    screening = services.screening_record(
        member=members[0], screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    state = _state(households[0], items["screening"])
    assert (state.screening_id, state.done_on, state.done_by) == (
        screening.pk,
        DURING,
        users.village_doctor,
    )
    assert state.village == households[0].village_id
    issued = services.prescription_issue(
        member=members[0],
        prescription=Prescription.objects.get(disease__code="t2dm"),
        issued_on=DURING,
        by=users.village_doctor,
    )
    assert _state(households[0], items["prescription"]).prescription_id == issued.pk
    mark = services.household_item_mark(
        campaign=campaign,
        household=households[1],
        item=items["handbook"],
        done_on=DURING,
        evidence="健康手册签收表",
        by=users.village_doctor,
    )
    state = _state(households[1], items["handbook"])
    assert (state.mark_id, state.evidence, state.source) == (mark.pk, "健康手册签收表", "manual")
    services.household_item_unmark(mark=mark, by=users.county_staff)
    assert _state(households[1], items["handbook"]) is None
    _exact(campaign)


def test_contract_sign_and_terminate_through_the_contracts_services(setup, users, team):
    campaign, households, members, items = setup
    contract = contract_services.contract_sign(
        member=members[0],
        team=team,
        doctor=users.township_doctor,
        signed_on=dt.date(2024, 4, 5),
        by=users.township_doctor,
    )
    state = _state(households[0], items["contract"])
    assert (state.contract_id, state.done_on) == (contract.pk, dt.date(2024, 4, 5))
    # Ended before the campaign's window closed but after it opened: still in effect on a day.
    contract_services.contract_terminate(
        contract=contract, reason="moved", terminated_on=dt.date(2024, 4, 6), by=users.county_staff
    )
    assert _state(households[0], items["contract"]) is not None
    _exact(campaign)


def test_contacts_set_and_cleared_through_the_registry(setup, users):
    campaign, households, _members, items = setup
    household_services.household_set_contacts(
        household=households[0],
        contacts=[{"kind": "village_doctor", "name": "张医生", "phone": "13800000000"}],
        by=users.county_staff,
    )
    state = _state(households[0], items["contacts"])
    assert "13800000000" in state.evidence
    household_services.household_set_contacts(
        household=households[0], contacts=[], by=users.county_staff
    )
    assert _state(households[0], items["contacts"]) is None
    _exact(campaign)


def test_a_member_moving_takes_the_screening_along(setup, users):
    campaign, households, members, items = setup
    services.screening_record(
        member=members[0], screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    assert _state(households[0], items["screening"]) is not None
    household_services.member_update(
        member=members[0], household=households[1], by=users.county_staff
    )
    assert _state(households[0], items["screening"]) is None
    assert _state(households[1], items["screening"]).screening.member == members[0]
    _exact(campaign)


def test_rebuild_command_checks_and_repairs(setup, users, capsys):
    campaign, households, members, items = setup
    services.screening_record(
        member=members[1], screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    call_command("rebuild_campaign_states", "--check")
    HouseholdItemState.objects.all().delete()
    with pytest.raises(CommandError, match="1 item states differ"):
        call_command("rebuild_campaign_states", "--check", "--campaign", str(campaign.pk))
    call_command("rebuild_campaign_states", "--campaign", str(campaign.pk))
    assert "1 item states" in capsys.readouterr().out
    _exact(campaign)
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.done == [0, 1, 0, 0, 0]


def test_rebuild_task(setup, users):
    from screening.tasks import rebuild_states_task

    campaign, households, members, _items = setup
    services.screening_record(
        member=members[0], screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    HouseholdItemState.objects.all().delete()
    assert rebuild_states_task(campaign.pk) == 1
    assert rebuild_states_task(0) == 0


def test_household_page_links_the_evidence(setup, users, team, client_as):
    campaign, households, members, items = setup
    contract = contract_services.contract_sign(
        member=members[0],
        team=team,
        doctor=users.township_doctor,
        signed_on=dt.date(2024, 4, 5),
        by=users.township_doctor,
    )
    issued = services.prescription_issue(
        member=members[0],
        prescription=Prescription.objects.get(disease__code="t2dm"),
        issued_on=DURING,
        by=users.village_doctor,
    )
    response = client_as(users.township_doctor).get(
        reverse("screening:campaign-households", args=[campaign.pk]),
        {"village": households[0].village_id},
    )
    page = response.content.decode()
    assert reverse("contracts:contract-detail", args=[contract.pk]) in page
    assert reverse("screening:prescription-pdf", args=["member", issued.member_id]) in page


def test_api_household_states_give_the_record_link(setup, users, team, api_as):
    campaign, households, members, _items = setup
    contract = contract_services.contract_sign(
        member=members[0],
        team=team,
        doctor=users.township_doctor,
        signed_on=dt.date(2024, 4, 5),
        by=users.township_doctor,
    )
    rows = api_as(users.county_staff).get(f"/api/v1/campaigns/{campaign.pk}/households/").json()
    first = next(r for r in rows["results"] if r["household"] == households[0].pk)
    contract_item = next(i for i in first["items"] if i["record_url"])
    assert contract_item["record_url"] == reverse("contracts:contract-detail", args=[contract.pk])
    assert contract_item["done_on"] == "2024-04-05"
