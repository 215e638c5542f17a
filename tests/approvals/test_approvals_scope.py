"""The permission matrix of approvals, pages and API, generated over every role, and the
pinned query counts of their lists. Written down record by record: each role sees the
approvals of its scope (hospital staff: their institution's), and 404 outside it."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from approvals import services
from approvals.models import Approval

pytestmark = pytest.mark.django_db

ROLES = [
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
]
# Approvals of: 元马镇 (township), 元谋县人民医院 (institution), 双柏县's 妥甸镇 (made directly).
SEES = {
    "county_staff": {"township", "hospital"},
    "township_doctor": {"township"},
    "village_doctor": set(),  # a village's scope holds no township's approval
    "hospital_staff": {"hospital"},
    "supervisor": {"township", "hospital", "other_county"},
    "other_county_staff": {"other_county"},
}


@pytest.fixture
def approvals(users, tree):
    township = services.approval_submit(
        period_kind="month", year=2019, number=3, by=users.township_doctor
    )
    hospital = services.approval_submit(
        period_kind="month", year=2019, number=3, by=users.hospital_staff
    )
    other = Approval.objects.create(
        unit_kind="township",
        region=tree.other_county_township,
        period_kind="month",
        year=2019,
        number=3,
        start=township.start,
        end=township.end,
        status="submitted",
    )
    return {"township": township, "hospital": hospital, "other_county": other}


@pytest.mark.parametrize("role", ROLES)
def test_api_list_and_detail(users, approvals, api_as, role):
    client = api_as(getattr(users, role))
    response = client.get("/api/v1/approvals/", {"page_size": 500})
    assert response.status_code == 200
    expected = {approvals[name].pk for name in SEES[role]}
    assert {row["id"] for row in response.json()["results"]} == expected
    for approval in approvals.values():
        detail = client.get(f"/api/v1/approvals/{approval.pk}/")
        assert detail.status_code == (200 if approval.pk in expected else 404)


@pytest.mark.parametrize("role", ROLES)
def test_pages(users, approvals, client_as, role):
    client = client_as(getattr(users, role))
    response = client.get(reverse("approvals:list"))
    assert response.status_code == 200
    expected = {approvals[name].pk for name in SEES[role]}
    assert {a.pk for a in response.context["object_list"]} == expected
    for approval in approvals.values():
        detail = client.get(reverse("approvals:detail", args=[approval.pk]))
        assert detail.status_code == (200 if approval.pk in expected else 404)


def test_api_actions(users, api_as):
    township = api_as(users.township_doctor)
    created = township.post(
        "/api/v1/approvals/submit/", {"period_kind": "quarter", "year": 2019, "number": 1}
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["status"] == "submitted"
    assert township.post(f"/api/v1/approvals/{pk}/approve/", {}).status_code == 403
    county = api_as(users.county_staff)
    assert county.post("/api/v1/approvals/submit/", {"period_kind": "month", "year": 2019, "number": 1}).status_code == 403  # fmt: skip
    assert county.post(f"/api/v1/approvals/{pk}/return/", {"comment": ""}).status_code == 400
    returned = county.post(f"/api/v1/approvals/{pk}/return/", {"comment": "重报"})
    assert returned.json()["status"] == "returned"
    again = api_as(users.township_doctor).post(
        "/api/v1/approvals/submit/", {"period_kind": "quarter", "year": 2019, "number": 1}
    )
    assert again.status_code == 201 and again.json()["id"] == pk
    approved = api_as(users.county_staff).post(f"/api/v1/approvals/{pk}/approve/", {})
    assert approved.json()["status"] == "approved"
    assert [s["action"] for s in approved.json()["steps"]] == [
        "submit",
        "return",
        "submit",
        "approve",
    ]
    supervisor = api_as(users.supervisor)
    assert supervisor.post(f"/api/v1/approvals/{pk}/return/", {"comment": "x"}).status_code == 403


def test_list_queries_do_not_grow(
    users, tree, approvals, client_as, api_as, django_assert_max_num_queries
):
    client = client_as(users.county_staff)
    client.get(reverse("approvals:list"))
    # The units' statuses computed each time (they are cached between submissions).
    cache.clear()
    with django_assert_max_num_queries(14) as before:
        client.get(reverse("approvals:list"))
    api = api_as(users.county_staff)
    with django_assert_max_num_queries(8) as api_before:
        api.get("/api/v1/approvals/")
    for month in (4, 5, 6):
        services.approval_submit(
            period_kind="month", year=2019, number=month, by=users.township_doctor
        )
        services.approval_submit(
            period_kind="month", year=2019, number=month, by=users.hospital_staff
        )
    cache.clear()
    with django_assert_max_num_queries(len(before)):
        client.get(reverse("approvals:list"))
    with django_assert_max_num_queries(len(api_before)):
        api.get("/api/v1/approvals/")
    detail = Approval.objects.first()
    with django_assert_max_num_queries(14):
        client.get(reverse("approvals:detail", args=[detail.pk]))
