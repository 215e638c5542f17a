"""Campaign set-up after creation: edit and delete campaigns, phases, items, work teams
(their members and villages); deletes refused with the reason while marks refer to them."""

import datetime as dt

import pytest
from django.urls import reverse

from screening import selectors, services
from screening.choices import PhaseKind
from screening.models import Campaign, CampaignPhase, HouseholdItemState, WorkTeam
from tests.screening.factories import HouseholdFactory, MemberFactory, make_campaign

pytestmark = pytest.mark.django_db
START = dt.date(2024, 4, 1)
DURING = dt.date(2024, 4, 10)


@pytest.fixture
def campaign(tree, users, catalogue):
    return make_campaign(tree.county, start=START)


def _edit_data(campaign, **changes):
    data = {
        "name": campaign.name,
        "target": campaign.target,
        "mobilise_start": "2024-04-01",
        "mobilise_end": "2024-04-02",
        "implement_start": "2024-04-02",
        "implement_end": "2024-04-20",
        "summarise_start": "2024-04-21",
        "summarise_end": "2024-04-30",
    }
    data.update(changes)
    return data


def test_edit_campaign_phases_and_window(campaign, users, client_as, tree):
    member = MemberFactory(household=HouseholdFactory(village=tree.village, illness_caused=True))
    services.screening_record(
        member=member,
        screened_on=dt.date(2024, 5, 5),
        systolic=120,
        diastolic=80,
        by=users.village_doctor,
    )
    assert not HouseholdItemState.objects.exists()  # outside the window
    client = client_as(users.county_staff)
    page = client.get(reverse("screening:campaign-edit", args=[campaign.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["implement_end"] == dt.date(2024, 4, 20)
    # Remove the summary phase and stretch the implementation to May: the window follows and
    # the screening of 5 May now counts.
    data = _edit_data(
        campaign, name="新名称", implement_end="2024-05-10", summarise_start="", summarise_end=""
    )
    response = client.post(reverse("screening:campaign-edit", args=[campaign.pk]), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "新名称" and campaign.ends_on == dt.date(2024, 5, 10)
    assert set(CampaignPhase.objects.filter(campaign=campaign).values_list("kind", flat=True)) == {
        PhaseKind.MOBILISE,
        PhaseKind.IMPLEMENT,
    }
    assert HouseholdItemState.objects.filter(campaign=campaign).count() == 1
    # Half a phase is refused with the field named; the implementation phase is required.
    response = client.post(
        reverse("screening:campaign-edit", args=[campaign.pk]),
        _edit_data(campaign, summarise_end=""),
    )
    assert response.status_code == 200 and "summarise_end" in response.context["form"].errors
    response = client.post(
        reverse("screening:campaign-edit", args=[campaign.pk]),
        _edit_data(campaign, implement_start="", implement_end=""),
    )
    assert response.status_code == 200


def test_items_add_edit_delete_and_protected(campaign, users, client_as, tree):
    client = client_as(users.county_staff)
    response = client.post(
        reverse("screening:campaignitem-new", args=[campaign.pk]),
        {"name": "一次健康体检", "source": "checkup"},
    )
    assert response.status_code == 302
    item = campaign.items.get(name="一次健康体检")
    assert item.order == 6
    response = client.post(
        reverse("screening:campaignitem-edit", args=[campaign.pk, item.pk]),
        {"name": "一次免费体检", "source": "checkup"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "一次免费体检"
    # A duplicate name is refused.
    response = client.post(
        reverse("screening:campaignitem-edit", args=[campaign.pk, item.pk]),
        {"name": "赠送一套健康手册", "source": "checkup"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    # An item a team marked for a household cannot go; an unused one can.
    handbook = campaign.items.get(order=1)
    household = HouseholdFactory(village=tree.village, illness_caused=True)
    services.household_item_mark(
        campaign=campaign,
        household=household,
        item=handbook,
        done_on=DURING,
        by=users.village_doctor,
    )
    response = client.post(
        reverse("screening:campaignitem-delete", args=[campaign.pk, handbook.pk]), follow=True
    )
    assert campaign.items.filter(pk=handbook.pk).exists()
    assert "其他记录仍在引用" in response.content.decode() or "refer" in response.content.decode()
    response = client.post(reverse("screening:campaignitem-delete", args=[campaign.pk, item.pk]))
    assert response.status_code == 302 and not campaign.items.filter(pk=item.pk).exists()
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert len(progress.items) == 5 and progress.total.done[0] == 1


def test_work_team_edit_members_villages_and_delete(campaign, users, client_as, tree):
    team = services.work_team_save(
        campaign=campaign,
        name="县医院工作队",
        unit_name="元谋县人民医院",
        villages=[tree.village],
        by=users.county_staff,
    )
    client = client_as(users.county_staff)
    url = reverse("screening:workteam-edit", args=[campaign.pk, team.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["villages"] == [tree.village]
    response = client.post(
        url,
        {
            "name": "县医院第一工作队",
            "unit_name": "元谋县人民医院",
            "phone": "0878-1234567",
            "villages": [tree.village.code, tree.village2.code],
            "members": [users.township_doctor.pk],
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "县医院第一工作队"
    assert set(team.villages.values_list("code", flat=True)) == {
        tree.village.code,
        tree.village2.code,
    }
    assert list(team.members.all()) == [users.township_doctor]
    response = client.post(reverse("screening:workteam-delete", args=[campaign.pk, team.pk]))
    assert response.status_code == 302 and not WorkTeam.objects.filter(pk=team.pk).exists()


def test_campaign_delete_protected_by_marks_page_and_api(campaign, users, client_as, api_as, tree):
    household = HouseholdFactory(village=tree.village, illness_caused=True)
    mark = services.household_item_mark(
        campaign=campaign,
        household=household,
        item=campaign.items.get(order=1),
        done_on=DURING,
        by=users.village_doctor,
    )
    client = client_as(users.county_staff)
    response = client.post(reverse("screening:campaign-delete", args=[campaign.pk]), follow=True)
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert response.redirect_chain[-1][0] == reverse("screening:campaign-edit", args=[campaign.pk])
    api = api_as(users.county_staff)
    response = api.delete(reverse("campaign-detail", args=[campaign.pk]))
    assert response.status_code == 409 and "detail" in response.json()
    # Not county staff: 403; then, without marks, the delete goes through.
    assert (
        api_as(users.township_doctor)
        .delete(reverse("campaign-detail", args=[campaign.pk]))
        .status_code
        == 403
    )
    services.household_item_unmark(mark=mark, by=users.county_staff)
    api = api_as(users.county_staff)
    assert api.delete(reverse("campaign-detail", args=[campaign.pk])).status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_set_up_edits_are_for_county_staff_in_scope(campaign, users, client_as):
    for role, expected in (("township_doctor", 403), ("other_county_staff", 404)):
        client = client_as(getattr(users, role))
        for name, args in (
            ("screening:campaign-edit", [campaign.pk]),
            ("screening:campaignitem-new", [campaign.pk]),
        ):
            assert client.get(reverse(name, args=args)).status_code == expected, (role, name)
        response = client.post(reverse("screening:campaign-delete", args=[campaign.pk]))
        assert response.status_code == expected, role
    assert Campaign.objects.filter(pk=campaign.pk).exists()
