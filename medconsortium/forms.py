"""Forms of the consortium pages: they parse; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm
from healthaid.models import Institution, Region
from households.models import Member
from medconsortium.choices import (
    ConsortiumKind,
    ConsortiumStatus,
    ConsultationKind,
    CooperationItem,
    HalfDay,
    ReservedKind,
)
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


class SessionPlanForm(BootstrapForm):
    host = forms.ModelChoiceField(queryset=None, label=_("Host institution"))
    visiting = forms.ModelChoiceField(queryset=None, label=_("Visiting institution"))
    consortium = forms.ModelChoiceField(queryset=None, label=_("Consortium"), required=False)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    half_day = forms.ChoiceField(label=_("Half-day"), choices=HalfDay.choices)
    specialty = forms.CharField(label=_("Specialty"), max_length=64, required=False)
    experts = forms.CharField(
        label=_("Experts"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: name, title, specialty (separated by spaces)."),
    )

    def __init__(self, *args, hosts, consortia, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = hosts
        self.fields["visiting"].queryset = hospitals().order_by("region_id", "name")
        self.fields["consortium"].queryset = consortia

    def clean_experts(self) -> list[dict]:
        experts = []
        for line in self.cleaned_data["experts"].splitlines():
            parts = line.replace("，", " ").replace(",", " ").split()
            if parts:
                experts.append(
                    {
                        "name": parts[0],
                        "title": parts[1] if len(parts) > 1 else "",
                        "specialty": " ".join(parts[2:]),
                    }
                )
        if not experts:
            raise forms.ValidationError(_("Name at least one expert."))
        return experts


class SessionRecordForm(BootstrapForm):
    clinic = forms.BooleanField(label=_("An outpatient clinic was held"), required=False)
    expert_count = forms.IntegerField(label=_("Experts sent"), min_value=1)
    outpatients = forms.IntegerField(label=_("Outpatients seen"), min_value=0, initial=0)
    teaching_rounds = forms.IntegerField(
        label=_("Teaching rounds (person-times)"), min_value=0, initial=0
    )
    case_discussions = forms.IntegerField(
        label=_("Case discussions (person-times)"), min_value=0, initial=0
    )
    surgeries_taught = forms.IntegerField(label=_("Surgeries taught"), min_value=0, initial=0)
    trainings = forms.IntegerField(label=_("Trainings"), min_value=0, initial=0)
    people_trained = forms.IntegerField(label=_("People trained"), min_value=0, initial=0)


class CapacityForm(BootstrapForm):
    institution = forms.ModelChoiceField(queryset=None, label=_("Institution"))
    week_start = forms.DateField(label=_("Week starting (Monday)"), widget=DATE_WIDGET)
    expert_slots = forms.IntegerField(label=_("Expert appointments offered"), min_value=0)
    beds = forms.IntegerField(label=_("Standard beds"), min_value=0)
    slot_share = forms.DecimalField(
        label=_("Share of appointments reserved (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Empty: the institution's own share, else 20%."),
    )
    bed_share = forms.DecimalField(
        label=_("Share of beds reserved (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Empty: the institution's own share, else 10%."),
    )

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


class ConsultationForm(BootstrapForm):
    requesting = forms.ModelChoiceField(queryset=None, label=_("Requesting institution"))
    reading = forms.ModelChoiceField(queryset=None, label=_("Reading institution"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsultationKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    member = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        label=_("Member (number)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text=_(
            "Optional. Filled in when you come from a referral's page; otherwise the number "
            "in the address of the member's page."
        ),
        error_messages={"invalid_choice": _("No member of this number is in your scope.")},
    )
    summary = forms.CharField(
        label=_("Result summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, institutions, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requesting"].queryset = institutions
        self.fields["reading"].queryset = hospitals().order_by("region_id", "name")
        # Accepted by id against the user's scope; never rendered as a list of the registry.
        if user is not None:
            self.fields["member"].queryset = Member.objects.visible_to(user)


class ExchangeForm(BootstrapForm):
    person = forms.CharField(label=_("Trainee"), max_length=64)
    title = forms.CharField(label=_("Professional title"), max_length=64, required=False)
    from_institution = forms.ModelChoiceField(queryset=None, label=_("From institution"))
    to_institution = forms.ModelChoiceField(queryset=None, label=_("Training at"))
    department = forms.CharField(label=_("Department"), max_length=64)
    start = forms.DateField(label=_("Start"), widget=DATE_WIDGET)
    end = forms.DateField(label=_("End"), widget=DATE_WIDGET)

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_institution"].queryset = institutions
        self.fields["to_institution"].queryset = hospitals().order_by("region_id", "name")


class ConsortiumForm(BootstrapForm):
    """A consortium's particulars; the members are added and removed on the edit page."""

    name = forms.CharField(label=_("Name"), max_length=128)
    kind = forms.ChoiceField(label=_("Kind"), choices=ConsortiumKind.choices)
    lead = forms.ModelChoiceField(queryset=Institution.objects.none(), label=_("Lead institution"))
    status = forms.ChoiceField(
        label=_("Status"), choices=ConsortiumStatus.choices, initial=ConsortiumStatus.ACTIVE
    )
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE_WIDGET)
    agreement_file = forms.FileField(
        label=_("Agreement file"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("The signed agreement: PDF, JPEG or PNG, at most 10 MB."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = (
            Institution.objects.visible_to(user)
            .exclude(kind__in=["bureau", "village"])
            .order_by("region_id", "name")
        )


class ConsortiumMemberForm(BootstrapForm):
    """Add a member institution (the N of 1+N) with what the agreement covers for it."""

    institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), label=_("Member institution")
    )
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE_WIDGET)
    items = forms.MultipleChoiceField(
        label=_("Cooperation items"),
        choices=CooperationItem.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, consortium, **kwargs):
        super().__init__(*args, **kwargs)
        taken = [
            consortium.lead_id,
            *consortium.memberships.values_list("institution_id", flat=True),
        ]
        self.fields["institution"].queryset = (
            Institution.objects.visible_to(user)
            .exclude(kind="bureau")
            .exclude(pk__in=taken)
            .order_by("region_id", "name")
        )
        self.fields["items"].widget.attrs["class"] = "form-check-input"
