"""The rectification list: rows as plain values with the labels of the model, the items
not closed first (the nearest deadline first), then the closed ones (the latest first)."""

import datetime

import pytest
from django.template.defaultfilters import truncatechars
from django.urls import reverse

from rectification import selectors, services
from rectification.choices import ItemStatus
from rectification.models import RectificationItem

pytestmark = pytest.mark.django_db


def _item(tree, by, unit, *, deadline, finding=None, found_on=datetime.date(2019, 3, 1)):
    return services.item_create(
        source="audit",
        found_on=found_on,
        finding=finding or f"{unit}的问题",
        responsible_unit=unit,
        region=tree.township,
        deadline=deadline,
        by=by,
    )


def _close(item, by, on):
    services.item_set_status(item=item, status=ItemStatus.AWAITING_CHECK, by=by)
    services.item_close(item=item, by=by, closed_on=on)


@pytest.fixture
def listed(tree, users):
    by = users.county_staff
    later = _item(tree, by, "later", deadline=datetime.date(2099, 9, 1))
    sooner = _item(tree, by, "sooner", deadline=datetime.date(2099, 3, 1))
    overdue = _item(tree, by, "overdue", deadline=datetime.date(2019, 4, 1))
    closed_early = _item(tree, by, "closed early", deadline=datetime.date(2019, 5, 1))
    closed_late = _item(tree, by, "closed late", deadline=datetime.date(2019, 4, 15))
    _close(closed_early, by, datetime.date(2019, 4, 1))
    _close(closed_late, by, datetime.date(2019, 6, 1))
    return [overdue, sooner, later, closed_late, closed_early]


def test_items_not_closed_come_first(listed, users, client_as):
    assert listed[0].status == ItemStatus.OVERDUE and listed[-1].status == ItemStatus.CLOSED
    response = client_as(users.county_staff).get(reverse("rectification:list"))
    assert [row["unit"] for row in response.context["rows"]] == [
        item.responsible_unit for item in listed
    ]
    ordered = selectors.items_open_first(RectificationItem.objects.all())
    assert list(ordered) == listed


def test_rows_say_what_the_model_says(tree, users, client_as):
    long_finding = "<b>" + "村卫生室" * 20
    item = _item(tree, users.county_staff, "元马镇卫生院", deadline=datetime.date(2099, 1, 2))
    services.item_update(item=item, by=users.county_staff, finding=long_finding)
    item.refresh_from_db()
    client = client_as(users.county_staff)

    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        response = client.get(reverse("rectification:list"))
        (row,) = response.context["rows"]
        assert row == {
            "url": reverse("rectification:detail", args=[item.pk]),
            "unit": "元马镇卫生院",
            "finding": truncatechars(long_finding, 60),
            "source": str(item.get_source_display()),
            "found_on": "2019-03-01",
            "deadline": "2099-01-02",
            "status": item.status,
            "status_label": str(item.get_status_display()),
        }
        html = response.content.decode()
        # The table and the phone's cards, both escaped.
        assert html.count(f'href="{row["url"]}"') == 2
        assert "&lt;b&gt;村卫生室" in html and "<b>村" not in html
        assert html.count(row["status_label"]) >= 2


def test_the_empty_list_says_so(users, client_as):
    response = client_as(users.county_staff).get(reverse("rectification:list"))
    assert response.context["rows"] == []
    assert response.content.decode().count("没有符合条件的问题。") == 2


def test_the_overdue_page_lists_rows_too(listed, users, client_as):
    response = client_as(users.county_staff).get(reverse("rectification:overdue"))
    assert [row["unit"] for row in response.context["rows"]] == ["overdue"]
