"""Registry endpoints: households and members, scoped, with the lists' filters.

Reads are for every role within its scope; writes for county bureau staff (the default
``write_roles`` of ``RolePermission``) and go through the services. The full ID number
comes only from ``POST members/{id}/reveal-id/``, for roles that may reveal it, throttled
and audited. Hospital staff read only the members their institution's records involve
(``households.involvement``), and find a new patient with ``POST members/lookup/`` (the whole
ID number; audited, throttled).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from healthaid.api.views import ScopedModelViewSet
from healthaid.choices import Role
from healthaid.paging import filter_key
from healthaid.scoping import REGISTRY_WRITE_ROLES
from households import selectors, services
from households.api.serializers import (
    HouseholdSerializer,
    LookupSerializer,
    MemberSerializer,
    RevealSerializer,
)
from households.filtersets import HouseholdFilterSet, MemberFilterSet
from households.services import LOOKUP_ROLES
from households.throttles import IdLookupThrottle

# Service error keys that the API calls by another name.
_FIELD_NAMES = {"diseases": "disease_codes", "card_number": "non_field_errors"}


@contextmanager
def service_errors():
    """Turn a service's ``ValidationError`` into the API's 400 with the same messages."""
    try:
        yield
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = {_FIELD_NAMES.get(k, k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        raise drf_serializers.ValidationError(detail) from exc


class HouseholdViewSet(ScopedModelViewSet):
    """Registered households (建档立卡户) in the caller's scope."""

    queryset = selectors.household_list_queryset().prefetch_related("contacts")
    serializer_class = HouseholdSerializer

    def get_queryset(self):
        # Head and member count as the caller sees the members (hospital staff: only theirs);
        # the scope itself is still applied once, by ScopedQuerysetMixin.
        self.queryset = selectors.household_list_queryset(self.request.user).prefetch_related(
            "contacts"
        )
        return super().get_queryset()

    filterset_class = HouseholdFilterSet
    write_roles = REGISTRY_WRITE_ROLES

    def cached_count(self, queryset):
        # The same cache as the household list's: the same filters count the same rows.
        return lambda: selectors.registry_list_count(
            "households", self.request.user, filter_key(self.request.query_params), queryset.count
        )

    def _reload(self, pk: int):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        contacts = data.pop("contacts", None)
        with service_errors(), transaction.atomic():
            household = services.household_create(**data, by=self.request.user)
            if contacts is not None:
                services.household_set_contacts(
                    household=household, contacts=contacts, by=self.request.user
                )
        serializer.instance = self._reload(household.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        contacts = data.pop("contacts", None)
        with service_errors(), transaction.atomic():
            household = services.household_update(
                household=serializer.instance, **data, by=self.request.user
            )
            if contacts is not None:
                services.household_set_contacts(
                    household=household, contacts=contacts, by=self.request.user
                )
        # The old instance's prefetched contacts are stale; reload with the annotations.
        serializer.instance = self._reload(household.pk)

    def perform_destroy(self, instance):
        with service_errors():
            services.household_delete(household=instance, by=self.request.user)


class MemberViewSet(ScopedModelViewSet):
    """Members of the registered households in the caller's scope; ID numbers masked."""

    queryset = selectors.member_list_queryset()
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet
    write_roles = REGISTRY_WRITE_ROLES
    # Only the reveal action is throttled (its own scope); other actions are not.
    throttle_scope = ""

    # The list's page is read as values by MemberListSerializer, not loaded as instances.
    paginate_lazily = True

    def cached_count(self, queryset):
        return lambda: selectors.registry_list_count(
            "members", self.request.user, filter_key(self.request.query_params), queryset.count
        )

    def _reload(self, pk: int):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["diseases"] = data.pop("disease_codes", None)
        if not data.get("id_number"):
            raise drf_serializers.ValidationError(
                {"id_number": [_("ID number: this field is required.")]}
            )
        with service_errors():
            member = services.member_create(**data, by=self.request.user)
        serializer.instance = self._reload(member.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        diseases = data.pop("disease_codes", None)
        with service_errors():
            member = services.member_update(
                member=serializer.instance, diseases=diseases, **data, by=self.request.user
            )
        serializer.instance = self._reload(member.pk)

    def perform_destroy(self, instance):
        with service_errors():
            services.member_delete(member=instance, by=self.request.user)

    @extend_schema(
        request=LookupSerializer,
        responses={200: MemberSerializer},
        description=(
            "Hospital staff: the registry member whose ID number is exactly the one given, "
            "within the caller's scope; 404 when there is none. Only a whole number matches. "
            "Audited (found or not) and throttled per user with the look-up page "
            "(ID_LOOKUP_RATE)."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="lookup",
        throttle_classes=[IdLookupThrottle],
        write_roles=LOOKUP_ROLES,
    )
    def lookup(self, request):
        payload = LookupSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            member = services.member_lookup_by_id_number(
                id_number=payload.validated_data["id_number"], by=request.user
            )
        if member is None:
            raise NotFound(_("No registered person in your area has this ID number."))
        data = MemberSerializer(member, context=self.get_serializer_context()).data
        return Response(data, headers={"Cache-Control": "no-store"})

    @extend_schema(
        request=None,
        responses={200: RevealSerializer},
        description=(
            "The member's full ID number and birth date, for roles allowed to see them. "
            "Audited; a refused attempt is audited too."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="reveal-id",
        throttle_classes=[ScopedRateThrottle],
        throttle_scope="reveal",
        # Every role may ask; the service answers 403 for those that may not reveal, after
        # the scoped lookup has answered 404 for records outside the scope.
        write_roles=frozenset(Role.values),
    )
    def reveal_id(self, request, pk=None):
        try:
            member = self.get_object()
        except Http404:
            services.member_reveal_refused_out_of_scope(member_pk=pk, by=request.user)
            raise
        number = services.member_reveal_id_number(member=member, by=request.user)
        return Response(
            {"id_number": number, "birth_date": member.birth_date.isoformat()},
            headers={"Cache-Control": "no-store"},
        )
