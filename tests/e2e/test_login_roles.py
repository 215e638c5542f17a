"""Each role logs in through the real form and lands on its own dashboard."""

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "username, title, scope",
    [
        ("county", "县卫健局工作台", "元谋县"),
        ("township", "家庭医生工作台", "元马镇"),
        ("village", "家庭医生工作台", "能禹村委会"),
        ("hospital", "医院工作台", "元谋县"),
        ("supervisor", "督导工作台", "楚雄彝族自治州"),
    ],
)
def test_role_lands_on_its_dashboard(users, live_page, login, username, title, scope):
    login(live_page, username)
    assert live_page.inner_text("[data-testid=dashboard-title]") == title
    assert scope in live_page.inner_text("[data-testid=user-scope]")


def test_wrong_password_is_refused_in_chinese(users, live_page):
    live_page.goto("/accounts/login/")
    live_page.fill("#id_username", "county")
    live_page.fill("#id_password", "wrong-password")
    live_page.click("button[type=submit]")
    assert "请输入一个正确的" in live_page.inner_text(".alert-danger")


def test_phone_navigation_collapses_and_opens(users, phone_page, login):
    login(phone_page, "village")
    toggler = phone_page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    phone_page.wait_for_selector("#mainnav.show")
    assert phone_page.locator("#mainnav a.nav-link").first.is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page overflows a 360 px screen: {width}px"


def test_language_switch_to_english(users, live_page, login):
    login(live_page, "county")
    live_page.select_option("[data-testid=language-switch] select", "en")
    live_page.wait_for_selector("text=County bureau dashboard")
    assert live_page.inner_text("[data-testid=dashboard-title]") == "County bureau dashboard"
