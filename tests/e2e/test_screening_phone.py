"""A village doctor's screening on a 360×740 phone: find the member, record a high blood
pressure, see them on the suspected-to-confirm list, and the household's five-ones
screening item done."""

import datetime as dt

import pytest

from contracts.services import follow_up_rules_sync_from_catalogue
from households.services import disease_catalogue_sync
from screening.services import screening_catalogue_sync, work_team_save
from tests.contracts.factories import DoctorTeamFactory, HouseholdFactory, MemberFactory
from tests.screening.factories import make_campaign

pytestmark = pytest.mark.e2e


@pytest.fixture
def villager(tree, institutions, users):
    # Browser tests run on a flushed database: bring back the catalogues.
    disease_catalogue_sync()
    follow_up_rules_sync_from_catalogue()
    screening_catalogue_sync()
    DoctorTeamFactory(
        institution=institutions.township_centre,
        name="元马镇第1家庭医生团队",
        leader=users.township_doctor,
        villages=[tree.village],
        members=[users.township_doctor, users.village_doctor],
    )
    campaign = make_campaign(tree.county, start=dt.date.today() - dt.timedelta(days=3))
    work_team_save(
        campaign=campaign,
        name="县医院工作队",
        unit_name="元谋县人民医院",
        villages=[tree.village],
        by=users.county_staff,
    )
    member = MemberFactory(
        household=HouseholdFactory(village=tree.village, illness_caused=True), name="普正华"
    )
    return member, campaign


def test_village_doctor_screens_a_high_blood_pressure(villager, tree, phone_page, login):
    member, campaign = villager
    page = phone_page
    login(page, "village")
    page.goto("/screening/members/")
    page.fill("[data-testid=member-search]", "普正华")
    page.keyboard.press("Enter")
    result = page.locator("[data-testid=member-result]")
    result.wait_for()
    assert "普正华" in result.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    result.locator("[data-testid=screen]").click()
    page.wait_for_selector("[data-testid=screening-form]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("input[name=systolic]", "168")
    page.fill("input[name=diastolic]", "102")
    page.click("[data-testid=save-screening]")
    page.wait_for_selector(".alert-warning")
    assert "异常" in page.locator(".alert-warning").inner_text()

    page.goto("/screening/suspected/")
    entry = page.locator(f"[data-testid=suspected-entry][data-member='{member.pk}']")
    entry.wait_for()
    assert "高血压" in entry.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"/screening/campaigns/{campaign.pk}/households/?village={tree.village.code}")
    household = page.locator(
        f"[data-testid=household-state][data-household='{member.household_id}']"
    )
    household.wait_for()
    screening_item = household.locator("[data-testid=item-state][data-item='2']")
    assert screening_item.get_attribute("data-done") == "1"
    # Its evidence, stored with the item's state, links the screening just recorded.
    link = screening_item.locator("[data-testid=record] a")
    assert link.get_attribute("href") == f"/screening/?member={member.pk}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert (
        household.locator("[data-testid=item-state][data-item='1']").get_attribute("data-done")
        == "0"
    )
    link.click()
    page.wait_for_selector("text=168/102")


def test_campaign_chart_draws_without_inline_script(villager, live_page, login):
    _member, campaign = villager
    page = live_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "county")
    page.goto(f"/screening/campaigns/{campaign.pk}/")
    page.wait_for_selector("[data-chart] canvas")
    assert page.locator("[data-testid=item-row]").count() == 5
    # Scripts come from files only (a strict Content-Security-Policy will forbid inline ones).
    inline = page.evaluate(
        "[...document.scripts].filter(s => !s.src && s.type !== 'application/json').length"
    )
    assert inline == 0
    assert errors == []
