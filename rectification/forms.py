"""Forms of the rectification tracker."""

from __future__ import annotations

import os

from django import forms
from django.utils.translation import gettext_lazy as _

from healthaid.choices import RegionLevel
from healthaid.forms import BootstrapForm
from healthaid.importing.reader import ALLOWED_EXTENSIONS
from healthaid.models import Region
from rectification.choices import ItemStatus, Source

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemForm(BootstrapForm):
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    found_on = forms.DateField(label=_("Found on"), widget=DATE_WIDGET)
    finding = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_unit = forms.CharField(label=_("Responsible unit"), max_length=128)
    region = forms.ModelChoiceField(label=_("County or township"), queryset=Region.objects.none())
    measures = forms.CharField(
        label=_("Measures"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DATE_WIDGET)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions.filter(
            level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
        ).order_by("code")


class ProgressForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (ItemStatus.IN_PROGRESS, ItemStatus.IN_PROGRESS.label),
            (ItemStatus.AWAITING_CHECK, ItemStatus.AWAITING_CHECK.label),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class CloseForm(BootstrapForm):
    closed_on = forms.DateField(label=_("Closed on"), widget=DATE_WIDGET, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class EvidenceForm(BootstrapForm):
    file = forms.FileField(
        label=_("Evidence file"),
        help_text=_("A scan, photo or PDF: PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label=_("Rectification list"),
        help_text=_("An Excel workbook (.xlsx, .xls) or a CSV file, one row per finding."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and skip the rows with errors"), required=False
    )
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if os.path.splitext(upload.name)[1].lower() not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                _("“%(name)s” is not a spreadsheet. Upload an Excel workbook or a CSV file.")
                % {"name": upload.name},
                code="file_type",
            )
        return upload
