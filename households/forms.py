"""Forms of the registry pages. They parse input; the services validate the rules and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthaid.choices import RegionLevel
from healthaid.forms import BootstrapForm
from healthaid.models import Region
from households.catalogue import CATEGORIES, DISEASES
from households.choices import (
    ContactKind,
    DiseaseCategory,
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.models import Household, Member

CONTACT_KINDS = (
    ContactKind.VILLAGE_DOCTOR,
    ContactKind.CONTRACTED_DOCTOR,
    ContactKind.HEALTH_CENTRE,
    ContactKind.EMERGENCY,
)


def scoped_villages(user):
    """Villages in the user's scope, for a household's village field."""
    return (
        Region.objects.visible_to(user)
        .filter(level=RegionLevel.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name


class HouseholdForm(BootstrapForm):
    number = forms.CharField(label=_("Household number"), max_length=32)
    village = VillageChoiceField(label=_("Village"), queryset=Region.objects.none())
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    poverty_attribute = forms.ChoiceField(
        label=_("Poverty attribute"), choices=PovertyAttribute.choices
    )
    status = forms.ChoiceField(label=_("Poverty status"), choices=PovertyStatus.choices)
    lifted_year = forms.IntegerField(
        label=_("Year lifted out"),
        required=False,
        min_value=2014,
        help_text=_("Only for households lifted out of poverty."),
    )
    poverty_cause = forms.ChoiceField(
        label=_("Main poverty cause"),
        choices=[("", "---------"), *PovertyCause.choices],
        required=False,
    )
    illness_caused = forms.BooleanField(label=_("Poor because of illness"), required=False)
    illness_returned = forms.BooleanField(
        label=_("Back in poverty because of illness"), required=False
    )

    def __init__(self, *args, user=None, instance: Household | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "number": instance.number,
                "village": instance.village_id,
                "address": instance.address,
                "poverty_attribute": instance.poverty_attribute,
                "status": instance.status,
                "lifted_year": instance.lifted_year,
                "poverty_cause": instance.poverty_cause,
                "illness_caused": instance.illness_caused,
                "illness_returned": instance.illness_returned,
            }
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = scoped_villages(user)


class ContactsForm(BootstrapForm):
    """The household's 亲情号码: one name and phone per kind of contact."""

    prefix = "contacts"

    def __init__(self, *args, household: Household | None = None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if household is not None:
            for contact in household.contacts.all():
                initial.setdefault(f"{contact.kind}_name", contact.name)
                initial.setdefault(f"{contact.kind}_phone", contact.phone)
        super().__init__(*args, initial=initial, **kwargs)
        for kind in CONTACT_KINDS:
            label = ContactKind(kind).label
            self.fields[f"{kind}_name"] = forms.CharField(
                label=_("%(kind)s: name") % {"kind": label}, max_length=64, required=False
            )
            self.fields[f"{kind}_phone"] = forms.CharField(
                label=_("%(kind)s: phone") % {"kind": label}, max_length=32, required=False
            )
        # Re-apply Bootstrap classes to the fields added above.
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def contacts(self) -> list[dict[str, str]]:
        return [
            {
                "kind": kind,
                "name": self.cleaned_data.get(f"{kind}_name", ""),
                "phone": self.cleaned_data.get(f"{kind}_phone", ""),
            }
            for kind in CONTACT_KINDS
            if self.cleaned_data.get(f"{kind}_phone") or self.cleaned_data.get(f"{kind}_name")
        ]


def _disease_choices():
    labels = dict(DiseaseCategory.choices)
    return [
        (labels[category], [(d.code, d.name) for d in DISEASES if d.category == category])
        for category in CATEGORIES
    ]


class MemberForm(BootstrapForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=64)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=40,
        help_text=_("18 characters; sex and birth date are taken from it."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("", _("From the ID number")), *Sex.choices],
        required=False,
    )
    relation = forms.ChoiceField(label=_("Relation to head"), choices=Relation.choices)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    insured = forms.BooleanField(label=_("Enrolled in basic medical insurance"), required=False)
    health_status = forms.ChoiceField(label=_("Health status"), choices=HealthStatus.choices)
    disabled = forms.BooleanField(label=pgettext_lazy("person", "Disabled"), required=False)
    pregnant = forms.BooleanField(label=_("Pregnant"), required=False)
    diseases = forms.MultipleChoiceField(
        label=_("Diseases"),
        choices=_disease_choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    card_number = forms.CharField(
        label=_("New special card number"),
        max_length=64,
        required=False,
        help_text=_("Fill in to record a chronic-disease special card issued to this person."),
    )
    card_disease = forms.ChoiceField(
        label=_("Card disease"),
        choices=lambda: [("", "---------"), *_disease_choices()],
        required=False,
    )
    card_issued_on = forms.DateField(
        label=_("Card issued on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, instance: Member | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "relation": instance.relation,
                "ethnicity": instance.ethnicity,
                "phone": instance.phone,
                "insured": instance.insured,
                "health_status": instance.health_status,
                "disabled": instance.disabled,
                "pregnant": instance.pregnant,
                "diseases": [md.disease.code for md in instance.member_diseases.all()],
            }
        elif "initial" not in kwargs:
            kwargs["initial"] = {"insured": True, "ethnicity": "汉族"}
        super().__init__(*args, **kwargs)
        if instance is not None:
            field = self.fields["id_number"]
            field.required = False
            field.help_text = _(
                "Currently %(masked)s. Leave blank to keep it; a new number re-derives "
                "sex and birth date."
            ) % {"masked": instance.id_number_masked}

    def member_values(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "name",
                "relation",
                "ethnicity",
                "phone",
                "insured",
                "health_status",
                "disabled",
                "pregnant",
            )
        }


class MemberLookupForm(BootstrapForm):
    """One field: the whole ID number (never a part of it, never a name)."""

    id_number = forms.CharField(
        label=_("Full ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("All 18 characters. Only an exact match is found."),
    )
