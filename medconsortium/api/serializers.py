"""Serializers of the consortium API. Reads show; writes parse and hand over to the services
(which check who may act, the transitions and the quotas)."""

from __future__ import annotations

from rest_framework import serializers

from healthaid.models import Institution
from households.models import Member
from medconsortium.choices import (
    ConsortiumKind,
    ConsultationKind,
    CooperationItem,
    ExchangeStatus,
    HalfDay,
    ReservedKind,
)
from medconsortium.filtersets import hospitals
from medconsortium.models import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class ConsortiumMemberSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    items = serializers.ListField(
        child=serializers.ChoiceField(choices=CooperationItem.choices), required=False
    )

    class Meta:
        model = ConsortiumMember
        fields = ["institution", "institution_name", "joined_on", "items"]


class ConsortiumSerializer(serializers.ModelSerializer):
    lead_name = serializers.CharField(source="lead.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    members = ConsortiumMemberSerializer(source="memberships", many=True, read_only=True)
    has_agreement = serializers.SerializerMethodField()

    class Meta:
        model = Consortium
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "lead",
            "lead_name",
            "members",
            "signed_on",
            "status",
            "note",
            "has_agreement",
        ]
        read_only_fields = fields

    def get_has_agreement(self, obj) -> bool:
        """Whether the signed agreement is on file (downloaded from the consortium's page)."""
        return bool(obj.agreement_file)


class ConsortiumCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    kind = serializers.ChoiceField(choices=ConsortiumKind.choices)
    lead = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    signed_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    members = ConsortiumMemberSerializer(many=True, required=False)
    # multipart/form-data: the signed agreement (PDF, JPEG or PNG, at most 10 MB; the service
    # checks name, type and content); members then as ``members[0]institution`` etc.
    agreement_file = serializers.FileField(required=False)

    def validate_members(self, value):
        return [
            {
                "institution": m["institution"],
                "joined_on": m.get("joined_on"),
                "items": m.get("items", []),
            }
            for m in value
        ]


class ExpertSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=64, required=False, allow_blank=True)
    specialty = serializers.CharField(max_length=64, required=False, allow_blank=True)


class ExpertSessionSerializer(serializers.ModelSerializer):
    host_name = serializers.CharField(source="host.name", read_only=True)
    visiting_name = serializers.CharField(source="visiting.name", read_only=True)
    experts = ExpertSerializer(many=True, read_only=True)

    class Meta:
        model = ExpertSession
        fields = [
            "id",
            "consortium",
            "host",
            "host_name",
            "visiting",
            "visiting_name",
            "experts",
            "expert_count",
            "specialty",
            "date",
            "half_day",
            "status",
            "clinic",
            "outpatients",
            "teaching_rounds",
            "case_discussions",
            "surgeries_taught",
            "trainings",
            "people_trained",
            "note",
        ]
        read_only_fields = fields


class ExpertSessionPlanSerializer(serializers.Serializer):
    host = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    visiting = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    consortium = serializers.PrimaryKeyRelatedField(
        queryset=Consortium.objects.all(), required=False, allow_null=True
    )
    date = serializers.DateField()
    half_day = serializers.ChoiceField(choices=HalfDay.choices)
    specialty = serializers.CharField(max_length=64, required=False, allow_blank=True)
    experts = ExpertSerializer(many=True)
    expert_count = serializers.IntegerField(min_value=1, required=False)


class ExpertSessionRecordSerializer(serializers.Serializer):
    clinic = serializers.BooleanField(default=True)
    expert_count = serializers.IntegerField(min_value=1, required=False)
    outpatients = serializers.IntegerField(min_value=0, default=0)
    teaching_rounds = serializers.IntegerField(min_value=0, default=0)
    case_discussions = serializers.IntegerField(min_value=0, default=0)
    surgeries_taught = serializers.IntegerField(min_value=0, default=0)
    trainings = serializers.IntegerField(min_value=0, default=0)
    people_trained = serializers.IntegerField(min_value=0, default=0)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, allow_blank=True)


