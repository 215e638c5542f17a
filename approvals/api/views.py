"""Approvals for other systems: list and detail in the caller's scope; ``submit`` (township
and hospital staff), ``return`` and ``approve`` (county staff), always through the services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from approvals import services
from approvals.api.serializers import (
    ApprovalDecisionSerializer,
    ApprovalSerializer,
    ApprovalSubmitSerializer,
)
from approvals.filtersets import ApprovalFilterSet
from approvals.models import Approval
from contracts.api.views import service_errors
from healthaid.api.views import ScopedReadOnlyViewSet
from healthaid.choices import Role


class ApprovalViewSet(ScopedReadOnlyViewSet):
    """Data approvals (数据审核) per unit and period, newest period first."""

    queryset = (
        Approval.objects.select_related("region", "institution")
        .prefetch_related("steps")
        .order_by("-start", "region_id", "id")
    )
    serializer_class = ApprovalSerializer
    filterset_class = ApprovalFilterSet
    write_roles = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.HOSPITAL_STAFF})

    def _answer(self, approval, code=status.HTTP_200_OK):
        approval = self.get_queryset().get(pk=approval.pk)
        return Response(ApprovalSerializer(approval).data, status=code)

    @extend_schema(request=ApprovalSubmitSerializer, responses={201: ApprovalSerializer})
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Submit the caller's unit's figures of a period (again, once returned)."""
        payload = ApprovalSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            with service_errors():
                approval = services.approval_submit(**payload.validated_data, by=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return self._answer(approval, status.HTTP_201_CREATED)

    def _decide(self, request, service):
        approval = self.get_object()
        payload = ApprovalDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            with service_errors():
                approval = service(
                    approval=approval, comment=payload.validated_data["comment"], by=request.user
                )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return self._answer(approval)

    @extend_schema(request=ApprovalDecisionSerializer, responses=ApprovalSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """Return submitted figures with a comment saying what to correct (county staff)."""
        return self._decide(request, services.approval_return)

    @extend_schema(request=ApprovalDecisionSerializer, responses=ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve submitted figures: the unit's records of the period are locked (county staff)."""
        return self._decide(request, services.approval_approve)
