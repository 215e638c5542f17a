from django.contrib import admin

from rectification.models import Evidence, RectificationItem


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["name", "note", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(RectificationItem)
class RectificationItemAdmin(admin.ModelAdmin):
    """Read-only: items change through their pages, which audit every change."""

    list_display = ["responsible_unit", "source", "found_on", "deadline", "status"]
    list_filter = ["status", "source"]
    search_fields = ["responsible_unit", "finding"]
    inlines = [EvidenceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