class TraineeExchangeSerializer(serializers.ModelSerializer):
    from_institution_name = serializers.CharField(source="from_institution.name", read_only=True)
    to_institution_name = serializers.CharField(source="to_institution.name", read_only=True)

    class Meta:
        model = TraineeExchange
        fields = [
            "id",
            "person",
            "title",
            "from_institution",
            "from_institution_name",
            "to_institution",
            "to_institution_name",
            "department",
            "start",
            "end",
            "status",
        ]
        read_only_fields = ["id", "status"]


class ExchangeStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ExchangeStatus.choices)


class RemoteConsultationSerializer(serializers.ModelSerializer):
    requesting_name = serializers.CharField(source="requesting.name", read_only=True)
    reading_name = serializers.CharField(source="reading.name", read_only=True)
    kind = serializers.ChoiceField(choices=ConsultationKind.choices)

    class Meta:
        model = RemoteConsultation
        fields = [
            "id",
            "requesting",
            "requesting_name",
            "reading",
            "reading_name",
            "kind",
            "date",
            "member",
            "summary",
        ]
        read_only_fields = ["id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "member" in self.fields:
            # Only members the caller may see can be named on a consultation.
            self.fields["member"].queryset = Member.objects.visible_to(request.user)


class ReservedCapacitySerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    slots_left = serializers.IntegerField(read_only=True)
    beds_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReservedCapacity
        fields = [
            "id",
            "institution",
            "institution_name",
            "week_start",
            "expert_slots",
            "beds",
            "slot_share",
            "bed_share",
            "reserved_slots",
            "reserved_beds",
            "slots_used",
            "beds_used",
            "slots_released",
            "beds_released",
            "slots_left",
            "beds_left",
            "released_at",
        ]
        read_only_fields = [
            "id",
            "reserved_slots",
            "reserved_beds",
            "slots_used",
            "beds_used",
            "slots_released",
            "beds_released",
            "released_at",
        ]
        # The service finds the week to update; uniqueness is its business.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        fields["slot_share"].required = False
        fields["bed_share"].required = False
        return fields


class ReferralSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_number = serializers.CharField(source="member.id_number_masked", read_only=True)
    village = serializers.CharField(source="member.household.village.path", read_only=True)
    from_institution_name = serializers.CharField(source="from_institution.name", read_only=True)
    to_institution_name = serializers.CharField(source="to_institution.name", read_only=True)
    referring_doctor_name = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "direction",
            "from_institution",
            "from_institution_name",
            "to_institution",
            "to_institution_name",
            "referring_doctor",
            "referring_doctor_name",
            "contract",
            "parent",
            "reason",
            "diagnosis",
            "requested_on",
            "appointment_date",
            "status",
            "status_display",
            "status_reason",
            "reserved",
            "capacity",
            "accepted_on",
            "admitted_on",
            "closed_on",
            "outcome",
        ]
        read_only_fields = fields

    def get_referring_doctor_name(self, obj) -> str:
        return _person(obj.referring_doctor)


class ReferralRequestSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    to_institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.none())
    from_institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    reason = serializers.CharField(max_length=255)
    diagnosis = serializers.CharField(max_length=255, required=False, allow_blank=True)
    requested_on = serializers.DateField(required=False, allow_null=True)
    appointment_date = serializers.DateField(required=False, allow_null=True)
    reserved = serializers.ChoiceField(
        choices=ReservedKind.choices, required=False, allow_blank=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["member"].queryset = Member.objects.visible_to(request.user)
        self.fields["to_institution"].queryset = hospitals()


class ReferralAcceptSerializer(serializers.Serializer):
    appointment_date = serializers.DateField(required=False, allow_null=True)


class ReferralAdmitSerializer(serializers.Serializer):
    inpatient = serializers.BooleanField(default=True)
    admitted_on = serializers.DateField(required=False, allow_null=True)


class ReferralDischargeSerializer(serializers.Serializer):
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    discharged_on = serializers.DateField(required=False, allow_null=True)


class ReferralReturnDownSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=4000, allow_blank=True)
    to_institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    returned_on = serializers.DateField(required=False, allow_null=True)
