"""Parts every page prints, prepared once: the role's menu, and a list's filterset only
when the request filters or the form has to be rendered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from healthaid import context_processors
from households.filtersets import HouseholdFilterSet

pytestmark = pytest.mark.django_db


def _menu_links(html: str) -> str:
    start = html.index('<ul class="navbar-nav flex-wrap me-auto">')
    return html[start : html.index('<div class="navbar-text', start)]


def test_the_menu_marks_the_page_and_follows_role_and_language(users, client_as):
    context_processors._menu_html.cache_clear()
    client = client_as(users.county_staff)
    households = _menu_links(client.get(reverse("households:household-list")).content.decode())
    assert f'href="{reverse("households:household-list")}" aria-current="page"' in households
    assert households.count('aria-current="page"') == 1
    assert "导入花名册" in households  # county staff import the roster
    members = _menu_links(client.get(reverse("households:member-list")).content.decode())
    assert f'href="{reverse("households:member-list")}" aria-current="page"' in members
    assert members.count('aria-current="page"') == 1
    assert members != households  # the active entry moved
    client.cookies["django_language"] = "en"
    english = _menu_links(client.get(reverse("households:member-list")).content.decode())
    assert "Import roster" in english and "导入花名册" not in english
    doctor = client_as(users.township_doctor)
    theirs = _menu_links(doctor.get(reverse("households:member-list")).content.decode())
    assert "导入花名册" not in theirs and reverse("contracts:worklist") in theirs


def test_a_list_builds_its_filterset_only_when_asked_to_filter(users, client_as, monkeypatch):
    built = []
    original = HouseholdFilterSet.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(HouseholdFilterSet, "__init__", counted)
    client = client_as(users.county_staff)
    url = reverse("households:household-list")
    first = client.get(url)
    assert first.status_code == 200 and built == [1]  # the form's fields, rendered once
    assert client.get(url + "?page=1").status_code == 200
    assert built == [1]  # the cached fields; nothing to filter by
    filtered = client.get(url + "?q=nobody-is-called-this")
    assert built == [1, 1]
    assert filtered.context["page_obj"].paginator.count == 0
    assert 'value="nobody-is-called-this"' in filtered.content.decode()
