"""Screenings, check-ups, issued prescriptions, campaigns and free clinics for the mobile
client and other systems.

Scoped once in ``ScopedQuerysetMixin``: every role reads within its scope (hospital staff see
nothing: no screening work is theirs), the roles that record family-doctor work write, always
through the services. Lists share their FilterSets with the pages and run a fixed number of
queries.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from contracts.api.views import service_errors
from healthaid.api.views import ScopedQuerysetMixin
from healthaid.choices import Role
from healthaid.scoping import SERVICE_WRITE_ROLES, can_write_services, get_profile, user_role
from screening import selectors, services
from screening.api import serializers
from screening.choices import SuspicionStatus
from screening.filtersets import (
    CampaignFilterSet,
    CheckUpFilterSet,
    FreeClinicFilterSet,
    IssuedPrescriptionFilterSet,
    ScreeningFilterSet,
)
from screening.models import (
    Campaign,
    CheckUp,
    FreeClinic,
    IssuedPrescription,
    Screening,
    Suspicion,
)


class _RecordViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    write_roles = SERVICE_WRITE_ROLES
    create_serializer_class = None
    service = None

    def _created(self, instance):
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def _create(self, request):
        payload = self.create_serializer_class(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        with service_errors():
            instance = type(self).service(**payload.validated_data, by=request.user)
        return self._created(instance)


class ScreeningViewSet(_RecordViewSet):
    """Screenings in the caller's scope; POST records one (abnormal items by the thresholds,
    suspected cases opened for diseases the member does not have)."""

    queryset = (
        Screening.objects.select_related("member__household", "doctor", "team")
        .prefetch_related(
            Prefetch(
                "suspicions",
                queryset=Suspicion.objects.filter(status=SuspicionStatus.TO_CONFIRM)
                .select_related("disease")
                .order_by("pk"),
            )
        )
        .order_by("-screened_on", "-pk")
    )
    serializer_class = serializers.ScreeningSerializer
    filterset_class = ScreeningFilterSet
    create_serializer_class = serializers.ScreeningCreateSerializer
    service = staticmethod(services.screening_record)

    @extend_schema(
        request=serializers.ScreeningCreateSerializer, responses=serializers.ScreeningSerializer
    )
    def create(self, request):
        return self._create(request)


class CheckUpViewSet(_RecordViewSet):
    """Half-year check-ups in the caller's scope; POST records one (one per member and half)."""

    queryset = CheckUp.objects.select_related(
        "member__household", "doctor", "institution"
    ).order_by("-checked_on", "-pk")
    serializer_class = serializers.CheckUpSerializer
    filterset_class = CheckUpFilterSet
    create_serializer_class = serializers.CheckUpCreateSerializer
    service = staticmethod(services.check_up_record)

    @extend_schema(
        request=serializers.CheckUpCreateSerializer, responses=serializers.CheckUpSerializer
    )
    def create(self, request):
        return self._create(request)


class IssuedPrescriptionViewSet(_RecordViewSet):
    """Health prescriptions issued to members of the caller's scope; POST issues one."""

    queryset = IssuedPrescription.objects.select_related(
        "member__household", "prescription__disease", "doctor", "team"
    ).order_by("-issued_on", "-pk")
    serializer_class = serializers.IssuedPrescriptionSerializer
    filterset_class = IssuedPrescriptionFilterSet
    create_serializer_class = serializers.IssuedPrescriptionCreateSerializer
    service = staticmethod(services.prescription_issue)

    @extend_schema(
        request=serializers.IssuedPrescriptionCreateSerializer,
        responses=serializers.IssuedPrescriptionSerializer,
    )
    def create(self, request):
        return self._create(request)


class FreeClinicViewSet(_RecordViewSet):
    """Free clinics (义诊) held in the caller's scope; POST records one."""

    queryset = FreeClinic.objects.select_related("village").order_by("-held_on", "-pk")
    serializer_class = serializers.FreeClinicSerializer
    filterset_class = FreeClinicFilterSet
    create_serializer_class = serializers.FreeClinicCreateSerializer
    service = staticmethod(services.free_clinic_record)

    @extend_schema(
        request=serializers.FreeClinicCreateSerializer, responses=serializers.FreeClinicSerializer
    )
    def create(self, request):
        return self._create(request)


class CampaignViewSet(
    ScopedQuerysetMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Five-ones campaigns of the caller's county, their households' item states, and
    ``mark-item`` for an item done outside the portal (the handbook given, say)."""

    queryset = Campaign.objects.prefetch_related(
        "phases", "items", "teams__villages", "teams__members"
    ).order_by("-starts_on", "-pk")
    serializer_class = serializers.CampaignSerializer
    filterset_class = CampaignFilterSet
    write_roles = SERVICE_WRITE_ROLES

    def get_serializer_class(self):
        if self.action == "households":
            return serializers.HouseholdStateSerializer
        if self.action == "mark_item":
            return serializers.MarkItemSerializer
        return super().get_serializer_class()

    def get_object(self):
        # The households and the mark are filtered by the caller's scope themselves; the
        # campaign is found through the one scoped queryset.
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_permissions(self):
        # Scope before role: a campaign outside the scope is 404 for every role.
        if self.action == "destroy":
            return [IsAuthenticated()]
        return super().get_permissions()

    def destroy(self, request, *args, **kwargs):
        """Delete a campaign with its set-up (county staff); 409 while a team's marks of work
        done refer to it."""
        campaign = self.get_object()
        if user_role(request.user) != Role.COUNTY_STAFF and not (
            request.user.is_superuser and get_profile(request.user) is None
        ):
            raise PermissionDenied
        services.campaign_delete(campaign=campaign, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=serializers.HouseholdStateSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def households(self, request, pk=None):
        """The targeted households in the caller's scope with each item done or not;
        ``village`` narrows to one village, ``pending=1`` to households not done."""
        campaign = self.get_object()
        queryset = selectors.targeted_households(campaign, request.user).order_by(
            "village_id", "number"
        )
        village = request.query_params.get("village")
        if village:
            queryset = queryset.filter(village_id=village)
        page = self.paginate_queryset(queryset)
        rows = selectors.household_states(campaign, request.user, page)
        return self.get_paginated_response(
            serializers.HouseholdStateSerializer(rows, many=True).data
        )

    @extend_schema(
        request=serializers.MarkItemSerializer, responses=serializers.HouseholdStateSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="mark-item",
        filterset_class=None,
        # Scope before role: a campaign outside the scope is 404 for every role, so the role
        # is checked after the campaign is found.
        permission_classes=[IsAuthenticated],
    )
    def mark_item(self, request, pk=None):
        campaign = self.get_object()
        if not can_write_services(request.user):
            raise PermissionDenied
        payload = serializers.MarkItemSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        item = campaign.items.filter(pk=data["item"]).first()
        if item is None:
            raise ValidationError({"item": [_("Item: the campaign has no such item.")]})
        with service_errors():
            services.household_item_mark(
                campaign=campaign,
                household=data["household"],
                item=item,
                done_on=data.get("done_on"),
                evidence=data.get("evidence", ""),
                by=request.user,
            )
        row = selectors.household_states(campaign, request.user, [data["household"]])[0]
        return Response(serializers.HouseholdStateSerializer(row).data)
