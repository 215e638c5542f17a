"""Request context for services that run below the view layer (audit needs the IP)."""

from healthaid.audit import request_context


def client_ip(request) -> str | None:
    # Behind the production proxy the client address is the first X-Forwarded-For hop;
    # the proxy (gunicorn behind nginx) is trusted to set it.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(ip=client_ip(request)):
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
