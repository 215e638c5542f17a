"""healthaid.versions: a version starts from the clock, moves on bump, and a writer's change
moves it again when its transaction commits; a request reads each version once."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from healthaid.versions import Version, cached_for_scope, read_once_per_request, read_versions

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


class CacheReads:
    """Counts the default cache's reads (``get`` and ``get_many``, one round trip each on
    Redis; the test cache's ``get_many`` calls its ``get``, which is not counted again)."""

    def __init__(self, monkeypatch):
        self.count = 0
        self.inside = False
        for name in ("get", "get_many"):
            original = getattr(cache, name)

            def counted(*args, _original=original, **kwargs):
                if self.inside:
                    return _original(*args, **kwargs)
                self.count += 1
                self.inside = True
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.inside = False

            monkeypatch.setattr(cache, name, counted)


def test_a_request_reads_each_version_once_and_a_bump_reads_it_again(monkeypatch):
    cache.clear()
    first, second = Version("test:first"), Version("test:second")
    with read_once_per_request():  # every page version starts from the clock here
        started = read_versions([first.key, second.key])
    reads = CacheReads(monkeypatch)
    with read_once_per_request():
        assert read_versions([first.key, second.key]) == started
        assert reads.count == 1  # both in one round trip
        assert first.get() == started[first.key]
        assert second.get() == started[second.key]
        assert reads.count == 1  # read already in this request
        first.bump()
        assert first.get() == started[first.key] + 1  # the bump is seen at once
        assert reads.count == 2
        assert second.get() == started[second.key]
        assert reads.count == 2
    # Outside a request (a job, a command) every read goes to the cache: another process
    # may have moved the version since.
    cache.incr(second.key)
    assert second.get() == started[second.key] + 1
    assert reads.count == 3


def test_a_request_s_first_read_fetches_every_page_version(monkeypatch):
    """A list page reads the profiles' and the tree's versions for its user, then its own
    data's for its count: one round trip for all of them."""
    from healthaid.profiles import PROFILES_VERSION
    from healthaid.versions import REGIONS_VERSION
    from households.selectors import REGISTRY_VERSION
    from medconsortium.settlement_selectors import FIGURES_VERSION

    cache.clear()
    with read_once_per_request():
        read_versions([PROFILES_VERSION.key])  # every page version starts from the clock
    registry = REGISTRY_VERSION.get()
    reads = CacheReads(monkeypatch)
    with read_once_per_request():
        read_versions([PROFILES_VERSION.key, REGIONS_VERSION.key])
        assert REGISTRY_VERSION.get() == registry
        FIGURES_VERSION.get()
        assert reads.count == 1
        REGISTRY_VERSION.bump()
        assert REGISTRY_VERSION.get() == registry + 1  # a bump is read again, alone
        assert reads.count == 2


def test_a_version_moved_by_another_process_shows_in_the_next_request():
    cache.clear()
    version = Version("test:version")
    with read_once_per_request():
        first = version.get()
        cache.incr(version.key)  # another web process records a visit
        assert version.get() == first  # one request sees one state of the data
    with read_once_per_request():
        assert version.get() == first + 1


def test_the_worklist_page_reads_its_versions_in_one_round_trip(
    users, client_as, monkeypatch, settings
):
    settings.WORKLIST_CACHE_SECONDS = 600
    client = client_as(users.township_doctor)
    assert client.get(reverse("contracts:worklist")).status_code == 200
    reads = CacheReads(monkeypatch)
    assert client.get(reverse("contracts:worklist")).status_code == 200
    # The session; every page version, at the worklist's first read; the worklist; the
    # screening block (its versions read already).
    assert reads.count == 4
