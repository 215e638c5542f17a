"""Browser checks of the registry on a 360 px phone: stacked list, household page, reveal."""

import pytest

from healthaid.choices import AuditAction
from healthaid.idnumbers import decrypt_id_number
from healthaid.models import AuditLog
from households.services import disease_catalogue_sync
from tests.households.factories import build_registry

pytestmark = pytest.mark.e2e


@pytest.fixture
def registry(tree):
    disease_catalogue_sync()  # live-server tests flush the tables afterwards
    return build_registry(tree)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_phone_list_stacks_rows_into_cards(users, registry, phone_page, login):
    login(phone_page, "county")
    phone_page.goto("/households/")
    rows = phone_page.locator("[data-testid=household-row]")
    assert rows.count() == 3
    # The header row is hidden and each row is a card as wide as the screen.
    assert not phone_page.locator("[data-testid=household-table] thead").is_visible()
    box = rows.first.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert "户主" in rows.first.inner_text()
    assert page_width(phone_page) <= 360, "the list overflows a 360 px screen"


def test_phone_household_page_and_reveal(users, registry, phone_page, login):
    household = registry.households["village"]
    head = registry.heads["village"]
    number = decrypt_id_number(head.id_number_cipher)
    login(phone_page, "village")
    phone_page.goto(f"/households/{household.pk}/")
    assert household.number in phone_page.inner_text("[data-testid=household-number]")
    members = phone_page.locator("[data-testid=members]")
    assert head.id_number_masked in members.inner_text()
    assert number not in phone_page.content()
    assert page_width(phone_page) <= 360, "the household page overflows a 360 px screen"

    phone_page.goto(f"/households/members/{head.pk}/")
    phone_page.click("[data-testid=id-number] [data-testid=reveal-id]")
    phone_page.wait_for_selector("[data-testid=id-number-full]")
    assert phone_page.inner_text("[data-testid=id-number-full]") == number
    assert phone_page.locator("[data-testid=reveal-id]").count() == 0  # the button is gone
    assert (
        AuditLog.objects.filter(
            action=AuditAction.REVEAL, actor=users.village_doctor, target_id=str(head.pk)
        ).count()
        == 1
    )
