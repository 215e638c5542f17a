"""The screening sections of a briefing, from the screening demo (seed 002's free clinics)."""

import datetime as dt

import pytest
from django.utils import timezone

from reports.briefings.sections import build_sections
from screening import demo
from screening.models import Campaign
from tests.screening.conftest import catalogue, uncached_progress  # noqa: F401
from tests.screening.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tree, catalogue):  # noqa: F811
    for i in range(40):
        household = HouseholdFactory(
            village=tree.village if i % 2 else tree.other_township_village,
            illness_caused=i % 3 == 0,
        )
        MemberFactory(household=household)
    demo.seed("small", {"villages": [tree.village, tree.village2, tree.other_township_village]})


def test_free_clinics_and_five_ones_sections(seeded, users, tree):
    h1 = build_sections(users.county_staff, tree.county, dt.date(2019, 1, 1), dt.date(2019, 6, 30))
    clinics = next(s for s in h1 if s.key == "free_clinics")
    assert "共开展义诊活动21场次" in clinics.narrative
    assert "义诊服务总价值4.98万元" in clinics.narrative
    assert sum(row[1] for row in clinics.rows) == 21
    assert [row[0] for row in clinics.rows] == sorted(
        [row[0] for row in clinics.rows], key=["元马镇", "黄瓜园镇"].index
    )

    campaign = Campaign.objects.get()
    today = timezone.localdate()
    sections = build_sections(users.county_staff, tree.county, campaign.starts_on, today)
    five = next(s for s in sections if s.key == "five_ones")
    assert "覆盖建档立卡户14户" in five.narrative
    assert sum(row[1] for row in five.rows) == 14
    assert {row[0] for row in five.rows} <= {"元马镇", "黄瓜园镇"}
    # the prefecture's briefing: by county, the same totals
    prefecture = build_sections(users.supervisor, tree.prefecture, campaign.starts_on, today)
    by_county = next(s for s in prefecture if s.key == "five_ones")
    assert [row[0] for row in by_county.rows] == ["元谋县"]
    assert by_county.rows[0][1] == 14
    assert "全州" in by_county.narrative
    # the township's: by village, its own households only
    township = build_sections(users.township_doctor, tree.township, campaign.starts_on, today)
    mine = next((s for s in township if s.key == "five_ones"), None)
    if mine is not None:
        assert all(row[0].endswith("村委会") for row in mine.rows)
        assert sum(row[1] for row in mine.rows) < 14
