"""The five-ones campaign: items complete themselves from the portal's records, marks by
hand, progress by area and team, overdue after the implementation phase, the eight-ones
variant, the summary draft as xlsx, the API's household states and mark-item."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from healthaid.models import Job
from households.models import HouseholdContact
from screening import selectors, services
from screening.models import Prescription
from screening.tasks import export_task
from tests.screening.factories import (
    ContactFactory,
    ContractFactory,
    HouseholdFactory,
    MemberFactory,
    make_campaign,
)

pytestmark = pytest.mark.django_db
START = dt.date(2024, 4, 1)
IMPLEMENT_END = dt.date(2024, 4, 20)
DURING = dt.date(2024, 4, 10)


@pytest.fixture
def setup(tree, users, team, catalogue):
    campaign = make_campaign(tree.county, start=START, implement_end=IMPLEMENT_END)
    work_team = services.work_team_save(
        campaign=campaign,
        name="县医院工作队",
        unit_name="元谋县人民医院",
        villages=[tree.village],
        members=[users.township_doctor],
        by=users.county_staff,
    )
    other_team = services.work_team_save(
        campaign=campaign,
        name="黄瓜园工作队",
        unit_name="黄瓜园镇卫生院",
        villages=[tree.other_township_village],
        by=users.county_staff,
    )
    households = [
        HouseholdFactory(village=tree.village, illness_caused=True),
        HouseholdFactory(village=tree.village, illness_returned=True),
        HouseholdFactory(village=tree.other_township_village, illness_caused=True),
    ]
    # Not targeted: poor for another reason.
    HouseholdFactory(village=tree.village)
    members = [MemberFactory(household=h) for h in households]
    return campaign, work_team, other_team, households, members


def _items(campaign):
    return {
        item.source if item.source != "manual" else item.name: item for item in campaign.items.all()
    }


def test_items_complete_from_existing_records(setup, users, team):
    campaign, work_team, _other, households, members = setup
    first = members[0]
    services.screening_record(
        member=first, screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    services.prescription_issue(
        member=first,
        prescription=Prescription.objects.get(disease__code="t2dm"),
        issued_on=DURING,
        by=users.village_doctor,
    )
    ContractFactory(
        member=first, team=team, doctor=users.township_doctor, signed_on=dt.date(2024, 1, 5)
    )
    ContactFactory(household=households[0])
    # A screening outside the window does not count.
    services.screening_record(
        member=members[1],
        screened_on=dt.date(2024, 3, 1),
        systolic=120,
        diastolic=80,
        by=users.village_doctor,
    )
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.targeted == 3
    # handbook (manual), screening, prescription, contract, contacts
    assert progress.total.done == [0, 1, 1, 1, 1]
    assert progress.total.all_done == 0
    # Each automatic item shows the record that completes it, linked where it has a page.
    (state,) = selectors.household_states(campaign, users.county_staff, [households[0]])
    records = {item.source: record for item, _done, _mark, record in state.states}
    assert records["manual"] is None
    assert "2024-04-10" in records["screening"].text
    assert records["prescription"].url.endswith(f"/print/member/{first.pk}.pdf")
    assert records["contract"].url == reverse(
        "contracts:contract-detail", args=[first.contracts.get().pk]
    )
    handbook = campaign.items.get(order=1)
    services.household_item_mark(
        campaign=campaign,
        household=households[0],
        item=handbook,
        done_on=DURING,
        evidence="",
        by=users.village_doctor,
    )
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.done == [1, 1, 1, 1, 1]
    assert progress.total.all_done == 1
    assert str(progress.total.all_rate) == "33.33"
    assert progress.total.overdue == 0  # the implementation phase is still running


def test_overdue_after_the_implementation_phase(setup, users):
    campaign, work_team, other_team, households, members = setup
    on_last_day = selectors.campaign_progress(campaign, users.county_staff, today=IMPLEMENT_END)
    assert not on_last_day.is_overdue and on_last_day.total.overdue == 0
    after = selectors.campaign_progress(
        campaign, users.county_staff, today=IMPLEMENT_END + dt.timedelta(days=1)
    )
    assert after.overdue_since == IMPLEMENT_END + dt.timedelta(days=1)
    assert after.total.overdue == 3
    by_team = {row.key.pk: row.tally.overdue for row in after.teams}
    assert by_team == {work_team.pk: 2, other_team.pk: 1}
    rows = selectors.overdue_households(after, work_team)
    assert {r.household.pk for r in rows} == {households[0].pk, households[1].pk}
    assert rows[0].missing[0] == "赠送一套健康手册"


def test_marking_an_automatic_item_by_hand_needs_evidence(setup, users):
    campaign, _t, _o, households, _m = setup
    screening_item = campaign.items.get(source="screening")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.household_item_mark(
            campaign=campaign, household=households[0], item=screening_item, by=users.village_doctor
        )
    assert "evidence" in error.value.message_dict
    services.household_item_mark(
        campaign=campaign,
        household=households[0],
        item=screening_item,
        evidence="纸质筛查登记表第3页",
        by=users.village_doctor,
    )
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.done[1] == 1


def test_eight_ones_campaign_counts_eight_items(tree, users, catalogue):
    campaign = make_campaign(tree.county, start=START, eight_ones=True)
    assert [i.name for i in campaign.items.all()][-3:] == [
        "开展一次健康体检",
        "建立一份健康档案",
        "开展一次政策宣讲",
    ]
    member = MemberFactory(household=HouseholdFactory(village=tree.village, illness_caused=True))
    services.check_up_record(member=member, checked_on=DURING, by=users.village_doctor)
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert len(progress.total.done) == 8 and progress.total.done[5] == 1


def test_progress_by_township_and_village(setup, users):
    campaign, *_ = setup
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert [(r.label, r.tally.targeted) for r in progress.townships] == [
        ("元马镇", 2),
        ("黄瓜园镇", 1),
    ]
    doctor = selectors.campaign_progress(campaign, users.village_doctor, today=DURING)
    assert doctor.total.targeted == 2  # 能禹村 only


def test_summary_xlsx_per_unit(setup, users, client_as):
    campaign, *_ = setup
    client = client_as(users.county_staff)
    started = client.post(
        reverse("screening:campaign-summary", args=[campaign.pk]), {"unit": "元谋县人民医院"}
    )
    assert started.status_code == 302
    job = Job.objects.get(uuid=started.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.kind == "screening.unit_summary" and job.status == "pending"
    export_task(job.pk)  # what the worker does once the request's transaction commits
    job.refresh_from_db()
    assert (job.status, job.progress, job.total) == ("succeeded", 3, 3)
    page = client.get(started.url)
    assert 'data-testid="export-download"' in page.content.decode()
    response = client.get(reverse("screening:export-file", args=[job.uuid]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["总结", "完成情况", "逾期户"]
    figures = book.worksheets[1]
    assert figures.cell(row=2, column=1).value == "县医院工作队"
    assert figures.cell(row=2, column=2).value == 2
    # Someone else's job is not theirs to read, however wide their scope.
    other = client_as(users.supervisor)
    assert other.get(reverse("screening:export-file", args=[job.uuid])).status_code == 404
    assert other.get(started.url).status_code == 404
    assert (
        client.post(
            reverse("screening:campaign-summary", args=[campaign.pk]), {"unit": "不存在"}
        ).status_code
        == 404
    )
    # A GET does not start anything.
    assert client.get(reverse("screening:campaign-summary", args=[campaign.pk])).status_code == 405


def test_api_household_states_and_mark_item(setup, users, api_as):
    campaign, _t, _o, households, members = setup
    ContactFactory(household=households[0])
    client = api_as(users.village_doctor)
    body = client.get(reverse("campaign-households", args=[campaign.pk])).json()
    assert body["count"] == 2
    first = next(r for r in body["results"] if r["household"] == households[0].pk)
    assert [i["done"] for i in first["items"]] == [False, False, False, False, True]
    handbook = campaign.items.get(order=1)
    response = client.post(
        reverse("campaign-mark-item", args=[campaign.pk]),
        {"household": households[0].pk, "item": handbook.pk, "done_on": "2024-04-05"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["items"][0] == {
        "item": handbook.pk,
        "name": "赠送一套健康手册",
        "done": True,
        "done_on": "2024-04-05",
        "evidence": "",
        "record": "",
        "record_url": "",
    }
    contacts = response.json()["items"][4]
    assert contacts["done"] and contacts["record"].endswith("13987811111")
    body = client.get(reverse("indicators-five-ones"), {"campaign": campaign.pk}).json()
    assert body["households_targeted"] == 2
    assert body["items"][0]["done"] == 1 and body["items"][0]["rate"] == "50.00"
    assert set(body) == {
        "households_targeted",
        "items",
        "all_five_done",
        "all_five_rate",
        "overdue",
    }


def test_contacts_count_only_when_present(setup, users):
    campaign, _t, _o, households, _m = setup
    contact = ContactFactory(household=households[1])
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.done[4] == 1
    HouseholdContact.objects.filter(pk=contact.pk).delete()
    progress = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert progress.total.done[4] == 0


def test_progress_cache_follows_every_change(setup, users, settings, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    settings.SCREENING_PROGRESS_CACHE_SECONDS = 600
    campaign, _t, _o, households, members = setup
    first = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    with django_assert_num_queries(0):
        again = selectors.campaign_progress(campaign, users.county_staff, today=DURING)
    assert again.total.done == first.total.done == [0, 0, 0, 0, 0]
    services.screening_record(
        member=members[0], screened_on=DURING, systolic=120, diastolic=80, by=users.village_doctor
    )
    assert (
        selectors.campaign_progress(campaign, users.county_staff, today=DURING).total.done[1] == 1
    )
    ContactFactory(household=households[1])  # a registry write outside this app's services
    assert (
        selectors.campaign_progress(campaign, users.county_staff, today=DURING).total.done[4] == 1
    )
    # Another scope is another entry.
    assert (
        selectors.campaign_progress(campaign, users.village_doctor, today=DURING).total.targeted
        == 2
    )
