"""The registry's list counts come from a cache that every write of the registry moves.

Counting a county's members is the member list's costliest statement; it is cached under
the caller's scope, the filters asked for and the registry's version
(``households.selectors.registry_list_count``). These tests write the registry each way it
is written (factories and services through the models' signals, the roster import in bulk)
and read the count straight after, through the HTML list and the API.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import services
from households.choices import PovertyCause, Relation
from households.importing.service import roster_import
from households.models import Household, Member
from households.selectors import registry_version
from tests.households.factories import (
    HouseholdFactory,
    MemberFactory,
    SpecialCardFactory,
    add_disease,
)
from tests.households.test_households_import_fixtures import (
    H1,
    PLAIN_HEADER,
    good_rows_compact,
    good_xlsx,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
HOUSEHOLDS = "/api/v1/households/"


def api_count(api, url, **params) -> int:
    response = api.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()["count"]


def page_count(client, url_name, **params) -> int:
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    return response.context["paginator"].count


def counted(api, url, **params) -> bool:
    """Whether the request ran a COUNT statement (rather than reading the cache)."""
    with CaptureQueriesContext(connection) as queries:
        api.get(url, params)
    return any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def test_the_count_is_cached_until_the_registry_changes(tree, users, api_as, catalogue):
    api = api_as(users.county_staff)
    household = HouseholdFactory(village=tree.village)
    MemberFactory(household=household, relation=Relation.HEAD)
    assert api_count(api, MEMBERS) == 1
    assert not counted(api, MEMBERS)
    assert not counted(api, MEMBERS, page=1, page_size=20)  # the page is not a filter

    before = registry_version()
    MemberFactory(household=household, relation=Relation.SON)
    assert registry_version() != before
    assert counted(api, MEMBERS)
    assert api_count(api, MEMBERS) == 2


def test_every_kind_of_registry_write_moves_the_count(tree, users, api_as, client_as, catalogue):
    api = api_as(users.county_staff)
    client = client_as(users.county_staff)
    household = HouseholdFactory(village=tree.village)
    head = MemberFactory(household=household, relation=Relation.HEAD)
    son = MemberFactory(household=household, relation=Relation.SON)
    assert api_count(api, MEMBERS, disease="hypertension") == 0
    assert api_count(api, MEMBERS, special_card="true") == 0
    assert page_count(client, "households:member-list", disease="hypertension") == 0

    add_disease(head, "hypertension")  # a diagnosis
    assert api_count(api, MEMBERS, disease="hypertension") == 1
    assert page_count(client, "households:member-list", disease="hypertension") == 1

    SpecialCardFactory(member=son)  # a card
    assert api_count(api, MEMBERS, special_card="true") == 1

    services.member_delete(member=son, by=users.county_staff)  # a service's delete
    assert api_count(api, MEMBERS) == 1
    assert api_count(api, MEMBERS, special_card="true") == 0

    empty = HouseholdFactory(village=tree.village)  # a household with nobody yet
    assert api_count(api, HOUSEHOLDS) == 2
    assert page_count(client, "households:household-list") == 2
    empty.delete()
    assert api_count(api, HOUSEHOLDS) == 1
    assert page_count(client, "households:household-list") == 1


def test_the_roster_import_moves_the_count_even_when_no_member_changes(users, tree, api_as):
    api = api_as(users.county_staff)
    assert api_count(api, HOUSEHOLDS) == 0
    roster_import(source=good_xlsx(), filename="a.xlsx", by=users.county_staff)
    assert api_count(api, HOUSEHOLDS) == Household.objects.count() > 0
    assert api_count(api, MEMBERS) == Member.objects.count()
    education = api_count(api, HOUSEHOLDS, poverty_cause=PovertyCause.EDUCATION)

    # Only the first household's main poverty cause changes: no member does.
    rows = good_rows_compact()
    rows[2] = [*rows[2][:11], "因学", *rows[2][12:]]  # 张三, the head
    result = roster_import(
        source=xlsx_bytes(rows, header=PLAIN_HEADER, messy=False),
        filename="b.xlsx",
        by=users.county_staff,
    )
    assert result.applied
    assert Household.objects.get(number=H1).poverty_cause == PovertyCause.EDUCATION
    assert api_count(api, HOUSEHOLDS, poverty_cause=PovertyCause.EDUCATION) == education + 1


def test_each_scope_and_filter_has_its_own_count(tree, users, api_as, catalogue):
    HouseholdFactory(village=tree.village)
    HouseholdFactory(village=tree.other_township_village)
    county = api_as(users.county_staff)
    assert api_count(county, HOUSEHOLDS) == 2
    assert api_count(county, HOUSEHOLDS, township=tree.township.code) == 1
    assert api_count(county, HOUSEHOLDS, village=tree.village.code) == 1
    assert api_count(county, HOUSEHOLDS, village=tree.village2.code) == 0
    township = api_as(users.township_doctor)
    assert api_count(township, HOUSEHOLDS) == 1


def test_hospital_staff_are_counted_every_time(tree, users, api_as, catalogue):
    # The people they see follow their institution's referrals, which the registry's
    # version does not follow.
    api = api_as(users.hospital_staff)
    api_count(api, MEMBERS)
    assert counted(api, MEMBERS)
