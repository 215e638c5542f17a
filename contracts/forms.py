"""Forms of the contracts pages. They parse input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.choices import Adherence, FollowUpPlace, ServicePackage, VisitsPerYear
from contracts.models import DoctorTeam
from contracts.validators import validate_agreement_file
from healthaid.forms import BootstrapForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def doctors_of(teams):
    """Users who lead or belong to any of ``teams`` (one query when listed)."""
    return (
        get_user_model()
        .objects.filter(Q(doctor_teams__in=teams) | Q(pk__in=teams.values("leader_id")))
        .distinct()
        .order_by("first_name", "username")
    )


class TeamDoctorFormMixin:
    """Team and doctor choices limited to the teams the user can see."""

    def setup_team_fields(self, user, initial_team: DoctorTeam | None = None):
        teams = DoctorTeam.objects.visible_to(user).select_related("institution").order_by("name")
        self.fields["team"].queryset = teams
        self.fields["doctor"].queryset = doctors_of(teams)
        if initial_team is not None:
            self.fields["team"].initial = initial_team.pk


class ContractSignForm(TeamDoctorFormMixin, BootstrapForm):
    team = forms.ModelChoiceField(label=_("Family-doctor team"), queryset=DoctorTeam.objects.none())
    doctor = DoctorChoiceField(
        label=_("Responsible doctor"), queryset=get_user_model().objects.none()
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_WIDGET)
    package = forms.ChoiceField(
        label=_("Service package"), choices=ServicePackage.choices, initial=ServicePackage.BASIC
    )
    agreement = forms.FileField(
        label=_("Signed agreement"),
        required=False,
        validators=[validate_agreement_file],
        help_text=_("A PDF scan or a JPG/PNG photo of the signed agreement."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, user, team: DoctorTeam | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_team_fields(user, team)
        self.fields["signed_on"].initial = timezone.localdate()
        if user.pk and self.fields["doctor"].queryset.filter(pk=user.pk).exists():
            self.fields["doctor"].initial = user.pk


class ContractRenewForm(TeamDoctorFormMixin, BootstrapForm):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_WIDGET)
    team = forms.ModelChoiceField(label=_("Family-doctor team"), queryset=DoctorTeam.objects.none())
    doctor = DoctorChoiceField(
        label=_("Responsible doctor"), queryset=get_user_model().objects.none()
    )
    package = forms.ChoiceField(label=_("Service package"), choices=ServicePackage.choices)
    agreement = forms.FileField(
        label=_("Signed agreement"),
        required=False,
        validators=[validate_agreement_file],
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, user, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_team_fields(user, contract.team)
        self.fields["signed_on"].initial = timezone.localdate()
        self.fields["doctor"].initial = contract.doctor_id
        self.fields["package"].initial = contract.package


class ContractTerminateForm(BootstrapForm):
    terminated_on = forms.DateField(label=_("Terminated on"), widget=DATE_WIDGET)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("moved away, deceased, declined ...")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminated_on"].initial = timezone.localdate()


class QuickFollowUpForm(BootstrapForm):
    """The fewest fields: date (today), type (home), the measurements the diseases need.

    The blood pressure fields appear for hypertension, fasting glucose for diabetes; the
    rest (weight, heart rate, adherence, symptoms, next visit, notes) sit folded below.
    """

    visited_on = forms.DateField(label=_("Visit date"), widget=DATE_WIDGET)
    place = forms.ChoiceField(
        label=_("Visit type"),
        choices=FollowUpPlace.choices,
        initial=FollowUpPlace.HOME,
        widget=forms.RadioSelect,
    )
    disease = forms.TypedChoiceField(
        label=_("Disease followed"), coerce=int, required=False, empty_value=None
    )
    systolic = forms.IntegerField(
        label=_("Systolic (mmHg)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    diastolic = forms.IntegerField(
        label=_("Diastolic (mmHg)"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    fasting_glucose = forms.DecimalField(
        label=_("Fasting glucose (mmol/L)"),
        required=False,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    weight = forms.DecimalField(
        label=_("Weight (kg)"), required=False, max_digits=5, decimal_places=1
    )
    heart_rate = forms.IntegerField(label=_("Heart rate (/min)"), required=False)
    adherence = forms.ChoiceField(
        label=_("Medication adherence"),
        required=False,
        choices=[("", "—"), *Adherence.choices],
    )
    symptoms = forms.CharField(label=_("Symptoms"), required=False, max_length=255)
    next_visit_on = forms.DateField(label=_("Next visit"), required=False, widget=DATE_WIDGET)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    MORE_FIELDS = ("weight", "heart_rate", "adherence", "symptoms", "next_visit_on", "notes")

    def __init__(self, *args, diseases: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["place"].widget.attrs["class"] = "form-check-input"
        codes = {d.code for d in diseases}
        self.fields["disease"].choices = [("", "—")] + [(d.pk, d.name) for d in diseases]
        if diseases:
            self.fields["disease"].initial = diseases[0].pk
        self.show_bp = "hypertension" in codes
        self.show_glucose = "t2dm" in codes
        self.diseases = {d.pk: d for d in diseases}

    def clean_disease(self):
        value = self.cleaned_data.get("disease")
        return self.diseases.get(value) if value else None

    @property
    def main_fields(self):
        names = ["visited_on", "place"]
        if len(self.diseases) > 1:
            names.append("disease")
        return [self[name] for name in names]

    @property
    def more_fields(self):
        names = list(self.MORE_FIELDS)
        if not self.show_bp:
            names[:0] = ["systolic", "diastolic"]
        if not self.show_glucose:
            names.insert(0, "fasting_glucose")
        if len(self.diseases) <= 1:
            names.insert(0, "disease")
        return [self[name] for name in names]


class FollowUpRuleForm(BootstrapForm):
    visits_per_year = forms.TypedChoiceField(
        label=_("Follow-ups a year"),
        coerce=int,
        empty_value=0,
        required=False,
        choices=[("", _("As needed (no schedule)")), *VisitsPerYear.choices],
    )


class ImportForm(BootstrapForm):
    KIND_CONTRACTS = "contracts"
    KIND_FOLLOWUPS = "followups"

    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[(KIND_CONTRACTS, _("Contracts")), (KIND_FOLLOWUPS, _("Follow-ups"))],
        widget=forms.RadioSelect,
        initial=KIND_CONTRACTS,
    )
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("An Excel workbook (.xlsx, .xls) or a CSV file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and skip the rows with errors"), required=False
    )
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "form-check-input"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        from contracts.importing import MAX_IMPORT_BYTES

        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB. Split it and upload the parts.")
                % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)}
            )
        return upload


class CountyViewForm(BootstrapForm):
    region = forms.CharField(label=_("Region code"), required=False, widget=forms.HiddenInput)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, today, **kwargs):
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
