"""Filters of the rectification list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from healthaid.forms import BootstrapForm
from rectification.choices import ItemStatus, Source
from rectification.models import RectificationItem


class RectificationItemFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ItemStatus.choices, label=_("status"))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("source"))
    unit = django_filters.CharFilter(
        field_name="responsible_unit", lookup_expr="icontains", label=_("responsible unit")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = RectificationItem
        form = BootstrapForm
        fields = ["status", "source", "unit", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status=ItemStatus.OVERDUE)
        return queryset.exclude(status=ItemStatus.OVERDUE)
