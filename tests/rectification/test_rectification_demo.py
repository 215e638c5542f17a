"""The rectification demo: two years of a county's findings, most past ones closed, some
overdue, the latest round open or in progress; one audit row an item; idempotent."""

import datetime

import pytest
from django.utils import timezone

from healthaid.models import AuditLog
from rectification import demo
from rectification.choices import ItemStatus, Source
from rectification.models import RectificationItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def villages(tree):
    return [tree.village, tree.village2, tree.other_township_village, tree.other_county_village]


def test_a_county_gets_two_years_of_findings_once(tree, users, villages):
    summary = demo.seed("small", {"villages": villages})

    items = list(RectificationItem.objects.all())
    assert summary.startswith(f"{len(items)} rectification items")
    assert len(items) > 40
    today = timezone.localdate()
    # Small and county scale: 元谋县 only, at its townships and the county itself.
    assert {item.region_id for item in items} == {
        tree.county.code,
        tree.township.code,
        tree.other_township.code,
    }
    assert {item.source for item in items} == set(Source.values) - {Source.OTHER}
    assert {item.status for item in items} == set(ItemStatus.values)
    for item in items:
        assert today - datetime.timedelta(days=demo.DAYS_BACK) <= item.found_on < today
        assert item.deadline > item.found_on
        assert item.finding and item.measures and item.responsible_unit
        if item.status == ItemStatus.CLOSED:
            assert item.found_on <= item.closed_on < today
        else:
            assert item.closed_on is None
        if item.status == ItemStatus.OVERDUE:
            assert item.deadline < today
        if item.status in (ItemStatus.OPEN, ItemStatus.IN_PROGRESS):
            assert item.deadline >= today  # the daily task would have flagged it
    units = {item.responsible_unit for item in items}
    assert {"元马镇卫生院", "黄瓜园镇卫生院", "能禹村卫生室", "元谋县卫生健康局"} <= units
    # One audit row each, in the item's region, as the service writes it.
    rows = AuditLog.objects.filter(target_type="rectification.rectificationitem")
    assert sorted(int(pk) for pk in rows.values_list("target_id", flat=True)) == sorted(
        item.pk for item in items
    )
    assert {row.region_code for row in rows} == {item.region_id for item in items}

    assert demo.seed("small", {"villages": villages}) == (
        "rectification already seeded; nothing added"
    )
    assert RectificationItem.objects.count() == len(items)


def test_the_same_rows_each_time(tree, villages):
    today = timezone.localdate()
    townships = [tree.township, tree.other_township]
    by_township = {"532328101": [tree.village, tree.village2], "532328102": [tree.village]}
    first = demo.county_items(tree.county, townships, by_township, today, per_round=2)
    again = demo.county_items(tree.county, townships, by_township, today, per_round=2)
    assert first == again


def test_a_prefecture_gets_every_county(tree, villages):
    demo.seed("prefecture", {"villages": villages})
    counties = {code[:6] for code in RectificationItem.objects.values_list("region", flat=True)}
    assert counties == {"532328", "532322"}


def test_clinic_names():
    assert demo.clinic_name(type("V", (), {"name": "能禹村委会"})()) == "能禹村卫生室"
    assert demo.clinic_name(type("V", (), {"name": "元马社区"})()) == "元马社区卫生室"
