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


# --- Settlement figures (issue 9) ------------------------------------------------------------

from reports.indicators import settlement_indicators  # noqa: E402

_MONEY_AND_RATIOS = {
    "total": serializers.CharField(),
    "total_wan": serializers.CharField(),
    "out_of_pocket": serializers.CharField(),
    "out_of_pocket_wan": serializers.CharField(),
    "actual_reimbursement_ratio": serializers.CharField(allow_null=True),
    "out_of_pocket_ratio": serializers.CharField(allow_null=True),
    "per_capita_out_of_pocket": serializers.CharField(allow_null=True),
}
SETTLEMENT_INDICATORS = inline_serializer(
    "SettlementIndicators",
    {
        "inpatient": inline_serializer(
            "InpatientSettlementFigures",
            {
                "person_times": serializers.IntegerField(),
                "pooled": serializers.CharField(),
                "critical_illness": serializers.CharField(),
                "assistance": serializers.CharField(),
                "other": serializers.CharField(),
                **_MONEY_AND_RATIOS,
            },
        ),
        "outpatient": inline_serializer(
            "OutpatientSettlementFigures",
            {
                "visits": serializers.IntegerField(),
                "pooled": serializers.CharField(),
                "pooled_wan": serializers.CharField(),
                **_MONEY_AND_RATIOS,
            },
        ),
        "non_reimbursable": inline_serializer(
            "NonReimbursableShare",
            {
                "institution": serializers.CharField(),
                "name": serializers.CharField(),
                "kind": serializers.CharField(),
                "total": serializers.CharField(),
                "non_reimbursable": serializers.CharField(),
                "share": serializers.CharField(allow_null=True),
                "cap": serializers.CharField(allow_null=True),
                "over_cap": serializers.BooleanField(),
                "excess": serializers.CharField(),
            },
            many=True,
        ),
        "one_stop_rate": serializers.CharField(allow_null=True),
        "treat_first_pay_later_rate": serializers.CharField(allow_null=True),
    },
)


class SettlementIndicatorsView(APIView):
    """Reimbursement figures of inpatient and outpatient settlements (实际报销比例, 自付比例,
    人均自付), the non-reimbursable share per institution against its cap, and the one-stop
    and treat-first-pay-later rates of inpatient settlements.

    Money is yuan as decimal strings ("11600400.00") and 万元 ("1160.04"); rates are percent
    strings with 2 decimals ("90.36"), ``null`` over nothing. Counted: settlements of the
    region's residents whose encounter ended in the period; a hospital's staff see their own
    institution's. ``region`` defaults to the caller's scope, ``end`` to today and ``start``
    to 1 January of ``end``'s year.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=SETTLEMENT_INDICATORS,
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
        start, end = _period(query.cleaned_data, timezone.localdate())
        region = _region(request.user, query.cleaned_data.get("region"))
        figures = settlement_indicators(request.user, region=region, start=start, end=end)
        return Response(figures.as_json())
