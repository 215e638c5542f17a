from django.contrib import admin
from django.db import transaction

from contracts import services
from contracts.models import Contract, DoctorTeam, FollowUp, FollowUpRule
from contracts.owed import refresh_owed


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    """County staff edit the schedule here; changes go through the audited service."""

    list_display = ["disease", "visits_per_year", "updated_at"]
    list_editable = ["visits_per_year"]
    list_select_related = ["disease"]
    autocomplete_fields = []
    raw_id_fields = ["disease"]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        rule = services.follow_up_rule_set(
            disease=obj.disease, visits_per_year=obj.visits_per_year, by=request.user
        )
        obj.pk = rule.pk if rule else obj.pk

    def delete_model(self, request, obj):
        services.follow_up_rule_set(disease=obj.disease, visits_per_year=None, by=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset.select_related("disease"):
            self.delete_model(request, rule)


@admin.register(DoctorTeam)
class DoctorTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "leader", "phone"]
    list_select_related = ["institution", "leader"]
    search_fields = ["name", "institution__name"]
    raw_id_fields = ["institution", "leader", "villages"]
    filter_horizontal = ["members"]
    exclude = ["created_by"]


class RefreshOnDeleteMixin:
    """Deletes (the only write these admins allow) recompute the members' derived rows
    (``contracts.owed``) in the same transaction."""

    @transaction.atomic
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_owed([obj.member_id])  # and the figures versions of the county

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        member_ids = set(queryset.values_list("member_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_owed(member_ids)  # and the figures versions of the counties


@admin.register(Contract)
class ContractAdmin(RefreshOnDeleteMixin, admin.ModelAdmin):
    """Read-only here: contracts are signed, renewed and ended through the pages."""

    list_display = ["member", "team", "signed_on", "valid_from", "valid_to", "status"]
    list_filter = ["status", "package"]
    list_select_related = ["member", "team"]
    raw_id_fields = ["member", "team", "doctor", "renewed_as"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(RefreshOnDeleteMixin, admin.ModelAdmin):
    list_display = ["member", "visited_on", "disease", "place", "control_status"]
    list_filter = ["place", "control_status"]
    list_select_related = ["member", "disease"]
    raw_id_fields = ["member", "contract", "doctor", "disease"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
