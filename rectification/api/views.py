"""Rectification items (问题整改) for other systems: list and detail in the caller's scope;
create and edit (county staff), ``set_status`` (county and township staff) and ``close``
(销号, county staff), always through the services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from contracts.api.views import service_errors
from healthaid.api.views import ScopedQuerysetMixin
from healthaid.choices import Role
from rectification import services
from rectification.api import serializers
from rectification.filtersets import RectificationItemFilterSet
from rectification.models import RectificationItem


class RectificationItemViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Findings to rectify, the nearest deadline first."""

    queryset = RectificationItem.objects.prefetch_related("evidence").order_by("deadline", "id")
    serializer_class = serializers.RectificationItemSerializer
    filterset_class = RectificationItemFilterSet
    write_roles = frozenset({Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR})

    def _answer(self, item, code=status.HTTP_200_OK):
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data, status=code)

    def _call(self, service, **kwargs):
        try:
            with service_errors():
                return service(**kwargs, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    def _payload(self, serializer_class):
        payload = serializer_class(data=self.request.data, context={"request": self.request})
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    @extend_schema(
        request=serializers.RectificationItemWriteSerializer,
        responses={201: serializers.RectificationItemSerializer},
    )
    def create(self, request):
        """Record a finding (county staff)."""
        data = self._payload(serializers.RectificationItemWriteSerializer)
        return self._answer(self._call(services.item_create, **data), status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.RectificationItemWriteSerializer,
        responses=serializers.RectificationItemSerializer,
    )
    def update(self, request, pk=None):
        """Change a finding's particulars (county staff)."""
        item = self.get_object()
        data = self._payload(serializers.RectificationItemWriteSerializer)
        return self._answer(self._call(services.item_update, item=item, **data))

    @extend_schema(
        request=serializers.StatusSerializer, responses=serializers.RectificationItemSerializer
    )
    @action(detail=True, methods=["post"], url_path="set-status")
    def set_status(self, request, pk=None):
        """Report progress: in progress, or done and awaiting the county's check."""
        item = self.get_object()
        data = self._payload(serializers.StatusSerializer)
        return self._answer(self._call(services.item_set_status, item=item, **data))

    @extend_schema(
        request=serializers.CloseSerializer, responses=serializers.RectificationItemSerializer
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """销号: close an item done and awaiting check (county staff)."""
        item = self.get_object()
        data = self._payload(serializers.CloseSerializer)
        return self._answer(self._call(services.item_close, item=item, **data))
