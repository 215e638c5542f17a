"""Filters of the consortium app, one FilterSet per list, shared by the pages and the API:
by region (division code), institution (any involvement) and date."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from healthaid.filtersets import IdFilter
from healthaid.forms import BootstrapForm
from healthaid.models import Institution, Region
from medconsortium.choices import (
    ConsortiumKind,
    ConsortiumStatus,
    ConsultationKind,
    Direction,
    ExchangeStatus,
    ReferralStatus,
    ReservedKind,
    SessionStatus,
)
from medconsortium.models import (
    Consortium,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)


def _prefix(value: str) -> str | None:
    region = Region.objects.filter(code=value.ljust(12, "0")).only("code", "level").first()
    return region.prefix if region else None


class _Base(django_filters.FilterSet):
    """``region`` and ``institution`` filter on the fields each list names."""

    region_fields: tuple[str, ...] = ()
    institution_fields: tuple[str, ...] = ()

    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    institution = IdFilter(method="filter_institution", label=_("Institution"))

    def filter_region(self, queryset, name, value):
        prefix = _prefix(value)
        if prefix is None:
            return queryset.none()
        query = Q()
        for field in self.region_fields:
            query |= Q(**{f"{field}__startswith": prefix})
        return queryset.filter(query)

    def filter_institution(self, queryset, name, value):
        query = Q()
        for field in self.institution_fields:
            query |= Q(**{field: value})
        return queryset.filter(query)


class ReferralFilterSet(_Base):
    region_fields = ("village__code",)
    institution_fields = ("from_institution_id", "to_institution_id")

    direction = django_filters.ChoiceFilter(choices=Direction.choices, label=_("Direction"))
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices, label=_("Status"))
    reserved = django_filters.ChoiceFilter(
        choices=[c for c in ReservedKind.choices if c[0]], label=_("Reserved capacity")
    )
    start = django_filters.DateFilter(
        field_name="requested_on", lookup_expr="gte", label=_("Requested from")
    )
    end = django_filters.DateFilter(
        field_name="requested_on", lookup_expr="lte", label=_("Requested to")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Name or reason"))

    class Meta:
        model = Referral
        form = BootstrapForm
        fields = ["direction", "status", "reserved"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(member__name__contains=value) | Q(reason__contains=value))


class ExpertSessionFilterSet(_Base):
    region_fields = ("host__region__code",)
    institution_fields = ("host_id", "visiting_id")

    status = django_filters.ChoiceFilter(choices=SessionStatus.choices, label=_("Status"))
    consortium = IdFilter(field_name="consortium_id", label=_("Consortium"))
    start = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = ExpertSession
        form = BootstrapForm
        fields = ["status"]


class ConsortiumFilterSet(_Base):
    kind = django_filters.ChoiceFilter(choices=ConsortiumKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=ConsortiumStatus.choices, label=_("Status"))
    start = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="gte", label=_("Signed from")
    )
    end = django_filters.DateFilter(field_name="signed_on", lookup_expr="lte", label=_("Signed to"))

    class Meta:
        model = Consortium
        form = BootstrapForm
        fields = ["kind", "status"]

    def filter_region(self, queryset, name, value):
        prefix = _prefix(value)
        if prefix is None:
            return queryset.none()
        return queryset.filter(
            Q(lead__region__code__startswith=prefix)
            | Q(
                pk__in=Consortium.objects.filter(
                    memberships__institution__region__code__startswith=prefix
                ).values("pk")
            )
        )

    def filter_institution(self, queryset, name, value):
        return queryset.filter(
            Q(lead_id=value)
            | Q(pk__in=Consortium.objects.filter(memberships__institution_id=value).values("pk"))
        )


class TraineeExchangeFilterSet(_Base):
    region_fields = ("from_institution__region__code", "to_institution__region__code")
    institution_fields = ("from_institution_id", "to_institution_id")

    status = django_filters.ChoiceFilter(choices=ExchangeStatus.choices, label=_("Status"))
    start = django_filters.DateFilter(field_name="end", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="start", lookup_expr="lte", label=_("To"))

    class Meta:
        model = TraineeExchange
        form = BootstrapForm
        fields = ["status"]


class RemoteConsultationFilterSet(_Base):
    region_fields = ("requesting__region__code",)
    institution_fields = ("requesting_id", "reading_id")

    kind = django_filters.ChoiceFilter(choices=ConsultationKind.choices, label=_("Kind"))
    start = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = RemoteConsultation
        form = BootstrapForm
        fields = ["kind"]


class ReservedCapacityFilterSet(_Base):
    region_fields = ("institution__region__code",)
    institution_fields = ("institution_id",)

    start = django_filters.DateFilter(field_name="week_start", lookup_expr="gte", label=_("From"))
    end = django_filters.DateFilter(field_name="week_start", lookup_expr="lte", label=_("To"))

    class Meta:
        model = ReservedCapacity
        form = BootstrapForm
        fields = []


def hospitals():
    """Where a referral may go: every hospital, wherever it is (a county refers to the
    province's and other provinces' hospitals, which its scope does not contain)."""
    from medconsortium.services import HOSPITAL_KINDS

    return Institution.objects.filter(kind__in=HOSPITAL_KINDS).select_related("region")
