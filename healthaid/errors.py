"""How the portal answers what it cannot do: records still in use, NUL bytes, error pages.

* A delete that other records still point at (``ProtectedError``/``RestrictedError``) is a
  conflict the user can resolve, not a server error: the API answers 409 and a page shows
  the same message, naming what is still attached.
* A NUL byte is never part of a name, a code or a note, and PostgreSQL cannot store one in
  text (psycopg raises ``DataError``). ``RejectNulBytesMiddleware`` refuses it in the path,
  the query string and a form or JSON body before any view or field sees it, so every input
  (form fields, API fields, filters, look-ups by code) is covered at once.
* The error pages (400, 403, 404, 500) are the portal's own, in Chinese.
"""

from __future__ import annotations

import logging
from collections import Counter
from urllib.parse import unquote_to_bytes

from django.db.models import ProtectedError, RestrictedError
from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
    JsonResponse,
)
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import requires_csrf_token
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

NUL_MESSAGE = gettext_lazy("The request contains a NUL character (\\0), which no field accepts.")


def protected_message(exc: ProtectedError | RestrictedError) -> str:
    """“Cannot delete: 2 contracts and 1 follow-up still refer to it.” in the user's language."""
    counts = Counter(obj._meta.verbose_name for obj in exc.protected_objects)
    if not counts:
        counts = Counter(
            obj._meta.verbose_name for obj in getattr(exc, "restricted_objects", ()) or ()
        )
    parts = [
        _("%(count)d × %(what)s") % {"count": count, "what": what}
        for what, count in sorted(counts.items(), key=lambda item: str(item[0]))
    ]
    return _("It cannot be deleted: other records still refer to it (%(records)s).") % {
        "records": _(", ").join(parts) if parts else _("unknown")
    }


def api_exception_handler(exc, context):
    """DRF's handler, plus: a delete blocked by records that refer to it answers 409."""
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response({"detail": protected_message(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw) or b"\\u0000" in raw


class RejectNulBytesMiddleware:
    """Answers 400 to a request with a NUL byte in its path, query string or text body.

    A multipart body is checked once the view is known, and only for pages: their CSRF
    check has read the body by then anyway. The API's multipart endpoints (uploads) read
    their bodies within their own limits, through serializer fields that refuse NUL.
    """

    TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._refused(request):
            return self._refusal(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method == "POST"
            and request.content_type == "multipart/form-data"
            and not getattr(view_func, "csrf_exempt", False)
            and any("\x00" in value for values in request.POST.lists() for value in values[1])
        ):
            return self._refusal(request)
        return None

    @staticmethod
    def _refusal(request):
        message = str(NUL_MESSAGE)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return bad_request(request, exception=None, message=message)

    def _refused(self, request) -> bool:
        path = request.META.get("PATH_INFO", "")
        if "\x00" in path or _has_nul(request.META.get("QUERY_STRING", "").encode("latin-1")):
            return True
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type in self.TEXT_BODIES:
            return _has_nul(request.body)
        return False


# --- error pages --------------------------------------------------------------------------------


@requires_csrf_token
def bad_request(request, exception=None, message: str = ""):
    return HttpResponseBadRequest(
        loader.render_to_string("400.html", {"message": message}, request)
    )


@requires_csrf_token
def permission_denied(request, exception=None):
    return HttpResponseForbidden(loader.render_to_string("403.html", {}, request))


@requires_csrf_token
def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # A URL no endpoint matches: the API answers in JSON, like its own 404s.
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return HttpResponseNotFound(
        loader.render_to_string("404.html", {"request_path": request.path}, request)
    )


def server_error(request):
    """The 500 page renders without a request context: whatever broke may be in it."""
    try:
        body = loader.get_template("500.html").render({})
    except Exception:  # the page about an error must not raise one of its own
        logger.exception("500.html could not be rendered")
        body = "<h1>服务器内部错误 (500)</h1>"
    return HttpResponseServerError(body)
