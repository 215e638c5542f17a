"""Filters of the registry, one FilterSet per model, shared by the HTML lists and the API.

Township and village choices come from the user's scope (one query, and only when a form is
rendered or a township/village is asked for); a code outside the scope is an invalid choice.
Searching by an exact ID number goes through the blind index, never through the number.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from healthaid.choices import RegionLevel
from healthaid.forms import BootstrapForm, FastSelect
from healthaid.idnumbers import IDNumberError, blind_index, normalize_id_number
from healthaid.models import Region
from healthaid.scoping import can_reveal_id
from households.catalogue import DISEASES
from households.choices import (
    DiseaseCategory,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.models import Disease, Household, Member, MemberDisease, SpecialCard

AGE_BANDS: dict[str, tuple[int | None, int | None]] = {
    "0-6": (0, 6),
    "7-17": (7, 17),
    "18-59": (18, 59),
    "60-64": (60, 64),
    "65+": (65, None),
}
AGE_BAND_CHOICES = [
    ("0-6", _("0–6 years")),
    ("7-17", _("7–17 years")),
    ("18-59", _("18–59 years")),
    ("60-64", _("60–64 years")),
    ("65+", _("65 and over")),
]
DISEASE_CHOICES = [(spec.code, spec.name) for spec in DISEASES]


def _exact_id_index(value: str) -> str | None:
    """The blind index of ``value`` when it is a complete, valid ID number; else ``None``."""
    try:
        return blind_index(normalize_id_number(value))
    except IDNumberError:
        return None


class ScopedRegionChoices:
    """Township and village choices of one user's scope, loaded once per FilterSet."""

    def __init__(self, request):
        self.user = getattr(request, "user", None)
        self._rows: list[tuple[str, str, int, str]] | None = None

    def __deepcopy__(self, memo):
        # Forms deep-copy their fields, and a field and its widget each hold these choices:
        # sharing one instance keeps the scope's regions at one query per page.
        return self

    def _load(self) -> list[tuple[str, str, int, str]]:
        """(code, name, level, parent code) of the scope's townships and villages."""
        if self._rows is None:
            self._rows = list(
                Region.objects.visible_to(self.user)
                .filter(level__in=(RegionLevel.TOWNSHIP, RegionLevel.VILLAGE))
                .order_by("code")
                .values_list("code", "name", "level", "parent_id")
            )
        return self._rows

    def townships(self):
        return [
            (code, name) for code, name, level, _ in self._load() if level == RegionLevel.TOWNSHIP
        ]

    def villages(self):
        rows = self._load()
        names = {code: name for code, name, level, _ in rows if level == RegionLevel.TOWNSHIP}
        groups: dict[str, list[tuple[str, str]]] = {}
        for code, name, level, parent in rows:
            if level == RegionLevel.VILLAGE:
                groups.setdefault(names.get(parent, ""), []).append((code, name))
        if list(groups) == [""]:
            return groups[""]
        return list(groups.items())


class RegistryFilterSet(django_filters.FilterSet):
    """Township and village filters over ``region_path`` (the field holding the village)."""

    region_path = "village"

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        regions = ScopedRegionChoices(request)
        # Callables: evaluated only when the form is rendered or the value validated.
        self.filters["township"].extra["choices"] = regions.townships
        self.filters["village"].extra["choices"] = regions.villages
        user = getattr(request, "user", None)
        if "q" in self.filters and not (user is not None and can_reveal_id(user)):
            self.filters["q"].extra["help_text"] = _("Name or household number")

    def _exact_id_index(self, value: str) -> str | None:
        """The blind index of a complete ID number typed in the search, for roles that may
        reveal numbers; ``None`` for the others.

        A search that says "found" or "not found" for a whole number tests a guess: with the
        masked number (region and last four) and the age, about 33 guesses rebuild anyone's
        number. Roles that may not reveal therefore search by name and household number only;
        theirs is the exact look-up, audited and throttled (hospital staff).
        """
        user = getattr(self.request, "user", None)
        if user is None or not can_reveal_id(user):
            return None
        return _exact_id_index(value)

    def filter_township(self, queryset, name, value: str):
        return queryset.filter(**{f"{self.region_path}__code__startswith": value[:9]})

    def filter_village(self, queryset, name, value: str):
        return queryset.filter(**{f"{self.region_path}_id": value})


