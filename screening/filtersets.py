"""Filters of the screening app, one FilterSet per list, shared by the pages and the API."""

from __future__ import annotations

import contextlib

import django_filters
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from contracts.models import DoctorTeam
from healthaid.filtersets import IdFilter
from healthaid.forms import BootstrapForm
from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.models import Region
from screening.choices import SuspicionStatus
from screening.models import Campaign, CheckUp, FreeClinic, IssuedPrescription, Screening


def _teams(request):
    if request is None:
        return DoctorTeam.objects.none()
    return DoctorTeam.objects.visible_to(request.user).order_by("name")


def _search(queryset, value: str, prefix: str = "member__"):
    """Name, household number, or an exact ID number (through the blind index)."""
    value = value.strip()
    query = Q(**{f"{prefix}name__contains": value}) | Q(
        **{f"{prefix}household__number__startswith": value}
    )
    with contextlib.suppress(IDNumberError):
        query |= Q(**{f"{prefix}id_number_index": blind_index(normalize_id_number(value))})
    return queryset.filter(query)


def _within(queryset, value: str, field: str):
    region = Region.objects.filter(code=value.ljust(12, "0")).first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__startswith": region.prefix})


class _MemberRecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name, household no. or ID number"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    member = IdFilter(field_name="member_id", label=_("Member"))
    household = IdFilter(field_name="member__household_id", label=_("Household"))

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_region(self, queryset, name, value):
        return _within(queryset, value, "member__household__village__code")


class ScreeningFilterSet(_MemberRecordFilterSet):
    abnormal = django_filters.BooleanFilter(label=_("Abnormal"))
    team = django_filters.ModelChoiceFilter(queryset=_teams, label=_("Team"))
    start = django_filters.DateFilter(field_name="screened_on", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="screened_on", lookup_expr="lte", label=_("To"))
    suspected = django_filters.BooleanFilter(method="filter_suspected", label=_("Suspected case"))
    # Declared last, so it runs on the list the other filters left: each person's latest
    # matching screening only, so the list counts people as the "people screened" figure does.
    per_member = django_filters.BooleanFilter(
        method="filter_per_member", label=_("One per person (the latest)")
    )

    class Meta:
        model = Screening
        form = BootstrapForm
        fields = ["abnormal", "team"]

    def filter_suspected(self, queryset, name, value):
        open_ = Q(suspicions__status=SuspicionStatus.TO_CONFIRM)
        return (queryset.filter(open_) if value else queryset.exclude(open_)).distinct()

    def filter_per_member(self, queryset, name, value):
        if not value:
            return queryset
        latest = queryset.order_by().values("member_id").annotate(last=Max("pk")).values("last")
        return queryset.filter(pk__in=latest)


class CheckUpFilterSet(_MemberRecordFilterSet):
    year = django_filters.NumberFilter(label=_("Year"))
    half = django_filters.ChoiceFilter(
        choices=[(1, _("first half")), (2, _("second half"))], label=_("Half year")
    )
    start = django_filters.DateFilter(field_name="checked_on", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="checked_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = CheckUp
        form = BootstrapForm
        fields = ["year", "half"]


class IssuedPrescriptionFilterSet(_MemberRecordFilterSet):
    disease = django_filters.CharFilter(
        field_name="prescription__disease__code", label=_("Disease")
    )
    start = django_filters.DateFilter(field_name="issued_on", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="issued_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = IssuedPrescription
        form = BootstrapForm
        fields = ["disease"]


class CampaignFilterSet(django_filters.FilterSet):
    county = django_filters.CharFilter(field_name="county_id", label=_("County"))

    class Meta:
        model = Campaign
        form = BootstrapForm
        fields = ["county"]


class FreeClinicFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    start = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label=_("To"))
    unit = django_filters.CharFilter(
        field_name="unit_name", lookup_expr="contains", label=_("Unit")
    )

    class Meta:
        model = FreeClinic
        form = BootstrapForm
        fields = ["unit"]

    def filter_region(self, queryset, name, value):
        return _within(queryset, value, "village__code")
