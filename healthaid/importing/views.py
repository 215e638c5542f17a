"""The job pages every import shares, by kind: the error workbook's download and the progress
poll.  Each import's views subclass them with their queryset (the kinds they show, scoped
through ``Job.objects.visible_to``) and their templates."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import DetailView

from healthaid.importing.jobs import KINDS
from healthaid.importing.uploads import UploadLimitMixin

__all__ = ["JobErrorFileView", "JobProgressView", "UploadLimitMixin"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JobErrorFileView(View):
    """The rejected rows with an error column, as an xlsx download, named by the job's kind."""

    def get_queryset(self):  # pragma: no cover - each import's view says its own
        raise NotImplementedError

    def get(self, request, uuid):
        job = get_object_or_404(self.get_queryset(), uuid=uuid)
        if not job.result_file:
            raise Http404
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=KINDS[job.kind].error_file_name(job.input_name),
            content_type=XLSX,
        )


class JobProgressView(DetailView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the outcome."""

    context_object_name = "job"
    slug_field = "uuid"
    slug_url_kwarg = "uuid"

    def render_to_response(self, context, **response_kwargs):
        if self.object.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().render_to_response(context, **response_kwargs)
