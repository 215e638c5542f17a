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
# Hospital staff (元谋县人民医院) see no village as such: only the members their institution's
# records involve (``INVOLVED``, registered by the ``registry`` fixture) and those members'
# households; with no such record they would see nothing.
VISIBLE = {
    "county_staff": {"village", "village2", "other_township_village"},
    "township_doctor": {"village", "village2"},
    "village_doctor": {"village"},
    "hospital_staff": {"village", "other_county_village"},
    "supervisor": set(VILLAGE_KEYS),
    "other_county_staff": {"other_county_village"},
}
# The members involved with the county hospital: 能禹村's head (a referral, say) and 大庄村's
# spouse (双柏县: a patient from another county treated there). Hospital staff see exactly these
# members, not the others of their households.
INVOLVED = {("village", "head"), ("other_county_village", "spouse")}


def visible_members(role: str, registry) -> set[int]:
    """The member ids ``role`` sees in the ``registry`` fixture."""
    if role == "hospital_staff":
        return {getattr(registry, f"{kind}s")[key].pk for key, kind in INVOLVED}
    return {m.pk for key in VISIBLE[role] for m in (registry.heads[key], registry.spouses[key])}


@pytest.fixture
def involve():
    """``involve(institution, *members)``: records of ``institution`` involve those members.

    Registers an involvement provider (as the consortium app does) for the test's duration.
    """
    from django.db.models import F

    from households import involvement
    from households.models import Member

    links: dict[int, set[int]] = {}

    def provider(institution_id):
        return Member.objects.filter(pk__in=links.get(institution_id, ())).values(member_id=F("pk"))

    def add(institution, *members):
        links.setdefault(institution.pk, set()).update(m.pk for m in members)

    involvement.register_member_involvement(provider)
    yield add
    involvement.unregister_member_involvement(provider)


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
def registry(tree, catalogue, institutions, involve):
    registry = build_registry(tree)
    involve(
        institutions.county_hospital,
        *(getattr(registry, f"{kind}s")[key] for key, kind in INVOLVED),
    )
    return registry