class HouseholdFilterSet(RegistryFilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Household number, head's name or an exact ID number"),
    )
    township = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_township", label=_("Township"), choices=list
    )
    village = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_village", label=_("Village"), choices=list
    )
    status = django_filters.ChoiceFilter(
        widget=FastSelect, choices=PovertyStatus.choices, label=_("Poverty status")
    )
    poverty_attribute = django_filters.ChoiceFilter(
        widget=FastSelect, choices=PovertyAttribute.choices, label=_("Poverty attribute")
    )
    poverty_cause = django_filters.ChoiceFilter(
        widget=FastSelect, choices=PovertyCause.choices, label=_("Main poverty cause")
    )
    illness_caused = django_filters.BooleanFilter(label=_("Poor because of illness"))

    region_path = "village"

    class Meta:
        model = Household
        form = BootstrapForm
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        index = self._exact_id_index(value)
        if index is not None:
            return queryset.filter(
                pk__in=Member.objects.filter(id_number_index=index).values("household_id")
            )
        heads = Member.objects.filter(
            household=OuterRef("pk"), relation=Relation.HEAD, name__contains=value
        )
        return queryset.filter(Q(number__contains=value) | Exists(heads))


class MemberFilterSet(RegistryFilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Name, household number or an exact ID number"),
    )
    township = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_township", label=_("Township"), choices=list
    )
    village = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_village", label=_("Village"), choices=list
    )
    status = django_filters.ChoiceFilter(
        widget=FastSelect,
        field_name="household__status",
        choices=PovertyStatus.choices,
        label=_("Poverty status"),
    )
    poverty_cause = django_filters.ChoiceFilter(
        widget=FastSelect,
        field_name="household__poverty_cause",
        choices=PovertyCause.choices,
        label=_("Main poverty cause"),
    )
    illness_caused = django_filters.BooleanFilter(
        field_name="household__illness_caused", label=_("Poor because of illness")
    )
    disease = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_disease", choices=DISEASE_CHOICES, label=_("Disease")
    )
    disease_category = django_filters.ChoiceFilter(
        widget=FastSelect,
        method="filter_disease_category",
        choices=DiseaseCategory.choices,
        label=_("Disease group"),
    )
    special_card = django_filters.BooleanFilter(
        method="filter_special_card", label=_("Has a special card")
    )
    age_band = django_filters.ChoiceFilter(
        widget=FastSelect, method="filter_age_band", choices=AGE_BAND_CHOICES, label=_("Age")
    )
    sex = django_filters.ChoiceFilter(widget=FastSelect, choices=Sex.choices, label=_("Sex"))
    # Any level (a county, a township, a village): the people behind a dashboard's figure.
    region = django_filters.CharFilter(method="filter_region", label=_("Region code"))

    region_path = "household__village"

    def __init__(self, data=None, *args, **kwargs):
        # "?age_band=65+" typed by hand arrives as "65 " (a "+" in a query string is a space).
        if data is not None and str(data.get("age_band", "")).strip() == "65":
            data = data.copy()
            data["age_band"] = "65+"
        super().__init__(data, *args, **kwargs)

    class Meta:
        model = Member
        form = BootstrapForm
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        index = self._exact_id_index(value)
        if index is not None:
            return queryset.filter(id_number_index=index)
        return queryset.filter(Q(name__contains=value) | Q(household__number__contains=value))

    def filter_disease(self, queryset, name, value):
        # The disease's id as a constant (one small query) rather than a join on its code:
        # PostgreSQL then knows from its statistics how common the disease is and plans the
        # township + disease list from the township's households instead of the patients.
        disease_id = Disease.objects.filter(code=value).values_list("pk", flat=True).first()
        return queryset.filter(
            Exists(MemberDisease.objects.filter(member=OuterRef("pk"), disease_id=disease_id))
        )

    def filter_disease_category(self, queryset, name, value):
        return queryset.filter(
            Exists(MemberDisease.objects.filter(member=OuterRef("pk"), disease__category=value))
        )

    def filter_special_card(self, queryset, name, value):
        if value is None:
            return queryset
        has_card = Exists(SpecialCard.objects.filter(member=OuterRef("pk")))
        return queryset.filter(has_card if value else ~has_card)

    def filter_region(self, queryset, name, value):
        region = Region.objects.filter(code=value.strip().ljust(12, "0")[:12]).first()
        if region is None:
            return queryset.none()
        return queryset.filter(household__village__code__startswith=region.prefix)

    def filter_age_band(self, queryset, name, value):
        low, high = AGE_BANDS[value]
        return queryset.aged_between(low, high)
