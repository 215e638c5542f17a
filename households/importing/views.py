"""Pages of the roster import: upload → preview (a dry run as a job) → confirm → result.

County staff only (others get 403); a job is found through ``Job.objects.visible_to(user)``,
which keeps a user to their own jobs in their own area (anything else is 404).  The views
only parse input, create job rows and render: the import itself is the service, run by
``households.tasks.roster_import_task``.  The job page, its progress, the error workbook and
the history are the shared import job pages (:mod:`healthaid.importing.views`, kind
``roster``); :func:`roster_job_context` adds the confirm button.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from healthaid.choices import JobStatus
from healthaid.importing.views import UploadLimitMixin
from healthaid.jobs import job_enqueue
from healthaid.models import Job
from healthaid.scoping import REGISTRY_WRITE_ROLES, get_profile
from healthaid.views import RoleRequiredMixin, ScopedMixin
from households.importing.forms import RosterUploadForm
from households.importing.service import ImportResult
from households.tasks import ROSTER_IMPORT_KIND, roster_import_task


class ImportAccessMixin(ScopedMixin, RoleRequiredMixin):
    """County staff only; the jobs are the user's own, through ``Job.objects.visible_to``."""

    allowed_roles = REGISTRY_WRITE_ROLES
    queryset = Job.objects.filter(kind=ROSTER_IMPORT_KIND)


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


def roster_job_context(job: Job, result: ImportResult | None) -> dict:
    """The roster's part of the shared job page: whether the checked file can be imported."""
    return {
        "can_confirm": (
            result is not None
            and bool(job.params.get("dry_run"))
            and job.status == JobStatus.SUCCEEDED
            and result.would_apply
            and not job.params.get("import_job")
            and bool(job.input_file)
        )
    }


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
