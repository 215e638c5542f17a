"""The consortium API: consortia, expert sessions, trainee exchanges, remote consultations,
reserved capacity and referrals with their commands as ``@action`` endpoints.

Scoped once in ``ScopedQuerysetMixin`` (outside the scope: 404); reads for every role in
its scope, writes for the roles each viewset names and always through the services, which
check the side and institution each user acts for (403) and the transitions (400).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from healthaid.api.views import ScopedQuerysetMixin
from healthaid.choices import Role
from healthaid.scoping import HOSPITAL_WRITE_ROLES
from medconsortium import services
from medconsortium.api import serializers
from medconsortium.filtersets import (
    ConsortiumFilterSet,
    ExpertSessionFilterSet,
    ReferralFilterSet,
    RemoteConsultationFilterSet,
    ReservedCapacityFilterSet,
    TraineeExchangeFilterSet,
)
from medconsortium.models import (
    ExpertSession,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)
from medconsortium.selectors import consortium_list, referral_list


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


class _Base(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    write_roles = HOSPITAL_WRITE_ROLES

    def _parse(self, serializer_class):
        payload = serializer_class(data=self.request.data, context={"request": self.request})
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    def _out(self, instance, code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=code)


class ConsortiumViewSet(_Base):
    """Consortia with a member institution in the caller's scope (hospital staff: their
    institution's). POST (county staff) records one with its members."""

    queryset = consortium_list()
    serializer_class = serializers.ConsortiumSerializer
    filterset_class = ConsortiumFilterSet
    write_roles = frozenset({Role.COUNTY_STAFF})

    @extend_schema(
        request=serializers.ConsortiumCreateSerializer, responses=serializers.ConsortiumSerializer
    )
    def create(self, request):
        data = self._parse(serializers.ConsortiumCreateSerializer)
        with service_errors():
            consortium = services.consortium_create(**data, by=request.user)
        return self._out(consortium, status.HTTP_201_CREATED)


