"""The English pages fit their screens: English labels are two to three times as wide as the
Chinese ones, and a menu, a badge or a row of phone links that fits in Chinese pushed these
pages wider than the screen (the page then scrolls sideways on a phone, and the menu ran off a
1366 px laptop screen)."""

import pytest

from households.choices import ContactKind
from tests.contracts.factories import ContactFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def contracted(contracted_patient):
    """The contracted patient's household back in poverty because of illness, with long
    亲情号码 beside its village doctor's."""
    household = contracted_patient.household
    household.illness_caused = household.illness_returned = True
    household.save(update_fields=["illness_caused", "illness_returned"])
    for kind, name, phone in (
        (ContactKind.HEALTH_CENTRE, "元马镇中心卫生院（元谋县第二人民医院）", "0878-8211234"),
        (ContactKind.EMERGENCY, "", "120"),
    ):
        ContactFactory(household=household, kind=kind, name=name, phone=phone)
    return contracted_patient


def in_english(browser, live_server, width):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": width, "height": 800}
    )
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    context.set_default_timeout(15_000)
    return context


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_english_menu_fits_a_laptop_screen(contracted, browser, live_server, login):
    context = in_english(browser, live_server, 1366)
    page = login(context.new_page(), "county")
    page.goto("/households/members/")
    assert "Registered people" in page.inner_text("h1")
    assert page_width(page) <= 1366, "the menu pushes the page wider than the screen"
    entries = page.locator("#mainnav .navbar-nav > .nav-item")
    assert entries.count() >= 8
    for index in range(entries.count()):
        box = entries.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, entries.nth(index).inner_text()
    context.close()


@pytest.mark.parametrize(
    "username, path",
    [("county", "/households/"), ("village", "/contracts/worklist/")],
)
def test_english_phone_pages_fit_360_px(contracted, browser, live_server, login, username, path):
    context = in_english(browser, live_server, 360)
    page = login(context.new_page(), username)
    page.goto(path)
    text = page.inner_text("main")
    if path == "/households/":
        assert "Back in poverty because of illness" in text
    else:
        assert "Township health centre" in text and "0878-8211234" in text
    assert page_width(page) <= 360, f"{path} overflows a 360 px screen in English"
    context.close()


def test_the_member_list_scrolls_in_its_own_box_below_its_width(
    contracted, browser, live_server, login
):
    # Between the phone's cards (< 768 px) and about 1,100 px the ten columns do not fit:
    # the table scrolls sideways inside its box, and the page (menu, filters) stays put.
    context = in_english(browser, live_server, 1000)
    page = login(context.new_page(), "county")
    page.goto("/households/members/")
    assert page.locator("[data-testid=member-row]").count() == 1
    assert page_width(page) <= 1000, "the member list pushes the page wider than the screen"
    context.close()
