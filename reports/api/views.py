"""Indicator endpoints: the figures of ``reports.indicators`` as JSON for dashboards and
other systems. Scoped like everything else: a region outside the caller's scope is 404."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from healthaid.models import Region
from healthaid.scoping import get_profile, scope_prefix
from reports.indicators import contract_indicators

DATE_FORMATS = ["%Y-%m-%d"]


class IndicatorQuery(forms.Form):
    region = forms.RegexField(
        regex=r"^\d{2,12}$",
        required=False,
        error_messages={"invalid": gettext_lazy("A region code has 2 to 12 digits.")},
    )
    start = forms.DateField(
        required=False,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": gettext_lazy("Enter the date as YYYY-MM-DD.")},
    )
    end = forms.DateField(
        required=False,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": gettext_lazy("Enter the date as YYYY-MM-DD.")},
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data


def _period(data, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = data.get("end") or today
    start = data.get("start") or datetime.date(end.year, 1, 1)
    return start, end


def _region(user, code: str | None) -> Region | None:
    """The asked region, which must lie inside the caller's scope; else 404."""
    if not code:
        profile = get_profile(user)
        return profile.region if profile else None
    prefix = scope_prefix(user)
    region = Region.objects.filter(code=code.ljust(12, "0")).first()
    if region is None or prefix is None or not region.code.startswith(prefix):
        raise NotFound(_("No such region in your scope."))
    return region


CONTRACT_INDICATORS = inline_serializer(
    "ContractIndicators",
    {
        "target": serializers.IntegerField(),
        "contracted": serializers.IntegerField(),
        "contract_rate": serializers.CharField(allow_null=True),
        "key_group_target": serializers.IntegerField(),
        "key_group_contracted": serializers.IntegerField(),
        "key_group_contract_rate": serializers.CharField(allow_null=True),
        "windows_due": serializers.IntegerField(),
        "windows_done": serializers.IntegerField(),
        "completion_rate": serializers.CharField(allow_null=True),
    },
)


class ContractIndicatorsView(APIView):
    """Contract rate, key-group contract rate and follow-up completion (履约率).

    Rates are percentages as strings with 2 decimals ("82.20"), ``null`` when nothing is
    in the denominator. ``region`` defaults to the caller's scope, ``end`` to today and
    ``start`` to 1 January of ``end``'s year.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=CONTRACT_INDICATORS,
    )
    def get(self, request):
        query = IndicatorQuery(request.query_params)
        if not query.is_valid():
            raise ValidationError(
                {
                    ("non_field_errors" if key == "__all__" else key): messages
                    for key, messages in query.errors.items()
                }
            )
        today = timezone.localdate()
        start, end = _period(query.cleaned_data, today)
        region = _region(request.user, query.cleaned_data.get("region"))
        figures = contract_indicators(
            request.user, region=region, start=start, end=end, today=today
        )
        return Response(figures.as_json())


# --- Screenings, five-ones and free clinics (screening app) ---------------------------------

from reports.indicators import (  # noqa: E402
    five_ones_indicators,
    free_clinic_indicators,
    screening_indicators,
)


def _valid(query: forms.Form) -> dict:
    if not query.is_valid():
        raise ValidationError(
            {
                ("non_field_errors" if key == "__all__" else key): messages
                for key, messages in query.errors.items()
            }
        )
    return query.cleaned_data


_REGION_PERIOD = [
    OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
    OpenApiParameter("start", OpenApiTypes.DATE),
    OpenApiParameter("end", OpenApiTypes.DATE),
]

SCREENING_INDICATORS = inline_serializer(
    "ScreeningIndicators",
    {
        "screened": serializers.IntegerField(),
        "abnormal": serializers.IntegerField(),
        "abnormal_rate": serializers.CharField(allow_null=True),
        "suspected_to_confirm": serializers.IntegerField(),
        "checkup_target": serializers.IntegerField(),
        "checked_up": serializers.IntegerField(),
        "checkup_coverage": serializers.CharField(allow_null=True),
    },
)


class ScreeningIndicatorsView(APIView):
    """People screened and abnormal in the period, open suspected cases, and the half-year
    check-up coverage of the half ``end`` falls in. Rates as strings ("12.50"), ``null``
    without a denominator; ``end`` defaults to today, ``start`` to 1 January."""

    @extend_schema(parameters=_REGION_PERIOD, responses=SCREENING_INDICATORS)
    def get(self, request):
        data = _valid(IndicatorQuery(request.query_params))
        start, end = _period(data, timezone.localdate())
        region = _region(request.user, data.get("region"))
        return Response(screening_indicators(request.user, region=region, start=start, end=end))


class FiveOnesQuery(forms.Form):
    campaign = forms.IntegerField(
        min_value=1, error_messages={"required": gettext_lazy("Choose a campaign.")}
    )
    region = IndicatorQuery.base_fields["region"]


FIVE_ONES_INDICATORS = inline_serializer(
    "FiveOnesIndicators",
    {
        "households_targeted": serializers.IntegerField(),
        "items": inline_serializer(
            "FiveOnesItem",
            {
                "id": serializers.IntegerField(),
                "order": serializers.IntegerField(),
                "name": serializers.CharField(),
                "source": serializers.CharField(),
                "done": serializers.IntegerField(),
                "rate": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        "all_five_done": serializers.IntegerField(),
        "all_five_rate": serializers.CharField(allow_null=True),
        "overdue": serializers.IntegerField(),
    },
)


class FiveOnesIndicatorsView(APIView):
    """A five-ones campaign's completion: households targeted, per item done and rate, all
    items done and rate, and households overdue after the implementation phase. A campaign
    or region outside the caller's scope is 404."""

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.INT, required=True),
            OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
        ],
        responses=FIVE_ONES_INDICATORS,
    )
    def get(self, request):
        from screening.models import Campaign

        data = _valid(FiveOnesQuery(request.query_params))
        campaign = (
            Campaign.objects.visible_to(request.user)
            .select_related("county")
            .prefetch_related("phases")
            .filter(pk=data["campaign"])
            .first()
        )
        if campaign is None:
            raise NotFound(_("No such campaign in your scope."))
        region = _region(request.user, data.get("region")) if data.get("region") else None
        return Response(five_ones_indicators(request.user, campaign=campaign, region=region))


FREE_CLINIC_INDICATORS = inline_serializer(
    "FreeClinicIndicators",
    {
        "sessions": serializers.IntegerField(),
        "staff_times": serializers.IntegerField(),
        "served": serializers.IntegerField(),
        "leaflets": serializers.IntegerField(),
        "drug_value": serializers.CharField(),
        "service_value": serializers.CharField(),
        "total_value": serializers.CharField(),
    },
)


class FreeClinicIndicatorsView(APIView):
    """Free clinics (义诊) held in the area and period: sessions, staff person-times, people
    served, leaflets, and drug, service and total value as decimal strings in yuan
    ("49812.59"). Without ``start`` and ``end`` every clinic counts."""

    @extend_schema(parameters=_REGION_PERIOD, responses=FREE_CLINIC_INDICATORS)
    def get(self, request):
        data = _valid(IndicatorQuery(request.query_params))
        region = _region(request.user, data.get("region"))
        return Response(
            free_clinic_indicators(
                request.user, region=region, start=data.get("start"), end=data.get("end")
            )
        )
