"""A request's user profile (role, region, institution) from the cache.

Every page needs its user's profile: the navigation shows the role and region, and the
scope of every list is the region's code. Loaded by ``healthaid.scoping.get_profile`` it is a
query with two joins, about 1 ms of the web process's time a request (a third of a bare
page's), for a row that changes perhaps once a year. ``user_with_profile`` gives the request
its user with the profile already read from the cache, under versions that every write of a
profile (``PROFILES_VERSION``, moved by ``healthaid.apps``) and of a region or institution
(``REGIONS_VERSION``, whose rows the profile carries) moves: a new role or region applies
from the user's next request, as it did when every request read the row.
``RequestContextMiddleware`` puts it in place of Django's lazy user.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.core.cache import cache

from healthaid.scoping import get_profile
from healthaid.versions import REGIONS_VERSION, Version, read_versions

PROFILES_VERSION = Version("healthaid:profiles-version")
DEFAULT_PROFILE_CACHE_SECONDS = 600
_MISSING = object()


def profiles_changed(**_signal) -> None:
    """Called on every save and delete of a profile: see :class:`healthaid.versions.Version`.
    A writer in bulk (``bulk_create``, ``update``) calls it itself."""
    PROFILES_VERSION.changed()


def _profile_key(user_pk: int) -> str:
    versions = read_versions([PROFILES_VERSION.key, REGIONS_VERSION.key])
    return f"healthaid:profile:{user_pk}:{versions[PROFILES_VERSION.key]}:" + str(
        versions[REGIONS_VERSION.key]
    )


def prime_profile(user) -> None:
    """Give ``user`` its profile from the cache, so that ``get_profile`` runs no query; on a
    miss, ``get_profile`` reads it and the cache keeps it (``None`` too: a user without a
    profile sees nothing, and is asked again after the next change of any profile)."""
    seconds = getattr(settings, "PROFILE_CACHE_SECONDS", DEFAULT_PROFILE_CACHE_SECONDS)
    if not seconds or not user.is_authenticated or hasattr(user, "_healthaid_profile"):
        return
    key = _profile_key(user.pk)
    profile = cache.get(key, _MISSING)
    if profile is _MISSING:
        cache.set(key, get_profile(user), seconds)
    else:
        user._healthaid_profile = profile


def user_with_profile(request):
    """The request's user as Django's ``AuthenticationMiddleware`` finds it, its profile
    primed from the cache."""
    user = get_user(request)
    prime_profile(user)
    return user
