"""Forms of the settlement pages."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm, BootstrapModelForm
from healthaid.models import Institution
from medconsortium.models import InstitutionAlias, MajorDiseaseCase, SettlementPolicy

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(BootstrapForm):
    """A region (inside the scope) and a period; the year to date by default."""

    region = forms.CharField(label=_("Region code"), required=False, widget=forms.HiddenInput)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start"].initial = today.replace(month=1, day=1)
        self.fields["end"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        region = data.get("region") or ""
        if region and not (region.isdigit() and len(region) <= 12):
            self.add_error("region", _("A region code has up to 12 digits."))
        return data


class InstitutionAliasForm(BootstrapForm):
    alias = forms.CharField(label=_("Name used in files"), max_length=128)
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )

    def __init__(self, *args, institutions, county, **kwargs):
        super().__init__(*args, **kwargs)
        self.county = county
        self.fields["institution"].queryset = institutions

    def clean_alias(self):
        alias = "".join(self.cleaned_data["alias"].split())
        if InstitutionAlias.objects.filter(county=self.county, alias=alias).exists():
            raise forms.ValidationError(_("This alias is already in use in the county."))
        return alias


class SettlementPolicyForm(BootstrapModelForm):
    class Meta:
        model = SettlementPolicy
        fields = ["primary_care_cap", "county_hospital_cap", "large_expense_threshold"]


class MajorDiseaseCaseForm(BootstrapModelForm):
    class Meta:
        model = MajorDiseaseCase
        fields = ["institution", "status", "diagnosed_on", "note"]
        widgets = {"diagnosed_on": DATE_WIDGET}

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


class BulletinRequestForm(BootstrapForm):
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
