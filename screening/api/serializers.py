"""Serializers of the screening API. Reads show; writes parse and hand over to the services."""

from __future__ import annotations

from rest_framework import serializers

from contracts.models import DoctorTeam
from healthaid.models import Institution, Region
from households.models import Household, Member
from screening.choices import ExamResult
from screening.models import (
    Campaign,
    CampaignItem,
    CampaignPhase,
    CheckUp,
    FreeClinic,
    IssuedPrescription,
    Prescription,
    Screening,
    WorkTeam,
)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class _MemberFields(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_number = serializers.CharField(source="member.id_number_masked", read_only=True)
    village = serializers.CharField(source="member.household.village_id", read_only=True)
    doctor_name = serializers.SerializerMethodField()

    def get_doctor_name(self, obj) -> str:
        return _person(obj.doctor)


class ScreeningSerializer(_MemberFields):
    team_name = serializers.CharField(source="team.name", read_only=True, default="")
    suspected = serializers.SerializerMethodField()

    class Meta:
        model = Screening
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "screened_on",
            "place",
            "doctor",
            "doctor_name",
            "team",
            "team_name",
            "systolic",
            "diastolic",
            "fasting_glucose",
            "random_glucose",
            "height",
            "weight",
            "bmi",
            "waist",
            "extra",
            "abnormal_items",
            "abnormal",
            "suspected",
            "advice",
        ]
        read_only_fields = fields

    def get_suspected(self, obj) -> list[str]:
        return [s.disease.code for s in obj.suspicions.all()]


