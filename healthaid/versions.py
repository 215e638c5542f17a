"""Cache versions: a number per kind of data that its writers move, and figures cached under it.

A figure computed from a set of tables is cached under a key that ends with the version of
those tables; a writer moves the version and the next read computes the figure anew, with no
expiry to wait for and nothing to delete. A version starts from the clock when it is missing
(first use, a cache flush, an eviction), so a number is never reused for data it was not
computed from. Writers call :meth:`Version.changed`, which moves it at once and again when
their transaction commits, so a figure computed in between from the data before the commit
is not reused either.

Within a request each version is read from the cache once (:func:`read_once_per_request`,
entered by ``healthaid.middleware.RequestContextMiddleware``): a page reads the registry's
or the figures' version from two or three selectors, and each read was a round trip to the
cache (Redis in production). A page that reads several reads them together
(:func:`read_versions`), and a bump forgets the value it moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import transaction

from healthaid.scoping import get_profile, scope_prefix_within, user_role

# The versions read in this request, by key; ``None`` outside a request (a job, a command).
_read_in_request: ContextVar[dict[str, int] | None] = ContextVar("versions_read", default=None)


@contextmanager
def read_once_per_request() -> Iterator[None]:
    token = _read_in_request.set({})
    try:
        yield
    finally:
        _read_in_request.reset(token)


# The versions pages read (each ``Version``'s, and the keys given to ``page_version``): a
# request's first read fetches all of them in its one round trip. A list page read the
# profiles' and the tree's for its user, then its own data's for its count, and the
# worklist's screening block two more: one round trip each, where one does for all.
_PAGE_VERSIONS: list[str] = []


def page_version(key: str) -> str:
    """``key``, among the versions a request's first read fetches."""
    if key not in _PAGE_VERSIONS:
        _PAGE_VERSIONS.append(key)
    return key


def read_versions(keys: Iterable[str]) -> dict[str, int]:
    """The versions under ``keys``: one cache read for those this request has not read yet
    (all of them outside a request; the first in a request reads every page version with
    them). A missing one starts from the clock."""
    keys = list(keys)
    read = _read_in_request.get()
    if read is None:
        wanted = keys
    else:
        asked = [*keys, *_PAGE_VERSIONS] if not read else keys
        wanted = [key for key in dict.fromkeys(asked) if key not in read]
    found: dict[str, int] = {}
    if wanted:
        found = cache.get_many(wanted)
        missing = [key for key in wanted if key not in found]
        if missing:
            start = time.time_ns() // 1000
            for key in missing:
                cache.add(key, start, None)
            found.update(cache.get_many(missing))
        if read is not None:
            read.update(found)
    known = found if read is None else read
    return {key: known.get(key, 0) for key in keys}


def bump_versions(keys: Iterable[str]) -> None:
    """Move the versions under ``keys`` (a missing one starts from the clock, which is new
    too); this request reads them again."""
    read = _read_in_request.get()
    for key in keys:
        if read is not None:
            read.pop(key, None)
        try:
            cache.incr(key)
        except ValueError:
            read_versions([key])


class Version:
    def __init__(self, key: str) -> None:
        self.key = page_version(key)

    def get(self) -> int:
        return read_versions([self.key])[self.key]

    def bump(self) -> None:
        bump_versions([self.key])

    def changed(self) -> None:
        self.bump()
        transaction.on_commit(self.bump)


# The administrative tree and its institutions: moved by every save and delete of a region or
# an institution (``healthaid.apps``);
# the roster import, which creates villages in bulk, moves the registry's version instead.
REGIONS_VERSION = Version("healthaid:regions-version")


def regions_version() -> int:
    return REGIONS_VERSION.get()


def regions_changed(**_signal) -> None:
    REGIONS_VERSION.changed()


def scope_key(user) -> str | None:
    """What a user's figures depend on besides the data: role, area and, for hospital
    staff, institution. ``None`` for a user who sees nothing."""
    prefix = scope_prefix_within(user)
    if prefix is None:
        return None
    profile = get_profile(user)
    institution = profile.institution_id if profile is not None else None
    return f"{user_role(user)}@{prefix or 'all'}#{institution or '-'}"


def cached_for_scope(
    namespace: str,
    kind: str,
    user,
    region,
    parts: Iterable[Any],
    versions: Iterable[int],
    compute: Callable[[], Any],
    seconds: int,
):
    """``compute()``, cached ``seconds`` under the user's scope, the region, ``parts`` (a
    period, say) and ``versions``; computed every time when ``seconds`` is 0 or the user
    sees nothing."""
    scope = scope_key(user)
    if not seconds or scope is None:
        return compute()
    key = ":".join(
        [
            namespace,
            kind,
            scope,
            region.code if region is not None else "-",
            *[str(part) for part in parts],
            *[str(version) for version in versions],
        ]
    )
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value
