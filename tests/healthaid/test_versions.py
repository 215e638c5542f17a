"""healthaid.versions: a version starts from the clock, moves on bump, and a writer's change
moves it again when its transaction commits."""

import pytest
from django.core.cache import cache

from healthaid.versions import Version, cached_for_scope

pytestmark = pytest.mark.django_db


def test_a_version_starts_from_the_clock_and_moves():
    cache.clear()
    version = Version("test:version")
    first = version.get()
    assert first > 1_700_000_000_000_000  # microseconds since 1970, not 0 or 1
    assert version.get() == first
    version.bump()
    assert version.get() == first + 1
    cache.clear()  # a flush: a new number, never an old one again
    assert version.get() > first + 1


def test_changed_moves_now_and_on_commit(django_capture_on_commit_callbacks):
    cache.clear()
    version = Version("test:version")
    first = version.get()
    with django_capture_on_commit_callbacks(execute=True):
        version.changed()
        assert version.get() == first + 1
    assert version.get() == first + 2


def test_cached_for_scope_keys_on_scope_parts_and_versions(users, tree):
    cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    def read(user, parts=(1,), versions=(7,), region=None):
        return cached_for_scope("test", "k", user, region, parts, versions, compute, 60)

    assert read(users.county_staff) == 1
    assert read(users.county_staff) == 1
    assert read(users.township_doctor) == 2  # another scope
    assert read(users.county_staff, parts=(2,)) == 3
    assert read(users.county_staff, versions=(8,)) == 4
    assert read(users.county_staff, region=tree.township) == 5
    assert cached_for_scope("test", "k", users.county_staff, None, (), (), compute, 0) == 6
