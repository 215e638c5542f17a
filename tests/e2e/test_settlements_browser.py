"""Browser checks of the settlement pages: the charts draw under a strict script policy,
and the encounter list and register fit a phone."""

import datetime
from decimal import Decimal

import pytest

from households.services import disease_catalogue_sync
from medconsortium.choices import EncounterKind
from medconsortium.settlement_services import encounter_settlements_upsert_bulk
from tests.households.factories import build_registry
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.e2e

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
)


@pytest.fixture
def settled(tree, institutions):
    disease_catalogue_sync()  # live-server tests flush the tables afterwards
    registry = build_registry(tree)
    members = [registry.heads["village"], registry.spouses["village"], registry.heads["village2"]]
    rows = [
        row(
            members[i % 3],
            [institutions.county_hospital, institutions.township_centre][i % 2],
            kind=EncounterKind.OUTPATIENT if i % 2 else EncounterKind.INPATIENT,
            admitted_on=datetime.date(2019, 1 + i % 6, 3 + i),
            discharged_on=datetime.date(2019, 1 + i % 6, 3 + i),
            non_reimbursable=Decimal("30.00") if i % 2 else Decimal("10.00"),
        )
        for i in range(12)
    ]
    encounter_settlements_upsert_bulk(rows=rows, by=None)
    return registry


def test_charts_draw_under_a_strict_content_security_policy(users, settled, live_page, login):
    """No inline script: the data is JSON in the page, the code a static file.

    (The base template's language switch still has an inline ``onchange`` handler, which
    the colleague adding the site's policy replaces; it is not a script element and is
    left out of the check.)"""
    errors, failed = [], []
    live_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    live_page.on("pageerror", lambda e: errors.append(str(e)))
    live_page.on(
        "response", lambda r: failed.append(r.url) if "/static/" in r.url and not r.ok else None
    )

    def strict(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": CSP}
        route.fulfill(response=response, headers=headers)

    login(live_page, "county")
    live_page.route("**/settlements/**", strict)
    live_page.goto("/settlements/?start=2019-01-01&end=2019-12-31")
    assert live_page.inner_text("[data-testid=inpatient-ratio]").endswith("%")
    for chart in ("institutions", "months"):
        live_page.wait_for_selector(f"[data-chart={chart}] canvas")
    refused = [e for e in errors if "script" in e.lower() and "inline event handler" not in e]
    assert not refused, refused
    assert not [e for e in errors if "Uncaught" in e or "Error" in e.split(":")[0]], errors
    assert not failed, failed


def test_phone_encounter_list_and_register(users, settled, phone_page, login):
    login(phone_page, "township")
    phone_page.goto("/settlements/encounters/")
    rows = phone_page.locator("[data-testid=encounter-row]")
    assert rows.count() == 12  # 能禹村 and 丙间村 are 元马镇's
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.goto("/settlements/non-reimbursable/?start=2019-01-01&end=2019-12-31")
    assert phone_page.locator("[data-testid=non-reimbursable-cards] li").count() == 2
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
