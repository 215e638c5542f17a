"""The lists' filter forms are rendered once per scope, language and filters, and again when
the regions or the registry change (``healthaid.views.FilteredListView.filter_fields``)."""

import hashlib

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse

from healthaid.choices import RegionLevel
from healthaid.models import Region
from healthaid.paging import filter_key
from households.importing.service import roster_import
from tests.households.test_households_import_fixtures import good_xlsx

pytestmark = pytest.mark.django_db

LIST = "households:member-list"


def fields_html(client, **params) -> str:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return str(response.context["filter_fields"])


def rendered_afresh(client, **params) -> str:
    cache.clear()
    return fields_html(client, **params)


def test_the_cached_fields_are_the_fields_rendered_afresh(tree, users, client_as):
    client = client_as(users.county_staff)
    fresh = rendered_afresh(client)
    assert 'name="township"' in fresh
    assert fields_html(client) == fresh  # from the cache
    assert fields_html(client, page=1, page_size=20) == fresh  # a page is not a filter


@pytest.mark.parametrize(
    "params", [{"township": "532328101000", "q": "张"}, {"village": "999999999999"}, {"sex": "x"}]
)
def test_a_form_with_filters_is_rendered_each_time(tree, users, client_as, params):
    response = client_as(users.county_staff).get(reverse(LIST), params)
    assert response.context["filter_fields"] is None
    html = response.content.decode()
    assert 'name="township"' in html
    if params.get("village") or params.get("sex"):
        assert "invalid-feedback" in html


def test_a_whole_id_number_searched_leaves_no_trace_in_the_cache(tree, users, client_as):
    number = "532328196003051122"
    cache.clear()
    client_as(users.county_staff).get(reverse(LIST), {"q": number})
    keys = list(cache._cache)  # the tests' local-memory cache
    stored = " ".join(f"{key} {cache.get(key.split(':', 2)[-1])!r}" for key in keys)
    assert keys and number not in stored
    plain = hashlib.sha256(repr([("q", number)]).encode()).hexdigest()[:32]
    assert plain not in stored
    assert filter_key(QueryDict(f"q={number}")) != plain


def test_each_scope_role_and_language_has_its_own_fields(tree, users, client_as):
    county = fields_html(client_as(users.county_staff))
    township = fields_html(client_as(users.township_doctor))
    assert tree.other_township.name in county
    assert tree.other_township.name not in township

    client = client_as(users.county_staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = fields_html(client)
    assert "Township" in english and english != county


def test_a_new_or_renamed_village_shows_at_once(tree, users, client_as):
    client = client_as(users.county_staff)
    assert "新村委会" not in fields_html(client)
    Region.objects.create(
        code="532328101299", name="新村委会", level=RegionLevel.VILLAGE, parent=tree.township
    )
    assert "新村委会" in fields_html(client)

    tree.village2.name = "改名村委会"
    tree.village2.save()
    assert "改名村委会" in fields_html(client)


def test_villages_the_roster_import_creates_show_at_once(tree, users, client_as):
    client = client_as(users.county_staff)
    assert "新建村" not in fields_html(client)
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert "新建村" in fields_html(client)  # created in bulk by the import (PLACE_NEW)
