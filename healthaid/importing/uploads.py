"""The upload size cap, enforced before the body is read.

Django reads a multipart body whole the first time anything touches ``request.POST`` (the CSRF
check does, before the view runs), so a 2 GB upload would be received in full, spooled to disk,
and only then refused by the form.  Views that take an upload set ``upload_limit_bytes`` (a
number, or a callable returning one); :class:`UploadLimitMiddleware`, placed before the CSRF
middleware, answers 413 from the request's ``Content-Length`` before a byte of the body is read,
and caps a body sent without one (chunked) as it streams in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import render
from django.utils.translation import gettext as _

__all__ = ["UploadLimitMiddleware", "max_upload_bytes", "upload_too_large"]

FORM_OVERHEAD = 64 * 1024
"""Room for the multipart headers and the form's other fields beside the file."""


def max_upload_bytes() -> int:
    """The largest spreadsheet an import accepts (``ROSTER_MAX_BYTES``, 20 MB by default)."""
    return settings.ROSTER_MAX_BYTES


def limit_mb(limit: int) -> int:
    return max(1, round(limit / (1024 * 1024)))


def upload_too_large(request, limit: int):
    message = _(
        "The file is larger than %(limit)d MB. Split it into smaller files and upload them."
    ) % {"limit": limit_mb(limit)}
    response = render(request, "healthaid/upload_too_large.html", {"message": message}, status=413)
    response["Connection"] = "close"  # the rest of the body is not read
    return response


class CappedUploadHandler(FileUploadHandler):
    """Stops a body that grows past the cap while it streams in (no ``Content-Length``)."""

    def __init__(self, request, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def view_upload_limit(view_func) -> int | None:
    view_class = getattr(view_func, "view_class", None)
    limit = getattr(view_class or view_func, "upload_limit_bytes", None)
    if callable(limit):
        limit = limit()
    return limit


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST":
            return None
        limit = view_upload_limit(view_func)
        if limit is None:
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + FORM_OVERHEAD:
            return upload_too_large(request, limit)
        request.upload_handlers.insert(0, CappedUploadHandler(request, limit + FORM_OVERHEAD))
        return None


class UploadLimitMixin:
    """For upload views: the cap, checked by the middleware; a body that streamed past it is
    answered the same way (413) once the view looks at it."""

    upload_limit_bytes = staticmethod(max_upload_bytes)

    def post(self, request, *args, **kwargs):
        request.FILES  # noqa: B018 - parse now, through the capped handler
        if getattr(request, "upload_too_large", False):
            return upload_too_large(request, max_upload_bytes())
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["max_mb"] = limit_mb(max_upload_bytes())
        return context
