"""Serializers of the registry API.

Reads carry the masked ID number only (``id_number_masked``); writes take the raw
``id_number``, which the services normalise, validate and store protected. Serializers
check the shape of the input; the rules (valid number, sex matching it, unique number and
household number, lifted year) are the services', whose messages come back as a 400.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.manager import BaseManager
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from healthaid.choices import RegionLevel, choice_labels
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
from households.models import Household, HouseholdContact, Member, SpecialCard, age_on
from households.selectors import member_api_values, member_cards, member_diseases


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

    def get_fields(self):
        # When the fields are built (a write, a detail), not in __init__: a list's rows
        # never need them (the list serializers read values).
        fields = super().get_fields()
        user = _request_user(self)
        if user is not None and "village" in fields:
            fields["village"].queryset = Region.objects.visible_to(user).filter(
                level=RegionLevel.VILLAGE
            )
        return fields


# How the members' ``created_at`` and ``updated_at`` print (the child's read-only fields).
_TIMESTAMP = serializers.DateTimeField(read_only=True)


class MemberListSerializer(serializers.ListSerializer):
    """A list of members read without DRF's per-row, per-field machinery.

    ``ModelSerializer`` finds each of 24 fields' values through ``get_attribute`` (source
    paths, callables checked per value) and ``to_representation`` on every row: most of a
    50-row page's Python time. The rows here are built from plain values, with the choice
    labels resolved once per page: a page's queryset (the API's list, paginated lazily) is
    read with ``values()`` (``households.selectors.member_api_values``), no model instances;
    members already loaded give the same values. The same rows as the child's
    ``to_representation`` (a test holds them equal). Writes still go through the child.
    """

    def to_representation(self, data):
        if isinstance(data, BaseManager):
            data = data.all()
        if isinstance(data, QuerySet):
            members = member_api_values(data)
        else:
            members = [_member_values(member) for member in data]
        # Not ``self.child.fields``: building the child's 24 fields (deep copies of the
        # disease catalogue's choices among them) costs more than the page's rows.
        created_at = updated_at = _TIMESTAMP.to_representation
        sexes = choice_labels(Sex.choices)
        relations = choice_labels(Relation.choices)
        today = timezone.localdate()
        return [
            {
                "id": member["pk"],
                "household": member["household_id"],
                "household_number": member["household__number"],
                "village": member["household__village_id"],
                "village_name": member["household__village__name"],
                "name": member["name"],
                "id_number_masked": member["id_number_masked"],
                "sex": member["sex"],
                "sex_display": sexes.get(member["sex"], member["sex"]),
                "age": age_on(member["birth_date"], today),
                "relation": member["relation"],
                "relation_display": relations.get(member["relation"], member["relation"]),
                "ethnicity": member["ethnicity"],
                "phone": member["phone"],
                "insured": member["insured"],
                "health_status": member["health_status"],
                "disabled": member["disabled"],
                "pregnant": member["pregnant"],
                "diseases": [
                    {"code": code, "name": name, "category": category}
                    for code, name, category in member["diseases"]
                ],
                "special_cards": [
                    {
                        "number": number,
                        "disease": disease,
                        "issued_on": issued_on.isoformat() if issued_on else None,
                    }
                    for number, disease, issued_on in member["cards"]
                ],
                "created_at": created_at(member["created_at"]),
                "updated_at": updated_at(member["updated_at"]),
            }
            for member in members
        ]


def _member_values(member: Member) -> dict:
    """A loaded member as ``member_api_values`` gives one."""
    household = member.household
    return {
        "pk": member.pk,
        "household_id": household.pk,
        "household__number": household.number,
        "household__village_id": household.village_id,
        "household__village__name": household.village.name,
        "name": member.name,
        "id_number_masked": member.id_number_masked,
        "sex": member.sex,
        "birth_date": member.birth_date,
        "relation": member.relation,
        "ethnicity": member.ethnicity,
        "phone": member.phone,
        "insured": member.insured,
        "health_status": member.health_status,
        "disabled": member.disabled,
        "pregnant": member.pregnant,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "diseases": [
            (md.disease.code, md.disease.name, md.disease.category)
            for md in member_diseases(member)
        ],
        "cards": [
            (card.number, card.disease.code if card.disease_id else None, card.issued_on)
            for card in member_cards(member)
        ],
    }


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

    def get_fields(self):
        # When the fields are built (a write, a detail), not in __init__: the list's rows
        # never need them (MemberListSerializer reads values).
        fields = super().get_fields()
        user = _request_user(self)
        if user is not None and "household" in fields:
            fields["household"].queryset = Household.objects.visible_to(user)
        return fields

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
