from django.contrib.auth import get_user_model
from rest_framework import serializers

from healthaid.models import AuditLog, Institution, Region, UserProfile


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent", "path"]


class InstitutionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region_name = serializers.CharField(source="region.path", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "level",
            "region",
            "region_name",
            "phone",
            "address",
        ]


class AuditLogSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "action_display",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "message",
            "ip",
            "region_code",
        ]


class ProfileSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = RegionSerializer(read_only=True)
    institution = InstitutionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = UserProfile
        fields = ["role", "role_display", "region", "institution", "phone"]


class MeSerializer(serializers.ModelSerializer):
    profile = ProfileSerializer(read_only=True)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "first_name", "last_name", "profile"]
