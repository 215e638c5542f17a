"""Request context for services that run below the view layer (audit needs the IP)."""

import ipaddress
from functools import partial

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from healthaid.audit import request_context
from healthaid.profiles import user_with_profile
from healthaid.versions import read_once_per_request


def client_ip(request) -> str | None:
    """The client's address, as the audit trail and the log-in lockout record it.

    ``X-Forwarded-For`` is whatever the client wrote into it, except the hops our own proxies
    appended: with ``TRUSTED_PROXY_COUNT`` = N (the proxies in front of the web server), the
    client is the Nth address from the right. With 0 (the default) the header is ignored and
    the socket's peer address is the client. A header shorter than N hops (a request that did
    not pass through every proxy) falls back to the peer address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


class RequestContextMiddleware:
    """The client's address for the audit trail, the cache versions read once a request
    (``healthaid.versions``), and the user's profile from the cache (``healthaid.profiles``:
    still lazy, as Django's ``AuthenticationMiddleware`` left it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if hasattr(request, "user"):
            request.user = SimpleLazyObject(partial(user_with_profile, request))
        with request_context(ip=client_ip(request)), read_once_per_request():
            return self.get_response(request)


class ChineseFirstMiddleware:
    """The portal speaks Chinese unless the user picks another language with the switch.

    County PCs often run an English browser; their Accept-Language must not turn the
    portal English. The switch sets Django's language cookie, which still wins.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
