"""Encounters with their settlements: read for every scoped role, written through the services.

Scoped once in ``ScopedQuerysetMixin`` (``Encounter.objects.visible_to``): a township sees its
residents' encounters wherever treated, hospital staff their own institution's; anything
else is 404. County staff and hospital staff (for their own institution) write.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from healthaid.api.views import ScopedQuerysetMixin
from healthaid.choices import Role
from healthaid.paging import filter_key
from households.models import Disease
from medconsortium import settlement_selectors
from medconsortium.api.settlement_serializers import (
    EncounterCorrectSerializer,
    EncounterSerializer,
    EncounterWriteSerializer,
)
from medconsortium.models import Encounter
from medconsortium.settlement_filtersets import EncounterFilterSet
from medconsortium.settlement_services import (
    SettlementRow,
    SettlementRowError,
    encounter_settlement_upsert,
)

SETTLEMENT_WRITE_ROLES = frozenset({Role.COUNTY_STAFF, Role.HOSPITAL_STAFF})


def _row(*, member_id, village_id, institution_id, kind, admitted_on, discharged_on, diagnosis,
         settlement) -> SettlementRow:  # fmt: skip
    return SettlementRow(
        member_id=member_id,
        village_id=village_id,
        institution_id=institution_id,
        kind=kind,
        admitted_on=admitted_on,
        discharged_on=discharged_on,
        diagnosis_id=diagnosis.pk if diagnosis is not None else None,
        **settlement,
    )


def _upsert(row: SettlementRow, by):
    try:
        return encounter_settlement_upsert(row=row, by=by)
    except SettlementRowError as exc:
        raise ValidationError({"settlement": exc.errors}) from exc


class EncounterViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Encounters (就诊) with their settlement (结算), newest first.

    POST records an encounter and its settlement (or corrects the settlement of the same
    encounter: institution, member, type and dates are its key); PUT corrects one's
    settlement and diagnosis. The parts must add up to the total to the fen.
    """

    queryset = Encounter.objects.select_related(
        "member", "institution", "settlement", "diagnosis"
    ).order_by("-discharged_on", "-id")
    serializer_class = EncounterSerializer
    filterset_class = EncounterFilterSet
    write_roles = SETTLEMENT_WRITE_ROLES

    def cached_count(self, queryset):
        return lambda: settlement_selectors.encounter_list_count(
            self.request.user, filter_key(self.request.query_params), queryset.count
        )

    def _out(self, encounter_id, code):
        encounter = self.get_queryset().get(pk=encounter_id)
        return Response(EncounterSerializer(encounter).data, status=code)

    @extend_schema(request=EncounterWriteSerializer, responses=EncounterSerializer)
    def create(self, request):
        payload = EncounterWriteSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        member = data["member_obj"]
        row = _row(
            member_id=member.pk,
            village_id=member.household.village_id,
            institution_id=data["institution_obj"].pk,
            kind=data["kind"],
            admitted_on=data["admitted_on"],
            discharged_on=data["discharged_on"],
            diagnosis=data.get("diagnosis_obj"),
            settlement=data["settlement"],
        )
        settlement, what = _upsert(row, request.user)
        code = status.HTTP_201_CREATED if what == "created" else status.HTTP_200_OK
        return self._out(settlement.encounter_id, code)

    @extend_schema(request=EncounterCorrectSerializer, responses=EncounterSerializer)
    def update(self, request, pk=None):
        encounter = self.get_object()
        payload = EncounterCorrectSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        diagnosis = encounter.diagnosis
        if data.get("diagnosis"):
            diagnosis = Disease.objects.filter(code=data["diagnosis"]).first()
            if diagnosis is None:
                raise ValidationError({"diagnosis": [_("Unknown disease code.")]})
        row = _row(
            member_id=encounter.member_id,
            village_id=None,  # the service reads the member's current village
            institution_id=encounter.institution_id,
            kind=encounter.kind,
            admitted_on=encounter.admitted_on,
            discharged_on=encounter.discharged_on,
            diagnosis=diagnosis,
            settlement=data["settlement"],
        )
        _upsert(row, request.user)
        return self._out(encounter.pk, status.HTTP_200_OK)
