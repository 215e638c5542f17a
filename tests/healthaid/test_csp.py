"""A Content-Security-Policy header on every response; no template needs an exception to it."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    p
    for p in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in p.parts and "var" not in p.parts
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
HX_ON = re.compile(r"\shx-on", re.I)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/api/v1/households/", "/no-such-page/"])
def test_every_response_has_the_policy(client, url):
    policy = _policy(client.get(url))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in " ".join(policy.values())


@pytest.mark.django_db
def test_pages_of_a_logged_in_user(users, client_as):
    client = client_as(users.county_staff)
    for name in ("home", "households:household-list", "contracts:contract-list", "api-docs"):
        assert "unsafe" not in client.get(reverse(name))["Content-Security-Policy"]


@pytest.mark.django_db
def test_only_redoc_relaxes_styles_and_never_scripts(users, client_as):
    policy = _policy(client_as(users.county_staff).get(reverse("api-redoc")))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    assert policy["worker-src"] == "'self' blob:"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_have_no_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to a static file"
    assert not HANDLER.search(text), "event-handler attribute: use static/js/portal.js"
    assert not STYLE_ATTR.search(text), "style attribute: use a class (static/css)"
    assert not HX_ON.search(text), "hx-on needs eval, which the policy refuses"
