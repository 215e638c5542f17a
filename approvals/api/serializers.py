from rest_framework import serializers

from approvals.choices import PeriodKind
from approvals.models import Approval, ApprovalStep


class ApprovalStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalStep
        fields = ["action", "by_name", "at", "text"]


class ApprovalSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(read_only=True)
    unit_key = serializers.CharField(read_only=True)
    period_label = serializers.CharField(read_only=True)
    steps = ApprovalStepSerializer(many=True, read_only=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "unit_kind",
            "unit_key",
            "unit_name",
            "region",
            "institution",
            "period_kind",
            "year",
            "number",
            "period_label",
            "start",
            "end",
            "status",
            "note",
            "comment",
            "submitted_at",
            "decided_at",
            "steps",
        ]
        read_only_fields = fields


class ApprovalSubmitSerializer(serializers.Serializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    number = serializers.IntegerField(min_value=1, max_value=12)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ApprovalDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
