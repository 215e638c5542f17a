"""The permission matrix of the core's pages and API, generated over every role.

What each role sees is written down below, record by record, not computed with the code's
own prefix logic: each user sees the regions of their scope (the region API adds the
regions above it), the institutions of their scope and of the regions above it, and the
audit rows of their scope (county bureau staff only); a record outside answers 404.
"""

import pytest
from django.urls import reverse

from healthaid.audit import record
from healthaid.models import Institution, Region

pytestmark = pytest.mark.django_db

ROLES = [
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
]

# Regions of the shared tree (conftest.TREE), by the ``tree`` fixture's names.
YUANMOU = {"county", "township", "village", "village2", "other_township", "other_township_village"}
SHUANGBAI = {"other_county", "other_county_township", "other_county_village"}
# Each role's scope: its region and everything below it.
SCOPE = {
    "county_staff": YUANMOU,
    "township_doctor": {"township", "village", "village2"},
    "village_doctor": {"village"},
    "hospital_staff": YUANMOU,  # their scope region is the county
    "supervisor": {"prefecture"} | YUANMOU | SHUANGBAI,
    "other_county_staff": SHUANGBAI,
}
# The regions above each role's scope, which the region API shows as well.
ABOVE = {
    "county_staff": {"province", "prefecture"},
    "township_doctor": {"province", "prefecture", "county"},
    "village_doctor": {"province", "prefecture", "county", "township"},
    "hospital_staff": {"province", "prefecture"},
    "supervisor": {"province"},
    "other_county_staff": {"province", "prefecture"},
}
# Institutions (the ``institutions`` fixture's names): those of the scope and of the regions
# above it (a township's doctors refer to the county and prefecture hospitals).
INSTITUTIONS = {
    "county_staff": {
        "county_hospital",
        "prefecture_hospital",
        "township_centre",
        "other_township_centre",
        "village_clinic",
    },
    "township_doctor": {
        "county_hospital",
        "prefecture_hospital",
        "township_centre",
        "village_clinic",
    },
    "village_doctor": {
        "county_hospital",
        "prefecture_hospital",
        "township_centre",
        "village_clinic",
    },
    "hospital_staff": {
        "county_hospital",
        "prefecture_hospital",
        "township_centre",
        "other_township_centre",
        "village_clinic",
    },
    "supervisor": {
        "county_hospital",
        "prefecture_hospital",
        "township_centre",
        "other_township_centre",
        "village_clinic",
        "other_county_hospital",
    },
    "other_county_staff": {"other_county_hospital", "prefecture_hospital"},
}
# Audit rows are written at these villages; who reads which (others: 403, no reading).
AUDIT_VILLAGES = ("village", "other_township_village", "other_county_village")
AUDIT = {
    "county_staff": {"village", "other_township_village"},
    "other_county_staff": {"other_county_village"},
}


def expected_institutions(role, institutions) -> set[str]:
    return {getattr(institutions, name).code for name in INSTITUTIONS[role]}


def expected_regions(role, tree, *, above=False) -> set[str]:
    names = SCOPE[role] | (ABOVE[role] if above else set())
    return {getattr(tree, name).code for name in names}


@pytest.mark.parametrize("role", ROLES)
def test_institution_api_list_and_detail(users, institutions, api_as, role):
    client = api_as(getattr(users, role))
    response = client.get("/api/v1/institutions/", {"page_size": 500})
    assert response.status_code == 200
    seen = {row["code"] for row in response.json()["results"]}
    assert seen == expected_institutions(role, institutions)
    for institution in Institution.objects.all():
        detail = client.get(f"/api/v1/institutions/{institution.pk}/")
        assert detail.status_code == (200 if institution.code in seen else 404)


@pytest.mark.parametrize("role", ROLES)
def test_institution_page(users, institutions, client_as, role):
    response = client_as(getattr(users, role)).get(reverse("institutions"))
    assert response.status_code == 200
    shown = {i.code for i in response.context["object_list"]}
    assert shown == expected_institutions(role, institutions)


@pytest.mark.parametrize("role", ROLES)
def test_region_api(users, tree, api_as, role):
    client = api_as(getattr(users, role))
    response = client.get("/api/v1/regions/", {"page_size": 500})
    seen = {row["code"] for row in response.json()["results"]}
    assert seen == expected_regions(role, tree, above=True)
    for region in Region.objects.all():
        detail = client.get(f"/api/v1/regions/{region.code}/")
        assert detail.status_code == (200 if region.code in seen else 404)


@pytest.fixture
def audit_rows(users, tree):
    return {
        name: record(
            action="update",
            by=users.county_staff,
            target_type="test.thing",
            target_id=getattr(tree, name).code,
            region_code=getattr(tree, name).code,
            message="测试",
        )
        for name in AUDIT_VILLAGES
    }


@pytest.mark.parametrize("role", ROLES)
def test_audit_api_and_page(users, audit_rows, api_as, client, role):
    user = getattr(users, role)
    expected = {audit_rows[name].pk for name in AUDIT.get(role, ())}
    api = api_as(user)
    response = api.get("/api/v1/audit/", {"page_size": 500})
    client.force_login(user)
    page = client.get(reverse("audit-log"))
    if role in AUDIT:
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
    # Session authentication comes first and sends no challenge, so DRF answers 403, not 401.
    response = api_client.get("/api/v1/institutions/")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


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
def test_visible_to_is_the_own_subtree_without_ancestors(users, tree, role):
    user = getattr(users, role)
    assert set(Region.objects.visible_to(user).values_list("code", flat=True)) == (
        expected_regions(role, tree)
    )
    assert set(
        Region.objects.visible_to(user, ancestors=True).values_list("code", flat=True)
    ) == expected_regions(role, tree, above=True)


# The dashboard (/dashboard/?region=CODE): a region of the scope down to townships opens, any
# other is 404; hospital staff see their institution whatever the query string says; village
# doctors have no dashboard.
DASHBOARD_REGIONS = [
    "province",
    "prefecture",
    "county",
    "township",
    "other_township",
    "other_county",
    "other_county_township",
]


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_regions(users, tree, client_as, role):
    client = client_as(getattr(users, role))
    for name in DASHBOARD_REGIONS:
        code = getattr(tree, name).code
        response = client.get("/dashboard/", {"region": code})
        if role == "village_doctor":
            expected = 403
        elif role == "hospital_staff":
            expected = 200
        else:
            expected = 200 if name in SCOPE[role] else 404
        assert response.status_code == expected, (role, name)
