"""The encounter filters, shared by the encounter pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from healthaid.filtersets import IdFilter
from healthaid.forms import BootstrapForm
from healthaid.models import Region
from medconsortium.choices import EncounterKind
from medconsortium.models import Encounter

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EncounterFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=EncounterKind.choices, label=_("Encounter type"))
    institution = django_filters.CharFilter(
        field_name="institution__code", label=_("Institution code")
    )
    member = IdFilter(field_name="member_id", label=_("Member"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    start = django_filters.DateFilter(
        field_name="discharged_on",
        lookup_expr="gte",
        label=_("Ended on or after"),
        widget=DATE_WIDGET,
    )
    end = django_filters.DateFilter(
        field_name="discharged_on",
        lookup_expr="lte",
        label=_("Ended on or before"),
        widget=DATE_WIDGET,
    )

    class Meta:
        model = Encounter
        fields = ["kind", "institution", "member", "region", "start", "end"]
        form = BootstrapForm

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.ljust(12, "0")).first()
        if region is None:
            return queryset.none()
        return queryset.in_area(region.prefix)
