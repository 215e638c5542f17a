"""Serializers of the registry API.

Reads carry the masked ID number only (``id_number_masked``); writes take the raw
``id_number``, which the services normalise, validate and store protected. Serializers
check the shape of the input; the rules (valid number, sex matching it, unique number and
household number, lifted year) are the services', whose messages come back as a 400.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from healthaid.choices import RegionLevel
from healthaid.models import Region
from households.choices import (
    ContactKind,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.filtersets import DISEASE_CHOICES
from households.models import Household, HouseholdContact, Member, SpecialCard
from households.selectors import member_cards, member_diseases


@extend_schema_field(OpenApiTypes.STR)
class DisplayField(serializers.Field):
    """The label of a choice field's value, looked up in its choices.

    ``source="get_<field>_display"`` would do the same, but DRF inspects the signature of
    that method for every row, which costs more than the rest of a 500-row page together.
    """

    def __init__(self, choices, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.labels = dict(choices)

    def to_representation(self, value):
        label = self.labels.get(value, value)
        return "" if label is None else str(label)


class ContactSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    kind_display = DisplayField(ContactKind.choices, source="kind")

    class Meta:
        model = HouseholdContact
        fields = ["kind", "kind_display", "name", "phone"]


class DiseaseRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="disease.code", read_only=True)
    name = serializers.CharField(source="disease.name", read_only=True)
    category = serializers.CharField(source="disease.category", read_only=True)


class SpecialCardSerializer(serializers.ModelSerializer):
    disease = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SpecialCard
        fields = ["number", "disease", "issued_on"]


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class HouseholdSerializer(serializers.ModelSerializer):
    village = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.none(), help_text=_("Division code of the village")
    )
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="village.parent.name", read_only=True)
    poverty_attribute_display = DisplayField(PovertyAttribute.choices, source="poverty_attribute")
    status_display = DisplayField(PovertyStatus.choices, source="status")
    poverty_cause_display = DisplayField(PovertyCause.choices, source="poverty_cause")
    head_name = serializers.CharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True, allow_null=True)
    contacts = ContactSerializer(many=True, required=False)

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "village",
            "village_name",
            "township_name",
            "address",
            "poverty_attribute",
            "poverty_attribute_display",
            "status",
            "status_display",
            "lifted_year",
            "poverty_cause",
            "poverty_cause_display",
            "illness_caused",
            "illness_returned",
            "head_name",
            "member_count",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the service's to check, with its own message.
        extra_kwargs = {"number": {"validators": []}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None and "village" in self.fields:
            self.fields["village"].queryset = Region.objects.visible_to(user).filter(
                level=RegionLevel.VILLAGE
            )


class MemberListSerializer(serializers.ListSerializer):
    """A list of members read without DRF's per-row, per-field machinery.

    ``ModelSerializer`` finds each of 24 fields' values through ``get_attribute`` (source
    paths, callables checked per value) and ``to_representation`` on every row: most of a
    50-row page's Python time. The rows here are built directly from the prefetched members,
    with the choice labels resolved once per page; the same values as the child's
    ``to_representation`` (a test holds them equal). Writes still go through the child.
    """

    def to_representation(self, data):
        members = data.all() if hasattr(data, "all") else data
        fields = self.child.fields
        created_at = fields["created_at"].to_representation
        updated_at = fields["updated_at"].to_representation
        sexes = fields["sex_display"].labels
        relations = fields["relation_display"].labels
        rows = []
        for member in members:
            household = member.household
            rows.append(
                {
                    "id": member.pk,
                    "household": household.pk,
                    "household_number": household.number,
                    "village": household.village_id,
                    "village_name": household.village.name,
                    "name": member.name,
                    "id_number_masked": member.id_number_masked,
                    "sex": member.sex,
                    "sex_display": str(sexes.get(member.sex, member.sex)),
                    "age": member.age,
                    "relation": member.relation,
                    "relation_display": str(relations.get(member.relation, member.relation)),
                    "ethnicity": member.ethnicity,
                    "phone": member.phone,
                    "insured": member.insured,
                    "health_status": member.health_status,
                    "disabled": member.disabled,
                    "pregnant": member.pregnant,
                    "diseases": self.child.get_diseases(member),
                    "special_cards": self.child.get_special_cards(member),
                    "created_at": created_at(member.created_at),
                    "updated_at": updated_at(member.updated_at),
                }
            )
        return rows


class MemberSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())
    household_number = serializers.CharField(source="household.number", read_only=True)
    village = serializers.CharField(source="household.village_id", read_only=True)
    village_name = serializers.CharField(source="household.village.name", read_only=True)
    id_number = serializers.CharField(
        write_only=True,
        required=False,
        max_length=40,
        help_text=_("The resident ID number; required when creating. Never returned."),
    )
    sex = serializers.ChoiceField(
        choices=Member._meta.get_field("sex").choices,
        required=False,
        help_text=_("Derived from the ID number; if given it must agree with it."),
    )
    sex_display = DisplayField(Sex.choices, source="sex")
    relation_display = DisplayField(Relation.choices, source="relation")
    age = serializers.IntegerField(read_only=True)
    diseases = serializers.SerializerMethodField()
    disease_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=DISEASE_CHOICES),
        write_only=True,
        required=False,
        help_text=_("Catalogue codes of the member's diseases; replaces them when given."),
    )
    special_cards = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "household",
            "household_number",
            "village",
            "village_name",
            "name",
            "id_number",
            "id_number_masked",
            "sex",
            "sex_display",
            "age",
            "relation",
            "relation_display",
            "ethnicity",
            "phone",
            "insured",
            "health_status",
            "disabled",
            "pregnant",
            "diseases",
            "disease_codes",
            "special_cards",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id_number_masked", "created_at", "updated_at"]
        list_serializer_class = MemberListSerializer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _request_user(self)
        if user is not None and "household" in self.fields:
            self.fields["household"].queryset = Household.objects.visible_to(user)

    # Plain dicts from the prefetched rows: a nested serializer per row is the slow part of
    # a 500-row page.
    @extend_schema_field(DiseaseRefSerializer(many=True))
    def get_diseases(self, member: Member) -> list[dict]:
        return [
            {"code": md.disease.code, "name": md.disease.name, "category": md.disease.category}
            for md in member_diseases(member)
        ]

    @extend_schema_field(SpecialCardSerializer(many=True))
    def get_special_cards(self, member: Member) -> list[dict]:
        return [
            {
                "number": card.number,
                "disease": card.disease.code if card.disease_id else None,
                "issued_on": card.issued_on.isoformat() if card.issued_on else None,
            }
            for card in member_cards(member)
        ]


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField(read_only=True)
    # Only here: the birth date is the 8 digits the mask hides, so it comes with the reveal.
    birth_date = serializers.DateField(read_only=True)


class LookupSerializer(serializers.Serializer):
    id_number = serializers.CharField(
        max_length=40, write_only=True, help_text=_("The whole resident ID number (18 characters).")
    )
