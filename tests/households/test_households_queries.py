"""Pinned query counts: lists, details, API lists and exports run a fixed number of queries.

Each page is requested with few and many rows and with two page sizes; the count must be the
same and equal to the pinned figure (session, user, profile, then the page's own queries).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthaid.models import Job
from healthaid.scoping import get_profile
from households.choices import Relation, Sex
from households.selectors import dashboard_cards
from households.tasks import export_task
from tests.households.exporting import start_export
from tests.households.factories import (
    HouseholdContactFactory,
    HouseholdFactory,
    MemberFactory,
    SpecialCardFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db


def fill(tree, households: int):
    """``households`` households of three people, with diseases, cards and contacts."""
    villages = [tree.village, tree.village2, tree.other_township_village]
    created = []
    for index in range(households):
        household = HouseholdFactory(village=villages[index % 3])
        head = MemberFactory(household=household, relation=Relation.HEAD)
        spouse = MemberFactory(household=household, relation=Relation.SPOUSE, sex=Sex.FEMALE)
        MemberFactory(household=household, relation=Relation.SON)
        add_disease(head, "hypertension")
        add_disease(head, "t2dm")
        add_disease(spouse, "copd")
        SpecialCardFactory(member=head)
        HouseholdContactFactory(household=household)
        created.append(household)
    return created


def count(client, url, params=None):
    client.get(url, params)  # warm: session and language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


# Pages: user, profile, the page (households with head name and size as subqueries); after
# the warming request the count (households.selectors.registry_list_count) and the filter
# form with the scope's township/village choices (FilteredListView.filter_fields) come from
# the cache, the session too, which is not saved on every request (healthaid.sessions); the
# member list adds one prefetch for diagnoses and one for cards.
@pytest.mark.parametrize(
    "url, page_sizes, pinned",
    [
        ("households:household-list", (20, 50), 3),
        ("households:member-list", (20, 50), 5),
    ],
)
def test_list_pages(url, page_sizes, pinned, tree, users, client_as, catalogue):
    client = client_as(users.county_staff)
    fill(tree, 4)
    counts = {
        ("few", size): count(client, reverse(url), {"page_size": size}) for size in page_sizes
    }
    fill(tree, 56)
    counts |= {
        ("many", size): count(client, reverse(url), {"page_size": size}) for size in page_sizes
    }
    assert set(counts.values()) == {pinned}, counts


def test_filtered_list_pages_stay_fixed(tree, users, client_as, catalogue):
    client = client_as(users.county_staff)
    params = {
        "q": "成员",
        "township": tree.township.code,
        "disease": "hypertension",
        "page_size": 50,
    }
    fill(tree, 3)
    few = count(client, reverse("households:member-list"), params)
    fill(tree, 30)
    assert count(client, reverse("households:member-list"), params) == few == 7


# API (token-style authentication, profile cached): the page and the prefetches (contacts;
# or diagnoses and cards); the count is cached, as the lists'.
@pytest.mark.parametrize(
    "url, page_sizes, pinned",
    [
        ("/api/v1/households/", (5, 500), 2),
        ("/api/v1/members/", (5, 500), 3),
    ],
)
def test_api_lists(url, page_sizes, pinned, tree, users, api_as, catalogue):
    api = api_as(users.county_staff)
    fill(tree, 6)
    counts = {("few", size): count(api, url, {"page_size": size}) for size in page_sizes}
    fill(tree, 30)
    counts |= {("many", size): count(api, url, {"page_size": size}) for size in page_sizes}
    assert set(counts.values()) == {pinned}, counts


def test_household_detail(tree, users, client_as, catalogue):
    client = client_as(users.county_staff)
    small = fill(tree, 1)[0]
    big = HouseholdFactory(village=tree.village)
    for _ in range(7):
        member = MemberFactory(household=big, relation=Relation.SON)
        add_disease(member, "hypertension")
        SpecialCardFactory(member=member)
        HouseholdContactFactory(household=big)
    few = count(client, reverse("households:household-detail", args=[small.pk]))
    many = count(client, reverse("households:household-detail", args=[big.pk]))
    assert few == many, (few, many)


def test_member_detail(tree, users, client_as, catalogue):
    client = client_as(users.county_staff)
    household = fill(tree, 1)[0]
    healthy = household.members.get(relation=Relation.SON)
    sick = household.members.get(relation=Relation.HEAD)
    SpecialCardFactory(member=sick)
    few = count(client, reverse("households:member-detail", args=[healthy.pk]))
    many = count(client, reverse("households:member-detail", args=[sick.pk]))
    assert few == many, (few, many)


@pytest.mark.parametrize("kind", ["household", "member"])
def test_exports(kind, tree, users, client_as, catalogue):
    """The export job's queries (the worker's side) do not grow with the rows."""
    client = client_as(users.county_staff)

    def job_queries() -> int:
        started = start_export(client, kind)
        job = Job.objects.get(uuid=started.url.rstrip("/").rsplit("/", 1)[-1])
        with CaptureQueriesContext(connection) as queries:
            export_task(job.pk)
        return len(queries)

    fill(tree, 3)
    few = job_queries()
    fill(tree, 40)
    assert job_queries() == few


def test_dashboard_cards_are_a_few_aggregates(tree, users, catalogue):
    """Two aggregate queries: households (all, illness-caused), members (all, key-4)."""
    fill(tree, 5)
    get_profile(users.county_staff)  # loaded once per request elsewhere
    with CaptureQueriesContext(connection) as queries:
        cards = dashboard_cards(users.county_staff)
    assert len(queries) == 2
    assert [c.value for c in cards] == [5, 15, 0, 5]
