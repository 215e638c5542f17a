"""Fixtures of the settlement tests: the shared tree with a registry and the disease catalogue."""

import pytest
from django.core.cache import cache

from households.services import disease_catalogue_sync
from tests.households.factories import build_registry


@pytest.fixture
def catalogue(db):
    disease_catalogue_sync()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(tree, catalogue):
    return build_registry(tree)


# Where each village's head was treated: 能禹村 at the county hospital, 丙间村 at 元马镇卫生院,
# 小雷宰村 at the county hospital, 大庄村 (双柏县) at 双柏县人民医院.
TREATED_AT = {
    "village": "county_hospital",
    "village2": "township_centre",
    "other_township_village": "county_hospital",
    "other_county_village": "other_county_hospital",
}

# Which villages' encounters each user of the shared ``users`` fixture sees.
VISIBLE = {
    "county_staff": {"village", "village2", "other_township_village"},
    "township_doctor": {"village", "village2"},
    "village_doctor": {"village"},
    "hospital_staff": {"village", "other_township_village"},  # treated at 元谋县人民医院
    "supervisor": {"village", "village2", "other_township_village", "other_county_village"},
    "other_county_staff": {"other_county_village"},
}


@pytest.fixture
def encounters(registry, institutions):
    """One settled inpatient stay per village's head (see ``TREATED_AT``)."""
    import datetime

    from medconsortium.settlement_services import encounter_settlement_upsert
    from tests.medconsortium.settlements.settlement_factories import row

    result = {}
    for index, (key, where) in enumerate(TREATED_AT.items()):
        day = datetime.date(2019, 3, 1 + index)
        settlement, _what = encounter_settlement_upsert(
            row=row(
                registry.heads[key],
                getattr(institutions, where),
                admitted_on=day,
                discharged_on=day + datetime.timedelta(days=3),
            ),
            by=None,
        )
        result[key] = settlement.encounter
    return result
