"""Idle expiry of sessions without a session write on every request.

A session lives ``SESSION_COOKIE_AGE`` seconds from the user's last request (a working day).
Django's ``SESSION_SAVE_EVERY_REQUEST`` keeps that clock exact by writing the session row on
every request, a database write behind every page view and API call. This middleware moves
the expiry on only when the last move is older than ``SESSION_REFRESH_SECONDS`` (5 minutes
by default): an idle session may end up to that much earlier than the full age, and reads,
which are nearly all requests, write nothing. The session row is read through the
``cached_db`` backend, so a repeat request finds it in the cache.
"""

from __future__ import annotations

import time

from django.conf import settings

REFRESHED_AT = "_refreshed_at"


class SessionIdleRefreshMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session that exists already (a logged-in user's): an anonymous visitor's
        # empty session is not created here.
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_AT] = now  # marks it modified: SessionMiddleware saves it
        return response


def mark_refreshed_on_login(sender, request, user, **kwargs):
    """Log-in saves the session with a full expiry: the next move is due an interval later."""
    session = getattr(request, "session", None)
    if session is not None:
        session[REFRESHED_AT] = int(time.time())
