"""Rate limits shared by a page and its API endpoint."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class IdLookupThrottle(SimpleRateThrottle):
    """Exact look-ups by full ID number, per user, page and API together (``ID_LOOKUP_RATE``).

    The same number of guesses whichever door they come through: a look-up that misses is an
    oracle for numbers narrowed by a masked number and an age.
    """

    scope = "lookup"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_rate(self):
        from django.conf import settings

        return settings.ID_LOOKUP_RATE


class RevealThrottle(SimpleRateThrottle):
    """Reveals of full ID numbers on the pages, counted with the API's (the ``reveal`` rate).

    Same scope and cache key as DRF's ``ScopedRateThrottle`` with ``throttle_scope="reveal"``
    on ``POST members/{id}/reveal-id/``, so the page and the API share one count per user.
    """

    scope = "reveal"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
