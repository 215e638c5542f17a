"""Fixtures of the registry tests: one household in each village of the shared tree.

Villages: 能禹村 and 丙间村 (元马镇), 小雷宰村 (黄瓜园镇, same county), 大庄村 (双柏县).
Each household has a head and a spouse, so every role has records inside and outside its
scope, and each member's name says where they live.
"""

import pytest
from django.core.cache import cache

from households.services import disease_catalogue_sync
from tests.households.factories import VILLAGE_KEYS, build_registry

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
    return build_registry(tree)
