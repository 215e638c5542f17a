"""The permission matrix of the rectification tracker, pages and API, over every role; the
pages a role may use; the list's and the API's pinned query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectification import services
from rectification.models import RectificationItem

pytestmark = pytest.mark.django_db

ROLES = [
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
]
# Items of: the county (元谋县), 元马镇, 黄瓜园镇, and 双柏县.
SEES = {
    "county_staff": {"county", "township", "other_township"},
    "township_doctor": {"township"},
    "village_doctor": set(),
    "hospital_staff": None,  # no rectification pages or records
    "supervisor": {"county", "township", "other_township", "other_county"},
    "other_county_staff": {"other_county"},
}


def _item(region, by, unit):
    return services.item_create(
        source="supervision",
        found_on=datetime.date(2019, 3, 1),
        finding=f"{unit}的问题",
        responsible_unit=unit,
        region=region,
        deadline=datetime.date(2099, 6, 30),
        by=by,
    )


@pytest.fixture
def items(users, tree):
    return {
        "county": _item(tree.county, users.county_staff, "县卫健局"),
        "township": _item(tree.township, users.county_staff, "元马镇卫生院"),
        "other_township": _item(tree.other_township, users.county_staff, "黄瓜园镇卫生院"),
        "other_county": _item(tree.other_county, users.other_county_staff, "双柏县卫健局"),
    }


@pytest.mark.parametrize("role", ROLES)
def test_api(users, items, api_as, role):
    client = api_as(getattr(users, role))
    response = client.get("/api/v1/rectification-items/", {"page_size": 500})
    assert response.status_code == 200
    expected = {items[name].pk for name in SEES[role] or ()}
    assert {row["id"] for row in response.json()["results"]} == expected
    for item in items.values():
        detail = client.get(f"/api/v1/rectification-items/{item.pk}/")
        assert detail.status_code == (200 if item.pk in expected else 404)


@pytest.mark.parametrize("role", ROLES)
def test_pages(users, items, client_as, role):
    client = client_as(getattr(users, role))
    response = client.get(reverse("rectification:list"))
    if SEES[role] is None:
        assert response.status_code == 403
        return
    expected = {items[name].pk for name in SEES[role]}
    assert {i.pk for i in response.context["object_list"]} == expected
    for item in items.values():
        detail = client.get(reverse("rectification:detail", args=[item.pk]))
        assert detail.status_code == (200 if item.pk in expected else 404)
    overdue = client.get(reverse("rectification:overdue"))
    assert overdue.status_code == (200 if role in ("county_staff", "other_county_staff") else 403)
    create = client.get(reverse("rectification:create"))
    assert create.status_code == (200 if role in ("county_staff", "other_county_staff") else 403)


def test_page_flow(users, tree, items, client_as):
    item = items["township"]
    doctor = client_as(users.township_doctor)
    url = reverse("rectification:action", args=[item.pk, "progress"])
    doctor.post(url, {"status": "awaiting_check", "note": "已完成"})
    item.refresh_from_db()
    assert item.status == "awaiting_check"
    evidence = SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n")
    doctor.post(reverse("rectification:action", args=[item.pk, "evidence"]), {"file": evidence})
    page = doctor.get(reverse("rectification:detail", args=[item.pk]))
    assert page.context["close_form"] is None
    [file] = page.context["evidence"]
    assert doctor.get(reverse("rectification:evidence", args=[file.pk])).status_code == 200
    assert (
        client_as(users.other_county_staff)
        .get(reverse("rectification:evidence", args=[file.pk]))
        .status_code
        == 404
    )
    county = client_as(users.county_staff)
    page = county.get(reverse("rectification:detail", args=[item.pk]))
    assert page.context["close_form"] is not None
    county.post(reverse("rectification:action", args=[item.pk, "close"]), {"closed_on": ""})
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == users.county_staff
    history = county.get(reverse("rectification:detail", args=[item.pk])).context["history"]
    assert len(history) == 3  # created, awaiting check, closed
    # Create and edit through the form.
    response = county.post(
        reverse("rectification:create"),
        {
            "source": "audit",
            "found_on": "2019-04-01",
            "finding": "资金拨付滞后",
            "responsible_unit": "县医保局",
            "region": tree.county.code,
            "measures": "限期拨付",
            "deadline": "2099-05-01",
        },
    )
    created = RectificationItem.objects.get(finding="资金拨付滞后")
    assert response["Location"] == reverse("rectification:detail", args=[created.pk])
    county.post(
        reverse("rectification:update", args=[created.pk]),
        {
            "source": "audit",
            "found_on": "2019-04-01",
            "finding": "资金拨付滞后",
            "responsible_unit": "县医保局",
            "region": tree.county.code,
            "measures": "限期拨付",
            "deadline": "2019-05-01",
        },
    )
    created.refresh_from_db()
    assert created.status == "overdue"
    listing = county.get(reverse("rectification:list"), {"overdue": "true"})
    assert [i.pk for i in listing.context["object_list"]] == [created.pk]
    assert [i.pk for i in county.get(reverse("rectification:overdue")).context["object_list"]] == [
        created.pk
    ]


def test_api_writes(users, tree, api_as):
    county = api_as(users.county_staff)
    created = county.post(
        "/api/v1/rectification-items/",
        {
            "source": "patrol",
            "found_on": "2019-04-01",
            "finding": "签约不规范",
            "responsible_unit": "元马镇卫生院",
            "region": tree.township.code,
            "deadline": "2099-01-01",
        },
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    outside = county.post(
        "/api/v1/rectification-items/",
        {
            "source": "patrol",
            "found_on": "2019-04-01",
            "finding": "x",
            "responsible_unit": "y",
            "region": tree.other_county.code,
            "deadline": "2099-01-01",
        },
    )
    assert outside.status_code == 400
    doctor = api_as(users.township_doctor)
    assert doctor.post(f"/api/v1/rectification-items/{pk}/close/", {}).status_code == 403
    moved = doctor.post(
        f"/api/v1/rectification-items/{pk}/set-status/", {"status": "awaiting_check"}
    )
    assert moved.json()["status"] == "awaiting_check"
    closed = api_as(users.county_staff).post(f"/api/v1/rectification-items/{pk}/close/", {})
    assert closed.json()["status"] == "closed"
    again = api_as(users.county_staff).post(f"/api/v1/rectification-items/{pk}/close/", {})
    assert again.status_code == 400


def test_list_queries_do_not_grow(
    users, tree, items, client_as, api_as, django_assert_max_num_queries
):
    client = client_as(users.county_staff)
    client.get(reverse("rectification:list"))
    with django_assert_max_num_queries(12) as page:
        client.get(reverse("rectification:list"))
    api = api_as(users.county_staff)
    with django_assert_max_num_queries(8) as listing:
        api.get("/api/v1/rectification-items/")
    for n in range(5):
        _item(tree.township, users.county_staff, f"单位{n}")
    with django_assert_max_num_queries(len(page)):
        client.get(reverse("rectification:list"))
    with django_assert_max_num_queries(len(listing)):
        api.get("/api/v1/rectification-items/")
    with django_assert_max_num_queries(14):
        client.get(reverse("rectification:detail", args=[items["township"].pk]))
