from django.contrib import admin

from approvals.models import Approval, ApprovalEdit, ApprovalStep


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 0
    readonly_fields = ["action", "by_name", "at", "text"]
    fields = readonly_fields
    can_delete = False


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read-only: approvals change through their pages, which audit every step."""

    list_display = ["__str__", "unit_kind", "period_kind", "start", "end", "status"]
    list_filter = ["status", "unit_kind", "period_kind", "year"]
    search_fields = ["region__name", "institution__name"]
    inlines = [ApprovalStepInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalEdit)
class ApprovalEditAdmin(admin.ModelAdmin):
    list_display = ["approval", "at", "by_name", "action", "target_repr", "record_date"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
