"""The roster upload form."""

from __future__ import annotations

import os

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm
from healthaid.importing.reader import ALLOWED_EXTENSIONS
from healthaid.importing.uploads import max_upload_bytes


class RosterUploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "The roster of registered poor households as exported from the national system: an "
            "Excel workbook (.xlsx, .xls) or a CSV file, one row per member."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.csv,.txt"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and skip the rows with errors"),
        help_text=_(
            "Without this, any error stops the whole import and nothing is written, so you can "
            "correct the file first."
        ),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                gettext(
                    "The file is %(size).1f MB; the limit is %(limit)d MB. Split the roster by "
                    "township and upload the parts one by one."
                )
                % {"size": upload.size / (1024 * 1024), "limit": max(1, limit // (1024 * 1024))},
                code="too_large",
            )
        extension = os.path.splitext(upload.name)[1].lower()
        if extension not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                gettext(
                    "“%(name)s” is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or "
                    "a CSV file."
                )
                % {"name": upload.name},
                code="file_type",
            )
        if upload.size == 0:
            raise forms.ValidationError(gettext("The file is empty."), code="empty")
        return upload