class _ScopedFieldsMixin:
    """Limits member, household, team and village choices to the caller's scope."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if "member" in self.fields:
            self.fields["member"].queryset = Member.objects.visible_to(user).select_related(
                "household"
            )
        if "household" in self.fields:
            self.fields["household"].queryset = Household.objects.visible_to(user)
        if "team" in self.fields:
            self.fields["team"].queryset = DoctorTeam.objects.visible_to(user)
        if "village" in self.fields:
            self.fields["village"].queryset = Region.objects.visible_to(user).filter(level=12)
        if "unit" in self.fields:
            self.fields["unit"].queryset = Institution.objects.visible_to(user)


class ScreeningCreateSerializer(_ScopedFieldsMixin, serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    screened_on = serializers.DateField(required=False)
    place = serializers.CharField(required=False, allow_blank=True, max_length=64)
    team = serializers.PrimaryKeyRelatedField(
        queryset=DoctorTeam.objects.none(), required=False, allow_null=True
    )
    systolic = serializers.IntegerField(required=False, allow_null=True)
    diastolic = serializers.IntegerField(required=False, allow_null=True)
    fasting_glucose = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    random_glucose = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    height = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    waist = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    extra = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2), required=False
    )
    advice = serializers.CharField(required=False, allow_blank=True)


class CheckUpSerializer(_MemberFields):
    institution_name = serializers.CharField(source="institution.name", read_only=True, default="")

    class Meta:
        model = CheckUp
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "year",
            "half",
            "checked_on",
            "doctor",
            "doctor_name",
            "institution",
            "institution_name",
            "systolic",
            "diastolic",
            "fasting_glucose",
            "height",
            "weight",
            "heart_rate",
            "blood_routine",
            "urine_routine",
            "liver_function",
            "kidney_function",
            "ecg",
            "conclusion",
        ]
        read_only_fields = fields


def _result():
    return serializers.ChoiceField(choices=ExamResult.choices, required=False, allow_blank=True)


class CheckUpCreateSerializer(_ScopedFieldsMixin, serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    checked_on = serializers.DateField(required=False)
    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    systolic = serializers.IntegerField(required=False, allow_null=True)
    diastolic = serializers.IntegerField(required=False, allow_null=True)
    fasting_glucose = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    height = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    heart_rate = serializers.IntegerField(required=False, allow_null=True)
    blood_routine = _result()
    urine_routine = _result()
    liver_function = _result()
    kidney_function = _result()
    ecg = _result()
    conclusion = serializers.CharField(required=False, allow_blank=True)


class IssuedPrescriptionSerializer(_MemberFields):
    disease = serializers.CharField(source="prescription.disease.code", read_only=True)
    title = serializers.CharField(source="prescription.title", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default="")

    class Meta:
        model = IssuedPrescription
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "prescription",
            "disease",
            "title",
            "issued_on",
            "doctor",
            "doctor_name",
            "team",
            "team_name",
            "notes",
        ]
        read_only_fields = fields


class IssuedPrescriptionCreateSerializer(_ScopedFieldsMixin, serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    prescription = serializers.PrimaryKeyRelatedField(queryset=Prescription.objects.all())
    issued_on = serializers.DateField(required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=DoctorTeam.objects.none(), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=255)


class CampaignPhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignPhase
        fields = ["kind", "starts_on", "ends_on"]


class CampaignItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignItem
        fields = ["id", "order", "name", "source"]


class WorkTeamSerializer(serializers.ModelSerializer):
    villages = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = WorkTeam
        fields = ["id", "name", "unit", "unit_name", "leader", "members", "villages", "phone"]


class CampaignSerializer(serializers.ModelSerializer):
    phases = CampaignPhaseSerializer(many=True, read_only=True)
    items = CampaignItemSerializer(many=True, read_only=True)
    teams = WorkTeamSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "county",
            "target",
            "starts_on",
            "ends_on",
            "phases",
            "items",
            "teams",
        ]
        read_only_fields = fields


class ItemStateSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    name = serializers.CharField()
    done = serializers.BooleanField()
    done_on = serializers.DateField(allow_null=True)
    evidence = serializers.CharField()
    record = serializers.CharField(help_text="the portal's record that completes the item")
    record_url = serializers.CharField(help_text="the page of that record, when it has one")


def _day(value) -> str | None:
    return value.isoformat() if value else None


class HouseholdStateSerializer(serializers.Serializer):
    household = serializers.IntegerField(source="household.pk")
    number = serializers.CharField(source="household.number")
    village = serializers.CharField(source="household.village_id")
    head = serializers.CharField()
    items = serializers.SerializerMethodField()

    def get_items(self, obj) -> list[dict]:
        return [
            {
                "item": item.pk,
                "name": item.name,
                "done": done,
                "done_on": _day(mark.done_on if mark else record.done_on if record else None),
                "evidence": mark.evidence if mark else "",
                "record": record.text if record else "",
                "record_url": record.url if record else "",
            }
            for item, done, mark, record in obj.states
        ]


class MarkItemSerializer(_ScopedFieldsMixin, serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    item = serializers.IntegerField(help_text="the item's id")
    done_on = serializers.DateField(required=False)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=255)


class FreeClinicSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    total_value = serializers.DecimalField(max_digits=13, decimal_places=2, read_only=True)

    class Meta:
        model = FreeClinic
        fields = [
            "id",
            "held_on",
            "village",
            "village_name",
            "unit",
            "unit_name",
            "team_name",
            "staff_times",
            "served",
            "leaflets",
            "drug_value",
            "service_value",
            "total_value",
            "notes",
        ]
        read_only_fields = fields


class FreeClinicCreateSerializer(_ScopedFieldsMixin, serializers.Serializer):
    held_on = serializers.DateField()
    village = serializers.PrimaryKeyRelatedField(queryset=Region.objects.none())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.none(), required=False, allow_null=True
    )
    unit_name = serializers.CharField(required=False, allow_blank=True, max_length=128)
    team_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    staff_times = serializers.IntegerField(min_value=0)
    served = serializers.IntegerField(min_value=0)
    leaflets = serializers.IntegerField(min_value=0, required=False, default=0)
    drug_value = serializers.DecimalField(max_digits=12, decimal_places=2, default=0)
    service_value = serializers.DecimalField(max_digits=12, decimal_places=2, default=0)
    notes = serializers.CharField(required=False, allow_blank=True)
