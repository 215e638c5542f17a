"""Filters of contracts and follow-ups, one FilterSet each, shared by the pages and the API."""

from __future__ import annotations

import contextlib

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.choices import ContractStatus, ControlStatus, FollowUpPlace, ServicePackage
from contracts.models import Contract, DoctorTeam, FollowUp
from healthaid.filtersets import IdFilter
from healthaid.forms import BootstrapForm
from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.models import Region
from households.models import Disease


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
    region = Region.objects.filter(code=value).first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__startswith": region.prefix})


class ContractFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name, household no. or ID number"))
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("Status"))
    package = django_filters.ChoiceFilter(choices=ServicePackage.choices, label=_("Package"))
    team = django_filters.ModelChoiceFilter(queryset=_teams, label=_("Team"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    member = IdFilter(field_name="member_id", label=_("Member"))
    household = IdFilter(field_name="member__household_id", label=_("Household"))
    signed_from = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="gte", label=_("Signed from")
    )
    signed_to = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="lte", label=_("Signed to")
    )
    expiring = django_filters.BooleanFilter(
        method="filter_expiring", label=_("Expiring in 30 days")
    )
    # The contracts behind the contract rate (a dashboard's figures link here): in effect on
    # at least one day of [in_effect_from, in_effect_to], and with ``per_member`` only each
    # person's latest such contract, so the list counts people as the rate does.
    in_effect_from = django_filters.DateFilter(
        method="filter_in_effect_from", label=_("In effect from")
    )
    in_effect_to = django_filters.DateFilter(method="filter_in_effect_to", label=_("In effect to"))
    per_member = django_filters.BooleanFilter(
        method="filter_per_member", label=_("One per person (the latest)")
    )

    class Meta:
        model = Contract
        form = BootstrapForm
        fields = ["status", "package", "team"]

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_region(self, queryset, name, value):
        return _within(queryset, value, "member__household__village__code")

    def filter_expiring(self, queryset, name, value):
        if value:
            return queryset.expiring_within(timezone.localdate(), 30)
        return queryset

    @staticmethod
    def _in_effect(queryset, start, end):
        if start is not None:
            queryset = queryset.filter(valid_to__gte=start).exclude(terminated_on__lt=start)
        if end is not None:
            queryset = queryset.filter(valid_from__lte=end)
        return queryset

    def filter_in_effect_from(self, queryset, name, value):
        return self._in_effect(queryset, value, None)

    def filter_in_effect_to(self, queryset, name, value):
        return self._in_effect(queryset, None, value)

    def filter_per_member(self, queryset, name, value):
        if not value:
            return queryset
        data = self.form.cleaned_data
        others = self._in_effect(
            Contract.objects.filter(member_id=OuterRef("member_id")),
            data.get("in_effect_from"),
            data.get("in_effect_to"),
        )
        later = others.filter(
            Q(valid_from__gt=OuterRef("valid_from"))
            | Q(valid_from=OuterRef("valid_from"), pk__gt=OuterRef("pk"))
        )
        return queryset.filter(~Exists(later))


class FollowUpFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name, household no. or ID number"))
    disease = django_filters.ModelChoiceFilter(
        queryset=Disease.objects.filter(follow_up_rule__isnull=False),
        to_field_name="code",
        label=_("Disease"),
    )
    place = django_filters.ChoiceFilter(choices=FollowUpPlace.choices, label=_("Visit type"))
    control_status = django_filters.ChoiceFilter(
        choices=[c for c in ControlStatus.choices if c[0]], label=_("Control status")
    )
    team = django_filters.ModelChoiceFilter(
        field_name="contract__team", queryset=_teams, label=_("Team")
    )
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))
    member = IdFilter(field_name="member_id", label=_("Member"))
    visited_from = django_filters.DateFilter(
        field_name="visited_on", lookup_expr="gte", label=_("Visited from")
    )
    visited_to = django_filters.DateFilter(
        field_name="visited_on", lookup_expr="lte", label=_("Visited to")
    )

    class Meta:
        model = FollowUp
        form = BootstrapForm
        fields = ["disease", "place", "control_status"]

    def filter_q(self, queryset, name, value):
        return _search(queryset, value)

    def filter_region(self, queryset, name, value):
        return _within(queryset, value, "member__household__village__code")


# --- the worklist's options (its page and its API read the same query string) --------------------


def worklist_params(query) -> dict:
    """The worklist's options from a query string, unknown values replaced by defaults."""
    sort = query.get("sort")
    show = query.get("show")
    village = query.get("village") or ""
    try:
        page = int(query.get("page", 1))
    except ValueError:
        page = 1
    return {
        "sort": sort if sort in ("overdue", "name") else "overdue",
        "show": show if show in ("due", "overdue") else "",
        "village": village if village.isdigit() else "",
        "page": page,
    }


def worklist_team(user, query) -> DoctorTeam | None:
    """The team asked for with ``team=ID``: one the user sees, else 404 (like a record)."""
    team_id = query.get("team")
    if not team_id:
        return None
    if not team_id.isdigit():
        raise Http404
    return get_object_or_404(DoctorTeam.objects.visible_to(user), pk=team_id)
