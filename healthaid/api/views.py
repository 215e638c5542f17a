"""Base viewsets, and the core's own endpoints.

Every API list and detail goes through ``visible_to(user)`` in ``ScopedQuerysetMixin``;
a record outside the caller's scope is not found (404).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from healthaid.api import serializers
from healthaid.choices import Role
from healthaid.filtersets import AuditLogFilterSet, InstitutionFilterSet, RegionFilterSet
from healthaid.models import AuditLog, Institution, Region


class ScopedQuerysetMixin:
    """Applies the one scoping mechanism to ``queryset``."""

    # Keyword arguments of ``visible_to`` for this viewset (the region API adds ancestors).
    scope_options: dict = {}

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user, **self.scope_options)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    pass


class RegionViewSet(ScopedReadOnlyViewSet):
    """The administrative tree within the caller's scope (and the regions above it)."""

    queryset = Region.objects.all()
    scope_options = {"ancestors": True}
    serializer_class = serializers.RegionSerializer
    filterset_class = RegionFilterSet


class InstitutionViewSet(ScopedReadOnlyViewSet):
    """Institutions in the caller's scope and the hospitals of the regions above it."""

    queryset = Institution.objects.select_related("region")
    serializer_class = serializers.InstitutionSerializer
    filterset_class = InstitutionFilterSet


class AuditLogViewSet(ScopedReadOnlyViewSet):
    """The audit trail of the caller's scope; county bureau staff only."""

    queryset = AuditLog.objects.all()
    serializer_class = serializers.AuditLogSerializer
    filterset_class = AuditLogFilterSet
    read_roles = frozenset({Role.COUNTY_STAFF})


@extend_schema(responses=serializers.MeSerializer)
@api_view(["GET"])
def me(request):
    """The caller's account, role and scope."""
    return Response(serializers.MeSerializer(request.user).data)
