"""Operators' read-only view of the registry.

Writes go through the registry pages and API (the services validate ID numbers, keep them
encrypted and audit every change), so the admin only shows records; it never shows the
cipher or the blind index, only the masked number. Its import and export buttons use the
roster Resources, whose import runs the roster import's own stages (checks, scope, audit,
all or nothing) and whose export masks ID numbers.
"""

from django.contrib import admin
from import_export.admin import ImportExportMixin

from households.importing.resources import HouseholdResource, MemberRosterResource
from households.models import Disease, Household, HouseholdContact, Member, SpecialCard


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Disease)
class DiseaseAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "category", "follow_ups_per_year"]
    list_filter = ["category", "follow_ups_per_year"]
    search_fields = ["code", "name"]


class ContactInline(admin.TabularInline):
    model = HouseholdContact
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ImportExportMixin, ReadOnlyAdmin):
    resource_classes = [HouseholdResource]
    list_display = ["number", "village", "poverty_attribute", "status", "lifted_year"]
    list_filter = ["status", "poverty_attribute", "poverty_cause", "illness_caused"]
    search_fields = ["number"]
    list_select_related = ["village"]
    inlines = [ContactInline]


@admin.register(Member)
class MemberAdmin(ImportExportMixin, ReadOnlyAdmin):
    resource_classes = [MemberRosterResource]
    list_display = ["name", "id_number_masked", "sex", "relation", "household"]
    list_filter = ["sex", "relation", "health_status"]
    search_fields = ["name", "household__number"]
    list_select_related = ["household"]
    # The birth date is the 8 digits the mask hides: shown with the masked number it would be
    # the full number, unaudited. It comes only with an audited reveal.
    exclude = ["id_number_cipher", "id_number_index", "birth_date"]
    readonly_fields = ["id_number_masked"]


@admin.register(SpecialCard)
class SpecialCardAdmin(ReadOnlyAdmin):
    list_display = ["number", "member", "disease", "issued_on"]
    search_fields = ["number"]
    list_select_related = ["member", "disease"]
