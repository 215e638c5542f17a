from rest_framework import serializers

from healthaid.models import Region
from rectification.choices import ItemStatus, Source
from rectification.models import Evidence, RectificationItem


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "name", "note", "created_at"]


class RectificationItemSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "source",
            "source_label",
            "found_on",
            "finding",
            "responsible_unit",
            "region",
            "measures",
            "deadline",
            "status",
            "status_label",
            "closed_on",
            "evidence",
        ]
        read_only_fields = fields


class RectificationItemWriteSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    found_on = serializers.DateField()
    finding = serializers.CharField(max_length=4000)
    responsible_unit = serializers.CharField(max_length=128)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    measures = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    deadline = serializers.DateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["region"].queryset = Region.objects.visible_to(request.user)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(ItemStatus.IN_PROGRESS, ItemStatus.IN_PROGRESS.label),
                 (ItemStatus.AWAITING_CHECK, ItemStatus.AWAITING_CHECK.label)]
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class CloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
