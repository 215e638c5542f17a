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
from healthaid.scoping import get_profile
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
    region = Region.objects.visible_to(user).by_code(code)
    if region is None:
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
