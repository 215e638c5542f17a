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
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from healthaid.api.views import ScopedQuerysetMixin
from healthaid.choices import Role
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

    # Contract figures are not hospital staff's (the contract-rates page is 403 for them too):
    # they see what involves their institution only.
    read_roles = frozenset(Role.values) - {Role.HOSPITAL_STAFF}

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


# --- Consortia (issue 8) ---------------------------------------------------------------------

CONSORTIUM_SUMMARY = inline_serializer(
    "ConsortiumSummary",
    {
        "experts": serializers.IntegerField(),
        "sessions": serializers.IntegerField(),
        "outpatients": serializers.IntegerField(),
        "teaching_rounds": serializers.IntegerField(),
        "case_discussions": serializers.IntegerField(),
        "surgeries_taught": serializers.IntegerField(),
        "trainings": serializers.IntegerField(),
        "people_trained": serializers.IntegerField(),
        "referrals_up": serializers.IntegerField(),
        "referrals_down": serializers.IntegerField(),
        "reserved_slots_offered": serializers.IntegerField(),
        "reserved_slots_used": serializers.IntegerField(),
        "reserved_beds_offered": serializers.IntegerField(),
        "reserved_beds_used": serializers.IntegerField(),
        "reserved_slot_use_rate": serializers.CharField(allow_null=True),
        "remote_consultations": inline_serializer(
            "RemoteConsultationsByKind",
            {
                "consultation": serializers.IntegerField(),
                "ecg": serializers.IntegerField(),
                "imaging": serializers.IntegerField(),
            },
        ),
    },
)


class ConsortiumIndicatorsView(APIView):
    """Expert sessions, referrals, reserved capacity and remote consultations of a region
    and period (the figures of seed 002's 楚雄市 paragraph), defined in
    ``reports.indicators``.

    ``reserved_slot_use_rate`` is a percentage string with 2 decimals, ``null`` when no
    reserved slot was offered; ``remote_consultations`` counts by kind. ``region``
    defaults to the caller's scope, ``end`` to today and ``start`` to 1 January of
    ``end``'s year.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=CONSORTIUM_SUMMARY,
    )
    def get(self, request):
        from reports.indicators import consortium_summary

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
        return Response(
            consortium_summary(request.user, region=region, start=start, end=end).as_json()
        )


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


class FiveOnesIndicatorsView(ScopedQuerysetMixin, GenericAPIView):
    """A five-ones campaign's completion: households targeted, per item done and rate, all
    items done and rate, and households overdue after the implementation phase. A campaign
    or region outside the caller's scope is 404."""

    pagination_class = None
    filter_backends = []

    @property
    def queryset(self):
        from screening.models import Campaign

        return Campaign.objects.select_related("county").prefetch_related("phases")

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.INT, required=True),
            OpenApiParameter("region", OpenApiTypes.STR, description="division code"),
        ],
        responses=FIVE_ONES_INDICATORS,
    )
    def get(self, request):

        data = _valid(FiveOnesQuery(request.query_params))
        campaign = self.get_queryset().filter(pk=data["campaign"]).first()
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
