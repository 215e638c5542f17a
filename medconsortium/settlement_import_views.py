"""The settlement import's upload page (namespace ``settlement-import``).  County staff import
their county's files, hospital staff their own institution's rows; the jobs are the user's own
(``Job.objects.visible_to``), shown by the shared import job pages (kind ``settlements``)."""

from __future__ import annotations

import os

from django import forms
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from healthaid.forms import BootstrapForm
from healthaid.importing.reader import ALLOWED_EXTENSIONS
from healthaid.importing.views import UploadLimitMixin
from healthaid.jobs import job_enqueue
from healthaid.models import Job
from healthaid.scoping import get_profile
from healthaid.views import RoleRequiredMixin, ScopedMixin
from medconsortium.settlement_import_tasks import SETTLEMENT_IMPORT_KIND, settlement_import_task
from medconsortium.settlement_importing import IMPORT_ROLES, SETTLEMENT_COLUMNS


class SettlementUploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("Settlement file"),
        help_text=_("An Excel workbook (.xlsx, .xls) or a CSV file, one row per settlement."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and skip the rows with errors"), required=False
    )
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = os.path.splitext(upload.name)[1].lower()
        if extension not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                _(
                    "“%(name)s” is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or a CSV file."
                )
                % {"name": upload.name},
                code="file_type",
            )
        return upload


class _Access(ScopedMixin, RoleRequiredMixin):
    allowed_roles = IMPORT_ROLES

    queryset = Job.objects.filter(kind=SETTLEMENT_IMPORT_KIND)


class SettlementUploadView(_Access, UploadLimitMixin, FormView):
    template_name = "medconsortium/settlements/import.html"
    form_class = SettlementUploadForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["headers"] = [spec.label for spec in SETTLEMENT_COLUMNS]
        context["jobs"] = list(self.get_queryset().order_by("-created_at")[:10])
        profile = get_profile(self.request.user)
        context["institution"] = profile.institution if profile else None
        return context

    def form_valid(self, form):
        user = self.request.user
        profile = get_profile(user)
        upload = form.cleaned_data["file"]
        name = os.path.basename(upload.name)[:255]
        job = Job(
            kind=SETTLEMENT_IMPORT_KIND,
            created_by=user,
            region_code=profile.region.code if profile else "",
            input_name=name,
            params={
                "dry_run": form.cleaned_data["dry_run"],
                "skip_invalid": form.cleaned_data["skip_invalid"],
                "language": get_language(),
            },
        )
        with transaction.atomic():
            job.input_file.save(name, upload, save=False)
            job.save()
            job_enqueue(job, settlement_import_task)
        return redirect("settlement-import:job", uuid=job.uuid)
