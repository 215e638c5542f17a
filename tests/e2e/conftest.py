"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Skipped where /usr/bin/chromium is absent (a bare laptop); ``.ci/run`` installs it, so CI
always runs them.
"""

import datetime as dt
import os
import shutil

import pytest

from contracts.services import follow_up_rules_sync_from_catalogue
from households.services import disease_catalogue_sync
from tests.contracts.factories import (
    ContactFactory,
    ContractFactory,
    DoctorTeamFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)
from tests.healthaid.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("HEALTHAID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    missing = not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM))
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_page(browser, live_server):
    """A fresh browser context (desktop size) whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A 360×740 phone-sized page, as township and village doctors use the portal."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login():
    """``login(page, username)``: log in through the real form and land on the dashboard."""

    def do_login(page, username, password=TEST_PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=dashboard-title]")
        return page

    return do_login


@pytest.fixture
def contracted_patient(tree, institutions, users):
    """李桂英 of 能禹村, hypertensive, contracted 40 days ago with 元马镇's team (the township
    and village doctors on it), her household's village doctor as a 亲情号码."""
    # Browser tests run on a flushed database: bring back the catalogue and the rules.
    disease_catalogue_sync()
    follow_up_rules_sync_from_catalogue()
    team = DoctorTeamFactory(
        institution=institutions.township_centre,
        name="元马镇第1家庭医生团队",
        leader=users.township_doctor,
        villages=[tree.village],
        members=[users.township_doctor, users.village_doctor],
    )
    member = MemberFactory(
        household=HouseholdFactory(village=tree.village), name="李桂英", phone="13887654321"
    )
    add_disease(member, "hypertension")
    ContractFactory(
        member=member,
        team=team,
        doctor=users.village_doctor,
        signed_on=dt.date.today() - dt.timedelta(days=40),
    )
    ContactFactory(household=member.household, name="张秀英", phone="13987811111")
    return member
