from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from healthaid.models import AuditLog, Institution, Region, UserProfile


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name", "path"]
    raw_id_fields = ["parent"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "region", "phone"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "institution"]
    list_filter = ["role"]
    raw_id_fields = ["user", "region", "institution"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target_type", "target_repr", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_repr", "target_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The admin is named after the portal, not "Django 站点管理员".
admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = _("Administration")
