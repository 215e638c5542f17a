"""Contracts, follow-ups, teams and the worklist for the mobile client.

Scoped once in ``ScopedQuerysetMixin``; reads for every role within its scope, writes for
``SERVICE_WRITE_ROLES`` and always through the services. Lists share their FilterSets with
the pages and run a fixed number of queries.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts import selectors, services
from contracts.api import serializers
from contracts.filtersets import (
    ContractFilterSet,
    FollowUpFilterSet,
    worklist_params,
    worklist_team,
)
from contracts.models import Contract, DoctorTeam, FollowUp
from healthaid.api.views import ScopedQuerysetMixin, ScopedReadOnlyViewSet
from healthaid.scoping import SERVICE_WRITE_ROLES, can_write_services


@contextmanager
def service_errors():
    """A service's ``ValidationError`` becomes the API's 400 with the same messages."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        raise drf_serializers.ValidationError(detail) from exc


class DoctorTeamViewSet(ScopedReadOnlyViewSet):
    """Family-doctor teams of the caller's scope (and teams covering its villages)."""

    queryset = (
        DoctorTeam.objects.select_related("institution")
        .prefetch_related("villages", "members")
        .order_by("name")
    )
    serializer_class = serializers.DoctorTeamSerializer


class ContractViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts in the caller's scope. Sign (POST), renew, terminate and sign a household."""

    queryset = Contract.objects.select_related("member__household", "team", "doctor").order_by(
        "-valid_from", "-pk"
    )
    serializer_class = serializers.ContractSerializer
    filterset_class = ContractFilterSet
    write_roles = SERVICE_WRITE_ROLES

    def _out(self, contract, code=status.HTTP_200_OK):
        contract = self.get_queryset().get(pk=contract.pk)
        return Response(serializers.ContractSerializer(contract).data, status=code)

    @extend_schema(
        request=serializers.ContractSignSerializer, responses=serializers.ContractSerializer
    )
    def create(self, request):
        payload = serializers.ContractSignSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            contract = services.contract_sign(**payload.validated_data, by=request.user)
        return self._out(contract, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ContractRenewSerializer, responses=serializers.ContractSerializer
    )
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        contract = self.get_object()
        payload = serializers.ContractRenewSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            renewal = services.contract_renew(
                contract=contract, **payload.validated_data, by=request.user
            )
        return self._out(renewal, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ContractTerminateSerializer, responses=serializers.ContractSerializer
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        contract = self.get_object()
        payload = serializers.ContractTerminateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            services.contract_terminate(
                contract=contract, **payload.validated_data, by=request.user
            )
        return self._out(contract)

    @extend_schema(
        request=serializers.HouseholdSignSerializer,
        responses=serializers.ContractSerializer(many=True),
    )
    @action(detail=False, methods=["post"], url_path="sign-household")
    def sign_household(self, request):
        payload = serializers.HouseholdSignSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            created, skipped = services.household_sign(**payload.validated_data, by=request.user)
        contracts = self.get_queryset().filter(pk__in=[c.pk for c in created])
        return Response(
            {
                "created": serializers.ContractSerializer(contracts, many=True).data,
                "skipped_members": [m.pk for m in skipped],
            },
            status=status.HTTP_201_CREATED,
        )


class FollowUpViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-up visits in the caller's scope; POST records one (control status derived)."""

    queryset = FollowUp.objects.select_related("member__household", "disease", "doctor").order_by(
        "-visited_on", "-pk"
    )
    serializer_class = serializers.FollowUpSerializer
    filterset_class = FollowUpFilterSet
    write_roles = SERVICE_WRITE_ROLES

    @extend_schema(
        request=serializers.FollowUpCreateSerializer, responses=serializers.FollowUpSerializer
    )
    def create(self, request):
        payload = serializers.FollowUpCreateSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            follow_up = services.follow_up_record(**payload.validated_data, by=request.user)
        follow_up = self.get_queryset().get(pk=follow_up.pk)
        return Response(
            serializers.FollowUpSerializer(follow_up).data, status=status.HTTP_201_CREATED
        )


class WorklistAPIView(APIView):
    """The caller's worklist: ``team=ID``, ``village=CODE``, ``sort=overdue|name``,
    ``show=due|overdue``, ``page``, ``page_size`` (default 100, up to 500)."""

    @extend_schema(responses=None)
    def get(self, request):
        if not can_write_services(request.user):
            raise PermissionDenied
        team = worklist_team(request.user, request.query_params)
        try:
            per_page = min(500, max(1, int(request.query_params.get("page_size", 100))))
        except ValueError:
            per_page = 100
        work = selectors.worklist(
            request.user,
            team=team,
            per_page=per_page,
            **worklist_params(request.query_params),
        )
        return Response(
            {
                "date": work.today,
                "team": work.team.pk if work.team else None,
                "needs_team": work.needs_team,
                "due": work.due,
                "overdue": work.overdue,
                "count": work.total,
                "page": work.page,
                "pages": work.pages,
                "village_counts": [
                    {"code": v.code, "name": v.name, "members": n} for v, n in work.village_counts
                ],
                "villages": [
                    {
                        "code": group.village.code,
                        "name": group.village.name,
                        "members": [
                            {
                                "id": entry.member.pk,
                                "name": entry.member.name,
                                "household": entry.member.household_number,
                                "phone": entry.member.phone,
                                "diseases": entry.disease_names,
                                "days_overdue": entry.days_overdue,
                                "last_visit_on": entry.last_visit_on,
                                "windows": [
                                    {
                                        "start": w.start,
                                        "end": w.end,
                                        "label": w.label,
                                        "status": w.status,
                                    }
                                    for w in entry.windows
                                ],
                                "contacts": [
                                    {"kind": c.kind, "name": c.name, "phone": c.phone}
                                    for c in entry.contacts
                                ],
                            }
                            for entry in group.entries
                        ],
                    }
                    for group in work.groups
                ],
            }
        )
