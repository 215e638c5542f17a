"""Encounters with their settlement, for the API (reads) and its writes through the services."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.models import Institution
from healthaid.scoping import get_profile, scope_prefix_within
from households.models import Disease, Member
from medconsortium.choices import EncounterKind
from medconsortium.models import Encounter, Settlement


def _money():
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), coerce_to_string=True
    )


class SettlementSerializer(serializers.ModelSerializer):
    total = _money()
    pooled = _money()
    critical_illness = _money()
    assistance = _money()
    other = _money()
    out_of_pocket = _money()
    non_reimbursable = _money()

    class Meta:
        model = Settlement
        fields = [
            "total",
            "pooled",
            "critical_illness",
            "assistance",
            "other",
            "out_of_pocket",
            "non_reimbursable",
            "one_stop",
            "treat_first_pay_later",
            "settled_on",
        ]


class EncounterSerializer(serializers.ModelSerializer):
    """An encounter as the API shows it: the member by masked ID number only."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    member_id_number = serializers.CharField(source="member.id_number_masked", read_only=True)
    institution = serializers.CharField(source="institution.code", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    diagnosis = serializers.CharField(source="diagnosis.code", read_only=True, allow_null=True)
    settlement = SettlementSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Encounter
        fields = [
            "id",
            "member",
            "member_name",
            "member_id_number",
            "village",
            "institution",
            "institution_name",
            "kind",
            "admitted_on",
            "discharged_on",
            "diagnosis",
            "settlement",
        ]
        read_only_fields = fields


class EncounterWriteSerializer(serializers.Serializer):
    """Create (or correct) an encounter and its settlement.

    The member is given by id (within the caller's scope) or by full ID number (an exact
    look-up among the residents of the caller's region); the institution by code. Hospital
    staff may write only their own institution's encounters.
    """

    member = serializers.IntegerField(required=False)
    id_number = serializers.CharField(required=False, write_only=True)
    institution = serializers.CharField(required=False)
    kind = serializers.ChoiceField(choices=EncounterKind.choices)
    admitted_on = serializers.DateField()
    discharged_on = serializers.DateField(required=False)
    diagnosis = serializers.CharField(required=False, allow_null=True)
    settlement = SettlementSerializer()

    def validate(self, data):
        user = self.context["request"].user
        profile = get_profile(user)
        data["member_obj"] = self._member(user, data)
        data["institution_obj"] = self._institution(profile, data.get("institution"))
        if data.get("diagnosis"):
            diagnosis = Disease.objects.filter(code=data["diagnosis"]).first()
            if diagnosis is None:
                raise serializers.ValidationError({"diagnosis": _("Unknown disease code.")})
            data["diagnosis_obj"] = diagnosis
        data.setdefault("discharged_on", data["admitted_on"])
        return data

    def _member(self, user, data) -> Member:
        prefix = scope_prefix_within(user)
        if data.get("member") is not None:
            member = (
                Member.objects.visible_to(user)
                .filter(pk=data["member"])
                .select_related("household")
                .first()
            )
        elif data.get("id_number"):
            try:
                index = blind_index(normalize_id_number(data["id_number"]))
            except IDNumberError as exc:
                raise serializers.ValidationError({"id_number": str(exc)}) from exc
            members = Member.objects.filter(id_number_index=index).select_related("household")
            if prefix:
                members = members.filter(household__village__code__startswith=prefix)
            member = members.first() if prefix is not None else None
        else:
            raise serializers.ValidationError(
                {"member": _("Give the member's id or full ID number.")}
            )
        if member is None:
            raise serializers.ValidationError({"member": _("No such member in your area.")})
        return member

    def _institution(self, profile, code) -> Institution:
        own = profile.institution if profile is not None else None
        if profile is not None and profile.role == "hospital_staff":
            if own is None:
                raise serializers.ValidationError(
                    {"institution": _("Your account belongs to no institution.")}
                )
            if code and code != own.code:
                raise serializers.ValidationError(
                    {"institution": _("You may record only your own institution's encounters.")}
                )
            return own
        if not code:
            raise serializers.ValidationError({"institution": _("Give the institution's code.")})
        institution = Institution.objects.filter(code=code).first()
        if institution is None:
            raise serializers.ValidationError({"institution": _("Unknown institution code.")})
        return institution


class EncounterCorrectSerializer(serializers.Serializer):
    """A correction of an encounter's settlement (and diagnosis); its key stays."""

    diagnosis = serializers.CharField(required=False, allow_null=True)
    settlement = SettlementSerializer()
