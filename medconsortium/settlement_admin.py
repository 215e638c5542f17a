"""The operators' admin of the settlements.

Encounters and settlements are read-only here: they are written by the settlement import and
the API, through the services that check that the parts add up and write the audit rows.
Institution aliases and the counties' settlement rules are edited here as on their pages,
through the same services or with an audit row.
"""

from django.contrib import admin

from healthaid import audit
from medconsortium.models import (
    Encounter,
    InstitutionAlias,
    MajorDiseaseCase,
    Settlement,
    SettlementPolicy,
    TownshipBulletin,
)
from medconsortium.settlement_services import institution_alias_create, institution_alias_delete


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ["id", "member", "institution", "kind", "admitted_on", "discharged_on"]
    list_filter = ["kind", "discharged_on"]
    list_select_related = ["member", "institution"]
    raw_id_fields = ["member", "institution", "diagnosis"]
    date_hierarchy = "discharged_on"


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["encounter", "total", "pooled", "out_of_pocket", "non_reimbursable"]
    list_select_related = ["encounter"]
    raw_id_fields = ["encounter"]


@admin.register(InstitutionAlias)
class InstitutionAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "institution", "county"]
    list_filter = ["county"]
    search_fields = ["alias", "institution__name"]
    raw_id_fields = ["institution"]

    def has_change_permission(self, request, obj=None):
        return False  # an alias is added or removed, not renamed

    def save_model(self, request, obj, form, change):
        created = institution_alias_create(
            county=obj.county, alias=obj.alias, institution=obj.institution, by=request.user
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        institution_alias_delete(alias=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for alias in queryset:
            institution_alias_delete(alias=alias, by=request.user)


@admin.register(SettlementPolicy)
class SettlementPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "county",
        "primary_care_cap",
        "county_hospital_cap",
        "large_expense_threshold",
    ]

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(SettlementPolicy.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            audit.record_update(obj, before, by=request.user)
        else:
            audit.record_create(obj, by=request.user)


@admin.register(MajorDiseaseCase)
class MajorDiseaseCaseAdmin(ReadOnlyAdmin):
    list_display = ["member", "disease", "diagnosed_on", "institution", "status"]
    list_filter = ["status", "disease"]
    list_select_related = ["member", "disease", "institution"]


@admin.register(TownshipBulletin)
class TownshipBulletinAdmin(ReadOnlyAdmin):
    list_display = ["township", "month", "new_cases", "large_expenses", "first_downloaded_at"]
    list_filter = ["month"]
