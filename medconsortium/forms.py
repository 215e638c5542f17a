"""Forms of the consortium pages: they parse; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm
from healthaid.models import Region
from medconsortium.choices import ReservedKind
from medconsortium.filtersets import hospitals

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ReferralRequestForm(BootstrapForm):
    to_institution = forms.ModelChoiceField(
        queryset=hospitals().order_by("region_id", "name"), label=_("Refer to")
    )
    reason = forms.CharField(label=_("Reason for referral"), max_length=255)
    diagnosis = forms.CharField(label=_("Preliminary diagnosis"), max_length=255, required=False)
    reserved = forms.ChoiceField(
        label=_("Reserved capacity"), choices=ReservedKind.choices, required=False
    )
    appointment_date = forms.DateField(
        label=_("Appointment date"), required=False, widget=DATE_WIDGET
    )


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class AdmitForm(BootstrapForm):
    inpatient = forms.TypedChoiceField(
        label=_("Received as"),
        choices=[("1", _("Inpatient (admitted)")), ("0", _("Outpatient (seen)"))],
        coerce=lambda value: value == "1",
        initial="1",
    )


class OutcomeForm(BootstrapForm):
    outcome = forms.CharField(
        label=_("Outcome and advice"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SummaryForm(BootstrapForm):
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(), label=_("Region"), required=False, to_field_name="code"
    )
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions

    def period(self) -> tuple[datetime.date, datetime.date]:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or datetime.date(end.year, 1, 1)
        if start > end:
            start, end = end, start
        return start, end
