"""The Content-Security-Policy holds on the main pages: nothing the browser refuses.

The policy (healthaid/settings.py) allows the portal's own files only: no inline script, no
event-handler or style attributes, no eval. A page that still had one would break under it;
the browser reports each refusal as a ``securitypolicyviolation`` event and a console error.
"""

import pytest

from households.services import disease_catalogue_sync
from tests.households.factories import build_registry

pytestmark = pytest.mark.e2e

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

PAGES = {
    "county": [
        "/",
        "/households/",
        "/households/members/",
        "/households/import/",
        "/contracts/",
        "/contracts/county/",
        "/institutions/",
        "/audit/",
        "/api/docs/",
        "/api/redoc/",
    ],
    "village": ["/", "/contracts/worklist/", "/households/"],
    "hospital": ["/", "/households/members/lookup/", "/households/members/"],
    "supervisor": ["/", "/contracts/county/"],
}


@pytest.fixture
def registry(tree):
    disease_catalogue_sync()  # live-server tests flush the tables afterwards
    return build_registry(tree)


def _watch(page):
    console = []
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.add_init_script(WATCH)
    return console


# Redoc's menu footer shows its maker's logo from their CDN: the policy refuses it, which is the
# point (nothing is fetched from outside); the page works without it.
EXPECTED = {"img-src https://cdn.redoc.ly/redoc/logo-mini.svg"}


def _violations(page) -> list[str]:
    return [v for v in page.evaluate("window.__cspViolations || []") if v not in EXPECTED]


@pytest.mark.parametrize("username", list(PAGES))
def test_main_pages_raise_no_csp_violation(users, registry, live_page, login, username):
    console = _watch(live_page)
    login(live_page, username)
    for url in PAGES[username]:
        response = live_page.goto(url)
        assert response.status == 200, url
        assert "default-src 'self'" in response.headers["content-security-policy"]
        live_page.wait_for_load_state("networkidle")
        assert _violations(live_page) == [], url
    assert [text for text in console if "cdn.redoc.ly" not in text] == []


def test_login_page_and_api_docs_render(users, live_page):
    console = _watch(live_page)
    live_page.goto("/accounts/login/")
    assert _violations(live_page) == []
    live_page.fill("#id_username", "county")
    live_page.fill("#id_password", "wrong")
    live_page.click("button[type=submit]")
    assert _violations(live_page) == []
    assert console == []


def test_scripted_behaviour_still_works(users, registry, live_page, login):
    """What moved from attributes to static/js/portal.js: reveal, language switch."""
    console = _watch(live_page)
    login(live_page, "county")
    head = registry.heads["village"]
    live_page.goto(f"/households/members/{head.pk}/")
    live_page.click("[data-testid=reveal-id]")
    live_page.wait_for_selector("[data-testid=id-number-full]")
    assert live_page.locator("[data-testid=reveal-id]").count() == 0  # removed after the answer
    live_page.select_option("[data-testid=language-switch] select", "en")
    live_page.wait_for_selector("html[lang=en]")
    # Swagger UI renders the API from its split script (no inline start-up script).
    live_page.goto("/api/docs/")
    live_page.wait_for_selector(".swagger-ui .info")
    live_page.goto("/api/redoc/")
    live_page.wait_for_selector("redoc [role=navigation], .menu-content", timeout=30_000)
    assert _violations(live_page) == []
    assert [text for text in console if "cdn.redoc.ly" not in text] == []