class ExpertSessionViewSet(_Base):
    """Expert sessions hosted in the caller's scope (hospital staff: hosted or sent by their
    institution). POST plans one; ``record`` records what a held one did; ``cancel``."""

    queryset = ExpertSession.objects.select_related("host", "visiting").order_by(
        "-date", "half_day", "pk"
    )
    serializer_class = serializers.ExpertSessionSerializer
    filterset_class = ExpertSessionFilterSet

    @extend_schema(
        request=serializers.ExpertSessionPlanSerializer,
        responses=serializers.ExpertSessionSerializer,
    )
    def create(self, request):
        data = self._parse(serializers.ExpertSessionPlanSerializer)
        with service_errors():
            session = services.expert_session_plan(**data, by=request.user)
        return self._out(session, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ExpertSessionRecordSerializer,
        responses=serializers.ExpertSessionSerializer,
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        session = self.get_object()
        data = self._parse(serializers.ExpertSessionRecordSerializer)
        clinic = data.pop("clinic")
        expert_count = data.pop("expert_count", None)
        with service_errors():
            services.expert_session_record(
                session=session,
                figures=data,
                clinic=clinic,
                expert_count=expert_count,
                by=request.user,
            )
        return self._out(session)

    @extend_schema(
        request=serializers.ReasonSerializer, responses=serializers.ExpertSessionSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self.get_object()
        data = self._parse(serializers.ReasonSerializer)
        with service_errors():
            services.expert_session_cancel(session=session, reason=data["reason"], by=request.user)
        return self._out(session)


class TraineeExchangeViewSet(_Base):
    """Trainee exchanges from or to an institution of the caller's scope. POST records one;
    ``set-status`` moves it (planned → in progress → completed, or cancelled)."""

    queryset = TraineeExchange.objects.select_related("from_institution", "to_institution")
    serializer_class = serializers.TraineeExchangeSerializer
    filterset_class = TraineeExchangeFilterSet

    def create(self, request):
        data = self._parse(serializers.TraineeExchangeSerializer)
        with service_errors():
            exchange = services.trainee_exchange_create(**data, by=request.user)
        return self._out(exchange, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ExchangeStatusSerializer,
        responses=serializers.TraineeExchangeSerializer,
    )
    @action(detail=True, methods=["post"], url_path="set-status")
    def set_status(self, request, pk=None):
        exchange = self.get_object()
        data = self._parse(serializers.ExchangeStatusSerializer)
        with service_errors():
            services.trainee_exchange_set_status(
                exchange=exchange, status=data["status"], by=request.user
            )
        return self._out(exchange)


class RemoteConsultationViewSet(_Base):
    """Remote consultations, ECG and imaging reads requested from the caller's scope. POST
    records one."""

    queryset = RemoteConsultation.objects.select_related("requesting", "reading")
    serializer_class = serializers.RemoteConsultationSerializer
    filterset_class = RemoteConsultationFilterSet

    def create(self, request):
        data = self._parse(serializers.RemoteConsultationSerializer)
        with service_errors():
            consultation = services.remote_consultation_record(**data, by=request.user)
        return self._out(consultation, status.HTTP_201_CREATED)


class ReservedCapacityViewSet(_Base):
    """Weekly expert appointments and beds of institutions in the caller's scope and the
    share reserved for family-doctor referrals. POST sets a week (creates or updates)."""

    queryset = ReservedCapacity.objects.select_related("institution").order_by(
        "-week_start", "institution_id"
    )
    serializer_class = serializers.ReservedCapacitySerializer
    filterset_class = ReservedCapacityFilterSet

    def create(self, request):
        data = self._parse(serializers.ReservedCapacitySerializer)
        with service_errors():
            capacity = services.reserved_capacity_set(**data, by=request.user)
        return self._out(capacity, status.HTTP_201_CREATED)


class ReferralViewSet(_Base):
    """Referrals of members in the caller's scope (hospital staff: those from or to their
    institution). POST requests an up-referral; the commands move it along."""

    queryset = referral_list()
    serializer_class = serializers.ReferralSerializer
    filterset_class = ReferralFilterSet
    write_roles = frozenset(
        {Role.COUNTY_STAFF, Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR, Role.HOSPITAL_STAFF}
    )

    @extend_schema(
        request=serializers.ReferralRequestSerializer, responses=serializers.ReferralSerializer
    )
    def create(self, request):
        # The role first: a hospital's staff may not request one whichever member they name
        # (and most members are not theirs to see, which would answer "unknown member").
        if not services.referral_request_allowed(request.user):
            raise PermissionDenied(
                _("Up-referrals are requested by family doctors and the bureau.")
            )
        data = self._parse(serializers.ReferralRequestSerializer)
        with service_errors():
            referral = services.referral_request(**data, by=request.user)
        return self._out(referral, status.HTTP_201_CREATED)

    def _command(self, service, serializer_class=None, **fixed):
        referral = self.get_object()
        data = self._parse(serializer_class) if serializer_class else {}
        with service_errors():
            result = service(referral=referral, **data, **fixed, by=self.request.user)
        return self._out(result)

    @extend_schema(
        request=serializers.ReferralAcceptSerializer, responses=serializers.ReferralSerializer
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._command(services.referral_accept, serializers.ReferralAcceptSerializer)

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._command(services.referral_reject, serializers.ReasonSerializer)

    @extend_schema(
        request=serializers.ReferralAdmitSerializer, responses=serializers.ReferralSerializer
    )
    @action(detail=True, methods=["post"])
    def admit(self, request, pk=None):
        return self._command(services.referral_admit, serializers.ReferralAdmitSerializer)

    @extend_schema(
        request=serializers.ReferralDischargeSerializer, responses=serializers.ReferralSerializer
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        return self._command(services.referral_discharge, serializers.ReferralDischargeSerializer)

    @extend_schema(
        request=serializers.ReferralReturnDownSerializer,
        responses=serializers.ReferralSerializer,
        description="Closes the up-referral as returned and answers the down-referral it opens.",
    )
    @action(detail=True, methods=["post"], url_path="return-down")
    def return_down(self, request, pk=None):
        return self._command(
            services.referral_return_down, serializers.ReferralReturnDownSerializer
        )

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._command(services.referral_cancel, serializers.ReasonSerializer)
