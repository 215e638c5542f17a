"""Serializers of the contracts API. Reads show; writes parse and hand over to the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from contracts.choices import Adherence, ControlStatus, FollowUpPlace, ServicePackage
from contracts.forms import doctors_of
from contracts.models import Contract, DoctorTeam, FollowUp
from contracts.validators import validate_agreement_file
from households.models import Disease, Household, Member


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class DoctorTeamSerializer(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    villages = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = DoctorTeam
        fields = [
            "id",
            "name",
            "institution",
            "institution_name",
            "leader",
            "members",
            "villages",
            "phone",
        ]


class ContractSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_number = serializers.CharField(source="member.id_number_masked", read_only=True)
    village = serializers.CharField(source="member.household.village_id", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    doctor_name = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    has_agreement = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "team",
            "team_name",
            "doctor",
            "doctor_name",
            "signed_on",
            "valid_from",
            "valid_to",
            "package",
            "status",
            "status_display",
            "terminated_on",
            "termination_reason",
            "renewed_as",
            "has_agreement",
        ]
        read_only_fields = fields

    def get_doctor_name(self, obj) -> str:
        return _person(obj.doctor)

    def get_has_agreement(self, obj) -> bool:
        return bool(obj.agreement)


class _ScopedFieldsMixin:
    """Limits member, household, team and doctor choices to the caller's scope (outside: invalid)."""

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
        if "doctor" in self.fields:
            # Only the doctors of the teams the caller sees: another county's user id answers
            # "does not exist", as an unknown id does, and the service never names them.
            self.fields["doctor"].queryset = doctors_of(DoctorTeam.objects.visible_to(user))


class ContractSignSerializer(_ScopedFieldsMixin, serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    team = serializers.PrimaryKeyRelatedField(queryset=DoctorTeam.objects.none())
    doctor = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    signed_on = serializers.DateField(required=False)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False)
    package = serializers.ChoiceField(choices=ServicePackage.choices, default=ServicePackage.BASIC)
    agreement = serializers.FileField(
        required=False, allow_null=True, validators=[validate_agreement_file]
    )


class HouseholdSignSerializer(_ScopedFieldsMixin, serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    team = serializers.PrimaryKeyRelatedField(queryset=DoctorTeam.objects.none())
    doctor = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    signed_on = serializers.DateField(required=False)
    package = serializers.ChoiceField(choices=ServicePackage.choices, default=ServicePackage.BASIC)
    agreement = serializers.FileField(
        required=False, allow_null=True, validators=[validate_agreement_file]
    )


class ContractRenewSerializer(_ScopedFieldsMixin, serializers.Serializer):
    signed_on = serializers.DateField(required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=DoctorTeam.objects.none(), required=False)
    doctor = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False
    )
    package = serializers.ChoiceField(choices=ServicePackage.choices, required=False)
    agreement = serializers.FileField(
        required=False, allow_null=True, validators=[validate_agreement_file]
    )


class ContractTerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    terminated_on = serializers.DateField(required=False)


class FollowUpSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    village = serializers.CharField(source="member.household.village_id", read_only=True)
    disease = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    disease_name = serializers.CharField(source="disease.name", read_only=True, default="")
    doctor_name = serializers.SerializerMethodField()
    # Read-only model fields lose ``allow_blank``; without it the schema omits "" (not recorded).
    adherence = serializers.ChoiceField(choices=Adherence.choices, allow_blank=True, read_only=True)
    control_status = serializers.ChoiceField(
        choices=ControlStatus.choices, allow_blank=True, read_only=True
    )
    control_status_display = serializers.CharField(
        source="get_control_status_display", read_only=True
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "member",
            "member_name",
            "village",
            "contract",
            "doctor",
            "doctor_name",
            "visited_on",
            "disease",
            "disease_name",
            "place",
            "systolic",
            "diastolic",
            "fasting_glucose",
            "weight",
            "heart_rate",
            "adherence",
            "symptoms",
            "control_status",
            "control_status_display",
            "next_visit_on",
            "notes",
        ]
        read_only_fields = fields

    def get_doctor_name(self, obj) -> str:
        return _person(obj.doctor)


class FollowUpCreateSerializer(_ScopedFieldsMixin, serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.none())
    visited_on = serializers.DateField(required=False)
    disease = serializers.SlugRelatedField(
        slug_field="code", queryset=Disease.objects.all(), required=False, allow_null=True
    )
    place = serializers.ChoiceField(choices=FollowUpPlace.choices, default=FollowUpPlace.HOME)
    systolic = serializers.IntegerField(required=False, allow_null=True)
    diastolic = serializers.IntegerField(required=False, allow_null=True)
    fasting_glucose = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    heart_rate = serializers.IntegerField(required=False, allow_null=True)
    adherence = serializers.ChoiceField(choices=Adherence.choices, required=False, allow_blank=True)
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=255)
    next_visit_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
