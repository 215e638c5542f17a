"""The request's user profile from the cache (``healthaid.profiles``).

The profile decides what a user sees (role, region, institution), so a cached one must never
outlive a change: every test here changes a profile, a region or an institution between two
requests and expects the next request to follow it, as it did when each request read the row.
The rest of the suite runs with the cache off (``settings_test.PROFILE_CACHE_SECONDS``), so
the pinned query counts are those of the first request after such a change.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts import demo
from healthaid.choices import Role
from healthaid.models import UserProfile
from tests.healthaid.factories import UserFactory
from tests.households.factories import HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("profile_cache")]

PROFILE_TABLE = UserProfile._meta.db_table


@pytest.fixture
def profile_cache(settings):
    settings.PROFILE_CACHE_SECONDS = 600


def _profile_reads(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 404), response.status_code
    return sum(PROFILE_TABLE in query["sql"] for query in queries.captured_queries), response


def test_a_repeated_request_reads_the_profile_from_the_cache(users, client_as):
    client = client_as(users.county_staff)
    url = reverse("households:household-list")
    first, _ = _profile_reads(client, url)
    second, response = _profile_reads(client, url)
    assert (first, second) == (1, 0)
    assert response.context["user_profile"].region.name == "元谋县"
    assert response.context["user_profile"].role == Role.COUNTY_STAFF


def test_a_moved_user_sees_the_new_region_on_the_next_request(tree, users, client_as):
    """A township doctor moved to the other township: 元马镇's household is 404 at once,
    黄瓜园镇's shows."""
    here = HouseholdFactory(village=tree.village)
    there = HouseholdFactory(village=tree.other_township_village)
    client = client_as(users.township_doctor)
    detail = lambda household: reverse("households:household-detail", args=[household.pk])  # noqa: E731
    assert client.get(detail(here)).status_code == 200
    assert client.get(detail(there)).status_code == 404
    assert client.get(detail(here)).status_code == 200  # from the cache

    profile = UserProfile.objects.get(user=users.township_doctor)
    profile.region = tree.other_township
    profile.save()

    assert client.get(detail(here)).status_code == 404
    assert client.get(detail(there)).status_code == 200


def test_a_new_role_applies_on_the_next_request(users, client_as):
    client = client_as(users.village_doctor)
    url = reverse("households:household-list")
    assert client.get(url).context["user_profile"].role == Role.VILLAGE_DOCTOR
    UserProfile.objects.filter(user=users.village_doctor).get().delete()
    UserProfile.objects.create(
        user=users.village_doctor, role=Role.SUPERVISOR, region=users.supervisor.profile.region
    )
    assert client.get(url).context["user_profile"].role == Role.SUPERVISOR


def test_a_removed_profile_leaves_the_user_nothing_on_the_next_request(tree, users, client_as):
    household = HouseholdFactory(village=tree.village)
    client = client_as(users.county_staff)
    url = reverse("households:household-detail", args=[household.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    UserProfile.objects.filter(user=users.county_staff).get().delete()
    assert client.get(url).status_code == 404


def test_a_user_without_a_profile_gets_one_on_the_next_request(tree, client_as):
    household = HouseholdFactory(village=tree.village)
    user = UserFactory(username="newcomer")
    client = client_as(user)
    url = reverse("households:household-detail", args=[household.pk])
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404  # no profile, from the cache
    UserProfile.objects.create(user=user, role=Role.COUNTY_STAFF, region=tree.county)
    assert client.get(url).status_code == 200


def test_a_renamed_region_shows_on_the_next_request(tree, users, client_as):
    client = client_as(users.county_staff)
    url = reverse("households:household-list")
    assert "元谋县" in client.get(url).content.decode()
    tree.county.name = "元谋县（新）"
    tree.county.save()
    assert client.get(url).context["user_profile"].region.name == "元谋县（新）"


def test_a_moved_institution_applies_on_the_next_request(tree, users, institutions, client_as):
    client = client_as(users.hospital_staff)
    url = reverse("households:household-list")
    assert client.get(url).context["user_profile"].institution.name == "元谋县人民医院"
    institutions.county_hospital.name = "元谋县第一人民医院"
    institutions.county_hospital.save()
    assert client.get(url).context["user_profile"].institution.name == "元谋县第一人民医院"


def test_the_demo_s_profiles_written_in_bulk_move_the_version(tree, client):
    """``contracts.demo`` creates its users' profiles with ``bulk_create`` (no signal): a
    demo user who had looked at a page before their profile existed sees their scope next."""
    household = HouseholdFactory(village=tree.village)
    user = UserFactory(username="demo_county")
    client.force_login(user)
    url = reverse("households:household-detail", args=[household.pk])
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    demo._users([("demo_county", "张医生", Role.COUNTY_STAFF, tree.county, None)])
    assert client.get(url).status_code == 200
