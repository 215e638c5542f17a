"""The county dashboard in a browser, at desktop size and on a 360 px phone: its charts
draw (a canvas in every chart), with no console error and nothing the Content-Security-Policy
refuses, and they fit the screen."""

import pytest

from tests.contracts.conftest import other_team, rules, team  # noqa: F401
from tests.reports.test_dashboard import world  # noqa: F401

pytestmark = pytest.mark.e2e

URL = "/dashboard/?period=custom&start=2024-01-01&end=2024-06-30"
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
CHARTS = [
    "chart-contracts",
    "chart-ratio",
    "chart-referrals",
    "chart-five-ones",
    "chart-coverage",
    "chart-clinics",
]


def _open(page, login):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(WATCH)
    login(page, "county")
    response = page.goto(URL)
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    return errors


def _check_charts(page, width: int):
    for chart in CHARTS:
        canvas = page.locator(f"#{chart} canvas")
        canvas.first.wait_for()
        box = canvas.first.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, chart
        assert box["x"] + box["width"] <= width + 1, chart
        # The table beside it carries the same figures.
    assert page.locator("[data-testid=contract-table] tbody tr").count() == 2
    assert page.evaluate("window.__cspViolations") == []


def test_county_dashboard_charts_on_desktop(users, world, live_page, login):  # noqa: F811
    errors = _open(live_page, login)
    _check_charts(live_page, 1280)
    assert "50.00%" in live_page.locator("[data-testid=total-contract-rate]").inner_text()
    # A township's name drills down to its own dashboard.
    live_page.locator("[data-testid=drill-link]").first.click()
    live_page.wait_for_selector("[data-testid=dashboard-heading]")
    assert "元马镇" in live_page.locator("[data-testid=dashboard-heading]").inner_text()
    live_page.locator("#chart-contracts canvas").first.wait_for()
    assert errors == []


def test_county_dashboard_charts_on_a_phone(users, world, phone_page, login):  # noqa: F811
    errors = _open(phone_page, login)
    _check_charts(phone_page, 360)
    # Nothing wider than the screen: the tables scroll inside their own box.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
