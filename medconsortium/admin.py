"""The app's admin: each area registers its models in its own module."""

from django.contrib import admin

from medconsortium import settlement_admin  # noqa: F401
from medconsortium.models import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look records up here; every write goes through the audited services
    (pages and API), which check the state transitions and the reserved quotas."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsortiumMemberInline(admin.TabularInline):
    model = ConsortiumMember
    raw_id_fields = ["institution"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consortium)
class ConsortiumAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "lead", "signed_on", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["lead"]
    search_fields = ["name", "lead__name"]
    raw_id_fields = ["lead"]
    exclude = ["created_by"]
    inlines = [ConsortiumMemberInline]


@admin.register(ExpertSession)
class ExpertSessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "half_day", "host", "visiting", "specialty", "expert_count", "status"]
    list_filter = ["status", "half_day"]
    list_select_related = ["host", "visiting"]
    search_fields = ["host__name", "visiting__name", "specialty"]
    raw_id_fields = ["consortium", "host", "visiting"]
    date_hierarchy = "date"
    exclude = ["created_by"]


@admin.register(TraineeExchange)
class TraineeExchangeAdmin(ReadOnlyAdmin):
    list_display = ["person", "from_institution", "to_institution", "department", "start", "end"]
    list_select_related = ["from_institution", "to_institution"]
    raw_id_fields = ["from_institution", "to_institution"]
    exclude = ["created_by"]


@admin.register(RemoteConsultation)
class RemoteConsultationAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "requesting", "reading"]
    list_filter = ["kind"]
    list_select_related = ["requesting", "reading"]
    raw_id_fields = ["requesting", "reading", "member"]
    exclude = ["created_by"]


@admin.register(ReservedCapacity)
class ReservedCapacityAdmin(ReadOnlyAdmin):
    list_display = [
        "institution",
        "week_start",
        "expert_slots",
        "reserved_slots",
        "slots_used",
        "beds",
        "reserved_beds",
        "beds_used",
    ]
    list_select_related = ["institution"]
    raw_id_fields = ["institution"]
    exclude = ["created_by"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    """Read-mostly: referrals change state through the services (pages and API), audited."""

    list_display = [
        "pk",
        "direction",
        "from_institution",
        "to_institution",
        "status",
        "requested_on",
    ]
    list_filter = ["direction", "status", "reserved"]
    list_select_related = ["from_institution", "to_institution"]
    raw_id_fields = [
        "member",
        "from_institution",
        "to_institution",
        "referring_doctor",
        "contract",
        "parent",
        "capacity",
    ]
    readonly_fields = ["status", "capacity", "reserved"]
    exclude = ["created_by"]
