"""Fixtures of the registry tests: one household in each village of the shared tree.

Villages: 能禹村 and 丙间村 (元马镇), 小雷宰村 (黄瓜园镇, same county), 大庄村 (双柏县).
Each household has a head and a spouse, so every role has records inside and outside its
scope, and each member's name says where they live.
"""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from households.choices import PovertyCause, Relation, Sex
from households.services import disease_catalogue_sync
from tests.households.factories import HouseholdFactory, MemberFactory

VILLAGE_KEYS = ("village", "village2", "other_township_village", "other_county_village")

# Which of the registry's villages each user of the shared ``users`` fixture sees.
VISIBLE = {
    "county_staff": {"village", "village2", "other_township_village"},
    "township_doctor": {"village", "village2"},
    "village_doctor": {"village"},
    "hospital_staff": {"village", "village2", "other_township_village"},
    "supervisor": set(VILLAGE_KEYS),
    "other_county_staff": {"other_county_village"},
}


@pytest.fixture
def catalogue(db):
    """The disease table, restored in case a flushing test emptied it."""
    disease_catalogue_sync()


@pytest.fixture(autouse=True)
def _clear_throttles():
    # The reveal throttle counts in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(tree, catalogue):
    households, heads, spouses = {}, {}, {}
    for index, key in enumerate(VILLAGE_KEYS, start=1):
        village = getattr(tree, key)
        short = village.name.removesuffix("村委会")
        household = HouseholdFactory(
            number=f"{village.code}{index:04d}",
            village=village,
            poverty_cause=PovertyCause.ILLNESS if index % 2 else PovertyCause.LABOUR,
            illness_caused=bool(index % 2),
        )
        households[key] = household
        heads[key] = MemberFactory(
            household=household, name=f"{short}户主", relation=Relation.HEAD, sex=Sex.MALE
        )
        spouses[key] = MemberFactory(
            household=household, name=f"{short}配偶", relation=Relation.SPOUSE, sex=Sex.FEMALE
        )
    return SimpleNamespace(households=households, heads=heads, spouses=spouses)
