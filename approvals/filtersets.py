"""Filters of the approval list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from approvals.choices import ApprovalStatus, PeriodKind, UnitKind
from approvals.models import Approval
from healthaid.forms import BootstrapForm


class ApprovalFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ApprovalStatus.choices, label=_("status"))
    unit_kind = django_filters.ChoiceFilter(choices=UnitKind.choices, label=_("unit type"))
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices, label=_("period type"))
    year = django_filters.NumberFilter(label=_("year"), min_value=2000, max_value=2100)

    class Meta:
        model = Approval
        form = BootstrapForm
        fields = ["status", "unit_kind", "period_kind", "year"]
