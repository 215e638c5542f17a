"""The permission matrix of the core's pages and API, generated over every role.

For each role and each scoped list, the user sees exactly the records whose region lies
in their scope (institutions: also those of the regions above it), and a record outside
answers 404.
"""

import pytest
from django.urls import reverse

from healthaid.audit import record
from healthaid.models import AuditLog, Institution, Region
from healthaid.scoping import ancestor_codes

pytestmark = pytest.mark.django_db

ROLES = [
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
]


def expected_institutions(user) -> set[str]:
    region = user.profile.region
    return {
        i.code
        for i in Institution.objects.all()
        if i.region_id.startswith(region.prefix) or i.region_id in ancestor_codes(region.code)
    }


def expected_regions(user) -> set[str]:
    region = user.profile.region
    return {
        r.code
        for r in Region.objects.all()
        if r.code.startswith(region.prefix) or r.code in ancestor_codes(region.code)
    }


@pytest.mark.parametrize("role", ROLES)
def test_institution_api_list_and_detail(users, institutions, api_as, role):
    user = getattr(users, role)
    client = api_as(user)
    response = client.get("/api/v1/institutions/", {"page_size": 500})
    assert response.status_code == 200
    seen = {row["code"] for row in response.json()["results"]}
    assert seen == expected_institutions(user)
    for institution in Institution.objects.all():
        detail = client.get(f"/api/v1/institutions/{institution.pk}/")
        assert detail.status_code == (200 if institution.code in seen else 404)


@pytest.mark.parametrize("role", ROLES)
def test_institution_page(users, institutions, client_as, role):
    user = getattr(users, role)
    response = client_as(user).get(reverse("institutions"))
    assert response.status_code == 200
    shown = {i.code for i in response.context["object_list"]}
    assert shown == expected_institutions(user)


@pytest.mark.parametrize("role", ROLES)
def test_region_api(users, api_as, role):
    user = getattr(users, role)
    client = api_as(user)
    response = client.get("/api/v1/regions/", {"page_size": 500})
    seen = {row["code"] for row in response.json()["results"]}
    assert seen == expected_regions(user)
    for region in Region.objects.all():
        detail = client.get(f"/api/v1/regions/{region.code}/")
        assert detail.status_code == (200 if region.code in seen else 404)


@pytest.fixture
def audit_rows(users, tree):
    rows = {}
    for code in (
        tree.village.code,
        tree.other_township_village.code,
        tree.other_county_village.code,
    ):
        rows[code] = record(
            action="update",
            by=users.county_staff,
            target_type="test.thing",
            target_id=code,
            region_code=code,
            message="测试",
        )
    return rows


@pytest.mark.parametrize("role", ROLES)
def test_audit_api_and_page(users, audit_rows, api_as, client, role):
    user = getattr(users, role)
    prefix = user.profile.region.prefix
    expected = {e.pk for e in AuditLog.objects.all() if e.region_code.startswith(prefix)}
    api = api_as(user)
    response = api.get("/api/v1/audit/", {"page_size": 500})
    client.force_login(user)
    page = client.get(reverse("audit-log"))
    if role in ("county_staff", "other_county_staff"):
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} == expected
        assert {e.pk for e in page.context["object_list"]} == expected
        for entry in audit_rows.values():
            detail = api.get(f"/api/v1/audit/{entry.pk}/")
            assert detail.status_code == (200 if entry.pk in expected else 404)
    else:
        # Only county bureau staff read the audit trail.
        assert response.status_code == 403
        assert page.status_code == 403


def test_anonymous_api_is_refused(db, api_client):
    assert api_client.get("/api/v1/institutions/").status_code in (401, 403)


def test_user_without_profile_sees_nothing(db, tree, institutions, api_as):
    from tests.healthaid.factories import UserFactory

    response = api_as(UserFactory()).get("/api/v1/institutions/")
    assert response.status_code == 403


def test_superuser_without_profile_sees_everything(db, tree, institutions, api_as):
    from tests.healthaid.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    response = api_as(admin).get("/api/v1/institutions/", {"page_size": 500})
    assert response.json()["count"] == Institution.objects.count()


def test_institution_list_queries_do_not_grow_with_rows(
    users, institutions, client_as, django_assert_max_num_queries, tree
):
    from tests.healthaid.factories import InstitutionFactory

    client = client_as(users.county_staff)
    client.get(reverse("institutions"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("institutions"))
    for n in range(40):
        InstitutionFactory(code=f"X{n}", region=tree.village)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("institutions"))


@pytest.mark.parametrize("role", ROLES)
def test_visible_to_is_the_own_subtree_without_ancestors(users, role):
    user = getattr(users, role)
    region = user.profile.region
    expected = {r.code for r in Region.objects.all() if r.code.startswith(region.prefix)}
    assert set(Region.objects.visible_to(user).values_list("code", flat=True)) == expected
    assert (
        set(Region.objects.visible_to(user, ancestors=True).values_list("code", flat=True))
        >= expected
    )
