"""A briefing's tables by region come from grouped statements (one set of queries for all
the townships or counties); each row must equal the figures computed for that region alone."""

import dataclasses
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthaid.models import Region
from reports import indicators
from reports.briefings.sections import build_sections, child_regions

pytestmark = pytest.mark.django_db

PINNED_2019 = 30
PINNED_2026 = 30
PERIODS = [
    (dt.date(2019, 1, 1), dt.date(2019, 6, 30)),
    (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
]


@pytest.fixture
def demo():
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())


def _grouped_and_alone(user, region, children, start, end):
    """(grouped, alone) figures per child for each grouped indicator, as comparable values."""
    level, areas = children[0].level, [child.prefix for child in children]
    pairs = []
    screening = indicators.screening_indicators_by_area(
        user, region=region, start=start, end=end, level=level, areas=areas
    )
    batches = indicators.three_batches_by_area(
        user, region=region, start=start, end=end, level=level, areas=areas
    )
    settlements = indicators.settlement_indicators_by_area(
        user, region=region, start=start, end=end, level=level, areas=areas
    )
    for child in children:
        alone = indicators.settlement_indicators(user, region=child, start=start, end=end)
        got = settlements[child.prefix]
        pairs += [
            (
                screening[child.prefix],
                indicators.screening_indicators(user, region=child, start=start, end=end),
            ),
            (
                dataclasses.astuple(batches[child.prefix]),
                dataclasses.astuple(
                    indicators.three_batches(user, region=child, start=start, end=end)
                ),
            ),
            (
                (got.inpatient.sums, got.outpatient.sums),
                (alone.inpatient.sums, alone.outpatient.sums),
            ),
        ]
    return pairs


def _has_data(value) -> bool:
    if isinstance(value, dict):
        return any(v for v in value.values() if isinstance(v, int))
    return any(part.count if hasattr(part, "count") else part for part in value)


@pytest.mark.parametrize(
    ("username", "publisher"), [("county", "532328000000"), ("supervisor", "532300000000")]
)
def test_each_row_equals_its_region_alone(demo, username, publisher):
    user = get_user_model().objects.get(username=username)
    region = Region.objects.get(code=publisher)
    children = child_regions(region)
    assert len(children) == 10
    counted = 0
    for start, end in PERIODS:
        for grouped, alone in _grouped_and_alone(user, region, children, start, end):
            assert grouped == alone
            counted += _has_data(alone)
    # the demo has screenings, cases and settlements in more than one region
    assert counted > 4


def test_a_county_briefing_takes_a_fixed_number_of_queries(demo, settings):
    """Ten townships' tables, each section's in one set of grouped queries (was 97 for a
    county's half year when each township was counted alone)."""
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
    settings.SCREENING_PROGRESS_CACHE_SECONDS = 0
    user = get_user_model().objects.get(username="county")
    county = Region.objects.get(code="532328000000")
    for start, end, pinned in [
        (dt.date(2019, 1, 1), dt.date(2019, 6, 30), PINNED_2019),
        (dt.date(2026, 1, 1), dt.date(2026, 6, 30), PINNED_2026),
    ]:
        with CaptureQueriesContext(connection) as queries:
            build_sections(user, county, start, end)
        assert len(queries) == pinned, (start, [q["sql"][:80] for q in queries])
