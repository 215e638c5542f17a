"""Forms of the screening pages. They parse input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm
from healthaid.models import Region
from screening.choices import CampaignTarget, ExamResult, ItemSource, PhaseKind
from screening.models import Prescription

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMERIC = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal", "step": "0.1"}


def _int(label, **attrs):
    return forms.IntegerField(
        label=label, required=False, widget=forms.NumberInput(attrs={**NUMERIC, **attrs})
    )


def _dec(label, digits=4, **attrs):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=digits,
        decimal_places=1,
        widget=forms.NumberInput(attrs={**DECIMAL, **attrs}),
    )


class QuickScreeningForm(BootstrapForm):
    """The fewest fields on a phone: date, blood pressure, glucose; the rest folded below."""

    screened_on = forms.DateField(label=_("Screening date"), widget=DATE_WIDGET)
    systolic = _int(_("Systolic (mmHg)"))
    diastolic = _int(_("Diastolic (mmHg)"))
    fasting_glucose = _dec(_("Fasting glucose (mmol/L)"))
    random_glucose = _dec(_("Random glucose (mmol/L)"))
    height = _dec(_("Height (cm)"))
    weight = _dec(_("Weight (kg)"), digits=5)
    waist = _dec(_("Waist (cm)"))
    place = forms.CharField(label=_("Place"), required=False, max_length=64)
    advice = forms.CharField(
        label=_("Follow-up advice"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    MORE_FIELDS = ("random_glucose", "height", "weight", "waist", "place", "advice")

    def __init__(self, *args, extra_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["screened_on"].initial = timezone.localdate()
        self.extra_items = list(extra_items)
        for item in self.extra_items:
            self.fields[f"extra_{item.code}"] = forms.DecimalField(
                label=f"{item.name} ({item.unit})" if item.unit else item.name,
                required=False,
                max_digits=7,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={**DECIMAL, "class": "form-control form-control-sm"}
                ),
            )

    @property
    def more_fields(self):
        names = [*self.MORE_FIELDS, *(f"extra_{i.code}" for i in self.extra_items)]
        return [self[name] for name in names]

    def extra_values(self) -> dict:
        return {
            item.code: self.cleaned_data.get(f"extra_{item.code}")
            for item in self.extra_items
            if self.cleaned_data.get(f"extra_{item.code}") is not None
        }


class BatchHeaderForm(BootstrapForm):
    screened_on = forms.DateField(label=_("Screening date"), widget=DATE_WIDGET)
    place = forms.CharField(label=_("Place"), required=False, max_length=64)


class BatchRowForm(forms.Form):
    """One member's line of a screening day: a tab walks along the row, then down. The
    catalogue's free items in use (total cholesterol, haemoglobin ...) are columns after the
    built-in ones."""

    member = forms.IntegerField(widget=forms.HiddenInput)
    systolic = _int(_("Systolic"), **{"class": "form-control form-control-sm", "min": 0})
    diastolic = _int(_("Diastolic"), **{"class": "form-control form-control-sm", "min": 0})
    fasting_glucose = _dec(_("Fasting glucose"), **{"class": "form-control form-control-sm"})
    random_glucose = _dec(_("Random glucose"), **{"class": "form-control form-control-sm"})

    def __init__(self, *args, free_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.free_items = list(free_items)
        for item in self.free_items:
            self.fields[f"extra_{item.code}"] = forms.DecimalField(
                label=item.name,
                required=False,
                max_digits=7,
                decimal_places=2,
                min_value=0,
                widget=forms.NumberInput(
                    attrs={**DECIMAL, "class": "form-control form-control-sm", "min": 0}
                ),
            )

    def row_values(self) -> dict:
        """The cleaned row for ``screening_batch_record``: measurements and ``extra`` by code."""
        data = dict(self.cleaned_data)
        data["extra"] = {
            item.code: data.pop(f"extra_{item.code}")
            for item in self.free_items
            if data.get(f"extra_{item.code}") is not None
        }
        for item in self.free_items:
            data.pop(f"extra_{item.code}", None)
        return data


BatchFormSet = forms.formset_factory(BatchRowForm, extra=0)


class CheckUpForm(BootstrapForm):
    checked_on = forms.DateField(label=_("Check-up date"), widget=DATE_WIDGET)
    systolic = _int(_("Systolic (mmHg)"))
    diastolic = _int(_("Diastolic (mmHg)"))
    fasting_glucose = _dec(_("Fasting glucose (mmol/L)"))
    height = _dec(_("Height (cm)"))
    weight = _dec(_("Weight (kg)"), digits=5)
    heart_rate = _int(_("Heart rate (/min)"))
    blood_routine = forms.ChoiceField(
        label=_("Blood routine"), choices=ExamResult.choices, required=False
    )
    urine_routine = forms.ChoiceField(
        label=_("Urine routine"), choices=ExamResult.choices, required=False
    )
    liver_function = forms.ChoiceField(
        label=_("Liver function"), choices=ExamResult.choices, required=False
    )
    kidney_function = forms.ChoiceField(
        label=_("Kidney function"), choices=ExamResult.choices, required=False
    )
    ecg = forms.ChoiceField(label=_("ECG"), choices=ExamResult.choices, required=False)
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()


class HalfYearForm(BootstrapForm):
    year = forms.IntegerField(label=_("Year"), min_value=2014, max_value=2100, required=False)
    half = forms.TypedChoiceField(
        label=_("Half year"),
        choices=[(1, _("first half")), (2, _("second half"))],
        coerce=int,
        required=False,
    )
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)


class PrescriptionForm(BootstrapForm):
    disease = forms.ModelChoiceField(label=_("Disease"), queryset=None, required=False)
    title = forms.CharField(label=_("Title"), max_length=64)
    cause = forms.CharField(label=_("Causes"), widget=forms.Textarea(attrs={"rows": 2}))
    diagnosis = forms.CharField(
        label=_("Diagnosis criteria"), widget=forms.Textarea(attrs={"rows": 2})
    )
    western_treatment = forms.CharField(
        label=_("Treatment principles (Western medicine)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tcm_treatment = forms.CharField(
        label=_("Treatment principles (Chinese medicine)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lifestyle = forms.CharField(label=_("Lifestyle"), widget=forms.Textarea(attrs={"rows": 3}))
    see_doctor = forms.CharField(
        label=_("When to see a doctor"), widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        from households.models import Disease

        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["disease"]
        else:
            used = Prescription.objects.values("disease_id")
            self.fields["disease"].queryset = Disease.objects.exclude(pk__in=used)
            self.fields["disease"].required = True


class IssueForm(BootstrapForm):
    prescription = forms.ModelChoiceField(
        label=_("Health prescription"), queryset=Prescription.objects.none()
    )
    issued_on = forms.DateField(label=_("Date issued"), widget=DATE_WIDGET)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=255)

    def __init__(self, *args, member_diseases=(), **kwargs):
        super().__init__(*args, **kwargs)
        queryset = Prescription.objects.filter(active=True).select_related("disease")
        self.fields["prescription"].queryset = queryset
        self.fields["issued_on"].initial = timezone.localdate()
        first = next((p for p in queryset if p.disease_id in set(member_diseases)), None)
        if first is not None:
            self.fields["prescription"].initial = first.pk


class MarkItemForm(BootstrapForm):
    item = forms.IntegerField(widget=forms.HiddenInput)
    household = forms.IntegerField(widget=forms.HiddenInput)
    done_on = forms.DateField(label=_("Done on"), widget=DATE_WIDGET, required=False)
    evidence = forms.CharField(label=_("Evidence"), required=False, max_length=255)


class FreeClinicForm(BootstrapForm):
    held_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    village = forms.ModelChoiceField(label=_("Village"), queryset=Region.objects.none())
    unit_name = forms.CharField(label=_("Organising unit"), max_length=128)
    team_name = forms.CharField(label=_("Team"), max_length=64, required=False)
    staff_times = forms.IntegerField(label=_("Staff person-times"), min_value=0)
    served = forms.IntegerField(label=_("People served"), min_value=0)
    leaflets = forms.IntegerField(label=_("Leaflets handed out"), min_value=0, initial=0)
    drug_value = forms.DecimalField(
        label=_("Drug value (yuan)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    service_value = forms.DecimalField(
        label=_("Service value (yuan)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = forms.FileField(
        label=_("Photos"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = (
            Region.objects.visible_to(user).filter(level=12).order_by("code")
        )


class TotalsForm(BootstrapForm):
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)


class CampaignForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=128, initial="健康扶贫“五个一”活动")
    county = forms.ModelChoiceField(label=_("County"), queryset=Region.objects.none())
    target = forms.ChoiceField(label=_("Campaign target"), choices=CampaignTarget.choices)
    eight_ones = forms.BooleanField(
        label=_("Eight-ones (八个一): add a check-up, a health record and a policy talk"),
        required=False,
    )
    mobilise_start = forms.DateField(label=_("Mobilisation from"), widget=DATE_WIDGET)
    mobilise_end = forms.DateField(label=_("Mobilisation to"), widget=DATE_WIDGET)
    implement_start = forms.DateField(label=_("Implementation from"), widget=DATE_WIDGET)
    implement_end = forms.DateField(label=_("Implementation to"), widget=DATE_WIDGET)
    summarise_start = forms.DateField(label=_("Summary from"), widget=DATE_WIDGET)
    summarise_end = forms.DateField(label=_("Summary to"), widget=DATE_WIDGET)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = Region.objects.visible_to(user).filter(level=6)

    def phases(self) -> list:
        data = self.cleaned_data
        return [
            (PhaseKind.MOBILISE, data["mobilise_start"], data["mobilise_end"]),
            (PhaseKind.IMPLEMENT, data["implement_start"], data["implement_end"]),
            (PhaseKind.SUMMARISE, data["summarise_start"], data["summarise_end"]),
        ]


class WorkTeamForm(BootstrapForm):
    name = forms.CharField(label=_("Team name"), max_length=64)
    unit_name = forms.CharField(label=_("Unit name"), max_length=128)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    villages = forms.ModelMultipleChoiceField(
        label=_("Villages"), queryset=Region.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Team members"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, county=None, **kwargs):
        from django.contrib.auth import get_user_model

        from healthaid.scoping import SERVICE_WRITE_ROLES

        super().__init__(*args, **kwargs)
        self.fields["villages"].queryset = Region.objects.filter(
            code__startswith=county.prefix, level=12
        ).order_by("code")
        # The county's doctors and staff: the people who record the team's work.
        self.fields["members"].queryset = (
            get_user_model()
            .objects.filter(
                profile__region__code__startswith=county.prefix,
                profile__role__in=SERVICE_WRITE_ROLES,
            )
            .order_by("profile__region_id", "first_name", "username")
        )
        self.fields["members"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )


class FreeClinicTargetForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=128)
    county = forms.ModelChoiceField(label=_("County"), queryset=Region.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_WIDGET)
    rounds = forms.IntegerField(label=_("Rounds per village"), min_value=1, initial=2)
    villages = forms.ModelMultipleChoiceField(
        label=_("Villages"), queryset=Region.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = Region.objects.visible_to(user)
        self.fields["county"].queryset = scope.filter(level=6)
        self.fields["villages"].queryset = scope.filter(level=12).order_by("code")


class CampaignEditForm(BootstrapForm):
    """A campaign's name, target and phases; the mobilisation and summary phases may be left
    empty (removed), the implementation phase may not."""

    name = forms.CharField(label=_("Name"), max_length=128)
    target = forms.ChoiceField(label=_("Campaign target"), choices=CampaignTarget.choices)
    mobilise_start = forms.DateField(
        label=_("Mobilisation from"), widget=DATE_WIDGET, required=False
    )
    mobilise_end = forms.DateField(label=_("Mobilisation to"), widget=DATE_WIDGET, required=False)
    implement_start = forms.DateField(label=_("Implementation from"), widget=DATE_WIDGET)
    implement_end = forms.DateField(label=_("Implementation to"), widget=DATE_WIDGET)
    summarise_start = forms.DateField(label=_("Summary from"), widget=DATE_WIDGET, required=False)
    summarise_end = forms.DateField(label=_("Summary to"), widget=DATE_WIDGET, required=False)

    KINDS = (
        (PhaseKind.MOBILISE, "mobilise"),
        (PhaseKind.IMPLEMENT, "implement"),
        (PhaseKind.SUMMARISE, "summarise"),
    )

    @classmethod
    def initial_for(cls, campaign) -> dict:
        initial = {"name": campaign.name, "target": campaign.target}
        for phase in campaign.phases.all():
            prefix = dict(cls.KINDS)[phase.kind]
            initial[f"{prefix}_start"], initial[f"{prefix}_end"] = phase.starts_on, phase.ends_on
        return initial

    def clean(self):
        data = super().clean()
        for _kind, prefix in self.KINDS:
            start, end = data.get(f"{prefix}_start"), data.get(f"{prefix}_end")
            if (start is None) != (end is None):
                self.add_error(
                    f"{prefix}_end" if end is None else f"{prefix}_start",
                    _("give both dates of the phase, or neither to remove it."),
                )
        return data

    def phases(self) -> list:
        data = self.cleaned_data
        return [
            (kind, data[f"{prefix}_start"], data[f"{prefix}_end"])
            for kind, prefix in self.KINDS
            if data.get(f"{prefix}_start") and data.get(f"{prefix}_end")
        ]


class CampaignItemForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=64)
    source = forms.ChoiceField(label=_("Completed by"), choices=ItemSource.choices)
