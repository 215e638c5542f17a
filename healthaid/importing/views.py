"""The job pages every import shares, one set for every kind (``/imports/<slug>/...``): the job
page (status, progress, the outcome with every row not imported named, the error workbook, the
way back), the progress fragment htmx polls, the error workbook's download and the list of the
user's own jobs of a kind.

What differs by kind is in its :class:`~healthaid.importing.jobs.ImportKind`: who may open the
pages (its roles; others get 403), its title, its upload page, its result class and counts, and
a template of its own where the outcome needs more (the roster's preview and confirm).  Which
jobs a user sees is ``Job.objects.visible_to`` (their own, in their area): anything else is 404.

The apps' older URL names (``households:import-job``, ``contracts:import-errors`` ...) are
these same views with the kinds fixed (``as_view(kinds=(...))``), so links and bookmarks keep
working.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.module_loading import import_string
from django.views import View
from django.views.generic import DetailView, ListView

from healthaid.importing.jobs import KINDS, ImportKind, import_kind
from healthaid.importing.uploads import UploadLimitMixin
from healthaid.jobs import FILES_PURGED
from healthaid.models import Job
from healthaid.views import RoleRequiredMixin, ScopedMixin

__all__ = [
    "ImportErrorFileView",
    "ImportJobListView",
    "ImportJobView",
    "ImportProgressView",
    "UploadLimitMixin",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_PER_PAGE = 50


class ImportKindMixin(ScopedMixin, RoleRequiredMixin):
    """The kinds a page serves (the URL's slug, or ``kinds`` given to ``as_view``), their role
    check, and the user's own jobs of those kinds (``ScopedMixin``: ``visible_to``)."""

    kinds: tuple[str, ...] = ()
    """Slugs fixed by an app's older URL; empty: the URL's ``kind``."""

    @cached_property
    def import_kinds(self) -> list[ImportKind]:
        slugs = self.kinds or (self.kwargs.get("kind"),)
        found = [spec for spec in map(import_kind, slugs) if spec is not None]
        if not found:
            raise Http404
        return found

    @property
    def import_kind(self) -> ImportKind:
        """The kind of the page: the job's own where there is one."""
        job = getattr(self, "object", None)
        return KINDS[job.kind] if job is not None else self.import_kinds[0]

    def dispatch(self, request, *args, **kwargs):
        self.import_kinds  # noqa: B018 - an unknown kind is 404 before any role check
        return super().dispatch(request, *args, **kwargs)

    def test_func(self) -> bool:
        # The kinds served together (contracts and follow-ups) have the same roles.
        roles = self.import_kinds[0].roles
        if roles is None:
            return True
        self.allowed_roles = roles
        return super().test_func()

    def get_base_queryset(self):
        return Job.objects.filter(kind__in=[spec.kind for spec in self.import_kinds])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kind"] = self.import_kind
        return context


class _OneJob(ImportKindMixin):
    context_object_name = "job"
    slug_field = "uuid"
    slug_url_kwarg = "uuid"


class ImportJobView(_OneJob, DetailView):
    """A job: progress while it runs (polled), then the outcome, its errors page by page, the
    rows left out and the warnings, and the error workbook while it is kept."""

    def get_template_names(self):
        return [self.import_kind.template]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job, kind = self.object, self.import_kind
        result = kind.result_of(job)
        context["result"] = result
        context["is_preview"] = bool(job.params.get("dry_run"))
        context["files_purged"] = bool(job.params.get(FILES_PURGED))
        context["retention_days"] = settings.JOB_FILES_RETENTION_DAYS
        if result is not None:
            context["counts"] = [(label, getattr(result, name)) for name, label in kind.counts]
            paginator = Paginator(result.errors, ERRORS_PER_PAGE)
            context["errors_page"] = paginator.get_page(self.request.GET.get("page"))
        if kind.job_context:
            context.update(import_string(kind.job_context)(job, result))
        return context


class ImportProgressView(_OneJob, DetailView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the outcome."""

    template_name = "importing/_progress.html"

    def render_to_response(self, context, **response_kwargs):
        if self.object.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return super().render_to_response(context, **response_kwargs)


class ImportErrorFileView(_OneJob, View):
    """The rejected rows with an error column, as an xlsx download, named by the job's kind."""

    def get(self, request, *args, **kwargs):
        job = get_object_or_404(self.get_queryset(), uuid=kwargs["uuid"])
        if not job.result_file:
            raise Http404
        return FileResponse(
            job.result_file.open("rb"),
            as_attachment=True,
            filename=KINDS[job.kind].error_file_name(job.input_name),
            content_type=XLSX,
        )


class ImportJobListView(ImportKindMixin, ListView):
    """The user's own jobs of a kind, newest first: the clerk's history of their uploads."""

    template_name = "importing/job_list.html"
    context_object_name = "jobs"
    paginate_by = 20
