"""Filters shared by the HTML lists and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from healthaid.choices import AuditAction, InstitutionKind, RegionLevel
from healthaid.forms import BootstrapForm
from healthaid.models import AuditLog, Institution, Region


class IdFilter(django_filters.NumberFilter):
    """A record's id in the query string: a whole number the database's keys can hold, so a
    value such as ``-3.9e25`` is a 400 naming the parameter, not a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class RegionFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label=_("level"))
    parent = django_filters.CharFilter(field_name="parent_id", label=_("parent"))
    within = django_filters.CharFilter(method="filter_within", label=_("within region"))
    q = django_filters.CharFilter(method="filter_q", label=_("search"))

    class Meta:
        model = Region
        form = BootstrapForm
        fields = ["level", "parent"]

    def filter_within(self, queryset, name, value):
        region = Region.objects.filter(code=value).first()
        return queryset.within(region) if region else queryset.none()

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value) | Q(code__startswith=value))


class InstitutionFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InstitutionKind.choices, label=_("kind"))
    region = django_filters.CharFilter(method="filter_region", label=_("region"))
    q = django_filters.CharFilter(method="filter_q", label=_("search"))

    class Meta:
        model = Institution
        form = BootstrapForm
        fields = ["kind"]

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value).first()
        return (
            queryset.filter(region__code__startswith=region.prefix) if region else queryset.none()
        )

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value) | Q(code__startswith=value))


class AuditLogFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("action"))
    user = django_filters.CharFilter(field_name="actor_name", label=_("user"))
    target_type = django_filters.CharFilter(label=_("record type"))
    target_id = django_filters.CharFilter(label=_("record id"))
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("from"))
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("to"))

    class Meta:
        model = AuditLog
        form = BootstrapForm
        fields = ["action", "target_type", "target_id"]
