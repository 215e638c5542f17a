"""``{% subnav %}``: an app's tabs rendered once a process per role, page and language, and
still right for each of them."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from healthaid.templatetags.subnav import _subnav_html

pytestmark = pytest.mark.django_db


def tabs(page: str, testid: str) -> list[tuple[str, bool]]:
    nav = re.search(rf'<(?:nav|ul)[^>]*data-testid="{testid}".*?</(?:nav|ul)>', page, re.S)
    assert nav, testid
    return [
        (href, "active" in classes)
        for classes, href in re.findall(r'<a class="([^"]*)" href="([^"]*)"', nav.group(0))
    ]


def test_the_tabs_follow_the_role_and_mark_the_page(users, client_as):
    _subnav_html.cache_clear()
    encounters = reverse("settlements:encounter-list")
    aliases = reverse("settlements:aliases")
    county = tabs(
        client_as(users.county_staff).get(encounters).content.decode(), "settlement-subnav"
    )
    assert (encounters, True) in county and (aliases, False) in county
    assert [href for href, active in county if active] == [encounters]
    # Another role on the same page: its own tabs, not the county's from the cache.
    hospital = tabs(
        client_as(users.hospital_staff).get(encounters).content.decode(), "settlement-subnav"
    )
    assert (encounters, True) in hospital and aliases not in [href for href, _ in hospital]
    # The same role on another page: the active tab moves.
    figures = reverse("settlements:figures")
    again = tabs(client_as(users.county_staff).get(figures).content.decode(), "settlement-subnav")
    assert [href for href, active in again if active] == [figures]
    assert _subnav_html.cache_info().currsize == 3


def test_the_tabs_follow_the_language(users, client_as):
    client = client_as(users.county_staff)
    url = reverse("screening:screening-list")
    chinese = client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert "Record work" in re.search(r'data-testid="screening-subnav".*?</nav>', english, re.S)[0]
    assert (
        "Record work" not in re.search(r'data-testid="screening-subnav".*?</nav>', chinese, re.S)[0]
    )
    assert (url, True) in tabs(english, "screening-subnav")
