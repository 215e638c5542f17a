"""Pages of the roster import: upload → preview (a dry run as a job) → confirm → result.

County staff only (others get 403); a job is found through ``Job.objects.visible_to(user)``,
which keeps a user to their own jobs in their own area (anything else is 404).  The views
only parse input, create job rows and render: the import itself is the service, run by
``households.tasks.roster_import_task``.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from healthaid.choices import JobStatus
from healthaid.importing.views import JobErrorFileView, JobProgressView, UploadLimitMixin
from healthaid.jobs import FILES_PURGED, job_enqueue
from healthaid.models import Job
from healthaid.scoping import REGISTRY_WRITE_ROLES, get_profile
from healthaid.views import RoleRequiredMixin, ScopedMixin
from households.importing.forms import RosterUploadForm
from households.importing.service import ImportResult
from households.tasks import ROSTER_IMPORT_KIND, roster_import_task

ERRORS_PER_PAGE = 50


class ImportAccessMixin(ScopedMixin, RoleRequiredMixin):
    """County staff only; the jobs are the user's own, through ``Job.objects.visible_to``."""

    allowed_roles = REGISTRY_WRITE_ROLES
    queryset = Job.objects.filter(kind=ROSTER_IMPORT_KIND).select_related("created_by")


def _new_job(request, *, input_name: str, params: dict) -> Job:
    profile = get_profile(request.user)
    params = {**params, "language": get_language()}
    return Job(
        kind=ROSTER_IMPORT_KIND,
        created_by=request.user,
        region_code=profile.region.code if profile else "",
        input_name=input_name,
        params=params,
    )


class UploadView(ImportAccessMixin, UploadLimitMixin, FormView):
    """Step 1: choose the file; the preview runs as a job."""

    form_class = RosterUploadForm
    template_name = "households/importing/upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent_jobs"] = self.get_queryset()[:5]
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        name = os.path.basename(upload.name)
        job = _new_job(
            self.request,
            input_name=name,
            params={"dry_run": True, "skip_invalid": form.cleaned_data["skip_invalid"]},
        )
        with transaction.atomic():
            job.input_file.save(name, upload, save=False)
            job.save()
            job_enqueue(job, roster_import_task)
        return redirect("households:import-job", uuid=job.uuid)


class JobView(ImportAccessMixin, DetailView):
    """Step 2 (a preview) or step 4 (an import): progress while it runs, then the outcome."""

    template_name = "households/importing/job.html"
    context_object_name = "job"
    slug_field = "uuid"
    slug_url_kwarg = "uuid"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        context["is_preview"] = bool(job.params.get("dry_run"))
        if job.finished and job.result:
            result = ImportResult.from_dict(job.result)
            context["result"] = result
            paginator = Paginator(result.errors, ERRORS_PER_PAGE)
            context["errors_page"] = paginator.get_page(self.request.GET.get("page"))
            context["can_confirm"] = (
                context["is_preview"]
                and job.status == JobStatus.SUCCEEDED
                and result.would_apply
                and not job.params.get("import_job")
                and bool(job.input_file)
            )
        if job.params.get("import_job"):
            context["import_job_uuid"] = job.params["import_job"]
        if job.params.get("preview"):
            context["preview_uuid"] = job.params["preview"]
        context["files_purged"] = bool(job.params.get(FILES_PURGED))
        context["retention_days"] = settings.JOB_FILES_RETENTION_DAYS
        return context


class ProgressView(ImportAccessMixin, JobProgressView):
    """The progress bar, polled by htmx; once the job ends the page reloads with the outcome."""

    template_name = "households/importing/_progress.html"


class ConfirmView(ImportAccessMixin, View):
    """Step 3: run the real import on the file the preview checked."""

    http_method_names = ["post"]

    def post(self, request, uuid):
        with transaction.atomic():
            preview = get_object_or_404(self.get_queryset().select_for_update(), uuid=uuid)
            if not preview.params.get("dry_run"):
                raise Http404
            existing = preview.params.get("import_job")
            if existing:  # a second click: show the import already running
                return redirect("households:import-job", uuid=existing)
            result = ImportResult.from_dict(preview.result) if preview.result else None
            if preview.status != JobStatus.SUCCEEDED or result is None or not result.would_apply:
                return redirect("households:import-job", uuid=preview.uuid)
            if not preview.input_file:  # deleted after its retention period
                messages.error(
                    request,
                    _("The uploaded file has been deleted since it was checked; upload it again."),
                )
                return redirect("households:import-job", uuid=preview.uuid)
            job = _new_job(
                request,
                input_name=preview.input_name,
                params={
                    "dry_run": False,
                    "skip_invalid": bool(preview.params.get("skip_invalid")),
                    "preview": str(preview.uuid),
                },
            )
            job.input_file.name = preview.input_file.name  # the same stored file
            job.save()
            preview.params = {**preview.params, "import_job": str(job.uuid)}
            preview.save(update_fields=["params"])
            job_enqueue(job, roster_import_task)
        return HttpResponseRedirect(reverse("households:import-job", kwargs={"uuid": job.uuid}))


class ErrorFileView(ImportAccessMixin, JobErrorFileView):
    """The rejected rows with an error column, as an xlsx download."""


class HistoryView(ImportAccessMixin, ListView):
    """The user's own imports and previews, newest first."""

    template_name = "households/importing/history.html"
    context_object_name = "jobs"
    paginate_by = 20
