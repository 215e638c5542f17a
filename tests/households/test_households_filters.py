"""Every filter of the household and member FilterSets (shared by the pages and the API)."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from healthaid.idnumbers import decrypt_id_number, make_id_number
from households.choices import PovertyAttribute, PovertyStatus, Relation, Sex
from households.filtersets import HouseholdFilterSet, MemberFilterSet
from households.models import Household, Member
from tests.households.factories import (
    HouseholdFactory,
    MemberFactory,
    SpecialCardFactory,
    add_disease,
)

pytestmark = pytest.mark.django_db


def run(filterset_class, user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    model = filterset_class._meta.model
    filterset = filterset_class(params, queryset=model.objects.visible_to(user), request=request)
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def households(user, **params):
    return sorted(run(HouseholdFilterSet, user, **params).values_list("number", flat=True))


def names(user, **params):
    return sorted(run(MemberFilterSet, user, **params).values_list("name", flat=True))


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


@pytest.fixture
def numbers(registry):
    return {key: h.number for key, h in registry.households.items()}


# --- households ------------------------------------------------------------------------------


def test_township_filter(users, tree, numbers):
    assert households(users.county_staff, township=tree.township.code) == sorted(
        [numbers["village"], numbers["village2"]]
    )


def test_village_filter(users, tree, numbers):
    assert households(users.county_staff, village=tree.village2.code) == [numbers["village2"]]


def test_a_township_outside_the_scope_is_not_a_choice(users, tree, registry):
    request = RequestFactory().get("/")
    request.user = users.township_doctor
    filterset = HouseholdFilterSet(
        {"township": tree.other_township.code},
        queryset=Household.objects.visible_to(users.township_doctor),
        request=request,
    )
    assert not filterset.is_valid()
    assert "township" in filterset.errors
    choices = [code for code, _label in filterset.form.fields["township"].choices if code]
    assert choices == [tree.township.code]


def test_village_choices_are_grouped_by_township_of_the_scope(users, tree, registry):
    request = RequestFactory().get("/")
    request.user = users.county_staff
    filterset = HouseholdFilterSet(queryset=Household.objects.none(), request=request)
    groups = dict(filterset.form.fields["village"].choices[1:])
    assert groups == {
        "元马镇": [(tree.village.code, "能禹村委会"), (tree.village2.code, "丙间村委会")],
        "黄瓜园镇": [(tree.other_township_village.code, "小雷宰村委会")],
    }


def test_status_filter(users, registry, numbers):
    household = registry.households["village2"]
    household.status, household.lifted_year = PovertyStatus.MONITORED, 2019
    household.save()
    assert households(users.county_staff, status="monitored") == [numbers["village2"]]


def test_poverty_attribute_filter(users, registry, numbers):
    Household.objects.filter(pk=registry.households["village"].pk).update(
        poverty_attribute=PovertyAttribute.DIBAO
    )
    assert households(users.county_staff, poverty_attribute="dibao") == [numbers["village"]]


def test_poverty_cause_and_illness_filters(users, numbers):
    # The fixture makes the 1st and 3rd villages' households poor because of illness.
    expected = sorted([numbers["village"], numbers["other_township_village"]])
    assert households(users.county_staff, poverty_cause="illness") == expected
    assert households(users.county_staff, illness_caused="true") == expected
    assert households(users.county_staff, illness_caused="false") == [numbers["village2"]]


def test_search_by_household_number(users, numbers):
    assert households(users.county_staff, q=numbers["village2"][-6:]) == [numbers["village2"]]


def test_search_by_head_name_only(users, numbers):
    assert households(users.county_staff, q="丙间户主") == [numbers["village2"]]
    assert households(users.county_staff, q="丙间配偶") == []


def test_search_by_exact_id_number_finds_the_members_household(users, tree, numbers):
    number = make_id_number("532328", datetime.date(1980, 2, 3), 7)
    household = Household.objects.get(number=numbers["village2"])
    MemberFactory(household=household, name="某人", relation=Relation.SON, id_number=number)
    assert households(users.county_staff, q=number) == [numbers["village2"]]
    typed = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert households(users.county_staff, q=typed) == [numbers["village2"]]
    # A partial number matches nothing (no prefix search on ID numbers).
    assert households(users.county_staff, q=number[:10]) == []


# --- members ---------------------------------------------------------------------------------


def test_member_township_and_village_filters(users, tree, registry):
    assert names(users.county_staff, township=tree.township.code) == sorted(
        ["能禹户主", "能禹配偶", "丙间户主", "丙间配偶"]
    )
    assert names(users.county_staff, village=tree.other_township_village.code) == sorted(
        ["小雷宰户主", "小雷宰配偶"]
    )


def test_member_household_filters(users, registry):
    household = registry.households["village2"]
    household.status, household.lifted_year = PovertyStatus.MONITORED, 2018
    household.save()
    assert names(users.county_staff, status="monitored") == sorted(["丙间户主", "丙间配偶"])
    assert names(users.county_staff, poverty_cause="labour") == sorted(["丙间户主", "丙间配偶"])
    assert names(users.county_staff, illness_caused="false") == sorted(["丙间户主", "丙间配偶"])
    assert len(names(users.county_staff, illness_caused="true")) == 4


def test_disease_and_disease_group_filters(users, registry):
    add_disease(registry.heads["village"], "hypertension")
    add_disease(registry.heads["village"], "t2dm")
    add_disease(registry.spouses["village2"], "copd")
    assert names(users.county_staff, disease="hypertension") == ["能禹户主"]
    assert names(users.county_staff, disease="copd") == ["丙间配偶"]
    # Two key-4 diseases: still one row.
    assert names(users.county_staff, disease_category="key4") == ["能禹户主"]
    assert names(users.county_staff, disease_category="annual") == ["丙间配偶"]


def test_special_card_filter(users, registry):
    SpecialCardFactory(member=registry.heads["village"])
    SpecialCardFactory(member=registry.heads["village"])
    assert names(users.county_staff, special_card="true") == ["能禹户主"]
    assert "能禹户主" not in names(users.county_staff, special_card="false")
    assert len(names(users.county_staff, special_card="false")) == 5


@pytest.mark.parametrize(
    "band, inside, outside",
    [
        ("0-6", years_ago(6), years_ago(7)),
        ("7-17", years_ago(7), years_ago(18)),
        ("18-59", years_ago(18), years_ago(60)),
        ("60-64", years_ago(60), years_ago(65)),
        ("65+", years_ago(65), years_ago(6)),
    ],
)
def test_age_bands_include_their_edges(users, registry, band, inside, outside):
    household = registry.households["village"]
    # Born exactly N years ago today: N years old today.
    MemberFactory(
        household=household,
        name="在内",
        relation=Relation.SON,
        id_number=make_id_number("532328", inside, 11),
    )
    MemberFactory(
        household=household,
        name="在外",
        relation=Relation.SON,
        id_number=make_id_number("532328", outside, 13),
    )
    result = names(users.county_staff, age_band=band, village=household.village_id)
    assert "在内" in result
    assert "在外" not in result


def test_sex_filter(users, registry):
    assert names(users.township_doctor, sex=Sex.FEMALE) == sorted(["能禹配偶", "丙间配偶"])


def test_member_search_by_name_household_number_and_id(users, registry):
    assert names(users.county_staff, q="小雷宰") == sorted(["小雷宰户主", "小雷宰配偶"])
    number = registry.households["village2"].number
    assert names(users.county_staff, q=number) == sorted(["丙间户主", "丙间配偶"])
    spouse = registry.spouses["village"]
    assert names(users.county_staff, q=decrypt_id_number(spouse.id_number_cipher)) == ["能禹配偶"]


def test_an_exact_id_number_outside_the_scope_finds_nothing(users, registry):
    other = registry.heads["other_county_village"]
    assert names(users.county_staff, q=decrypt_id_number(other.id_number_cipher)) == []
    assert Member.objects.filter(pk=other.pk).exists()


def test_filters_combine(users, tree, registry):
    add_disease(registry.heads["village"], "hypertension")
    add_disease(registry.heads["other_township_village"], "hypertension")
    assert names(
        users.county_staff, disease="hypertension", township=tree.township.code, sex=Sex.MALE
    ) == ["能禹户主"]


def test_an_unrelated_household_does_not_match(users, tree, registry):
    HouseholdFactory(village=tree.village, number="X-EMPTY")
    assert "X-EMPTY" in households(users.county_staff, village=tree.village.code)
    assert "X-EMPTY" not in households(users.county_staff, q="能禹户主")


@pytest.mark.parametrize("role", ["supervisor", "hospital_staff"])
def test_roles_that_may_not_reveal_cannot_test_a_guessed_number(role, users, registry, client_as):
    """A search that finds a whole ID number confirms a guess: the mask and the age leave about
    33 candidates, so for roles that may not reveal the search is by name and number of the
    household only (their page and API both)."""
    # Someone each role sees (hospital staff: the member their institution's records involve).
    person = registry.heads["village"] if role == "hospital_staff" else registry.spouses["village"]
    number = decrypt_id_number(person.id_number_cipher)
    client = client_as(getattr(users, role))
    page = client.get(reverse("households:member-list"), {"q": number})
    assert list(page.context["object_list"]) == []
    assert "证件号码" not in str(page.context["filter"].form["q"].help_text)
    api = client.get("/api/v1/members/", {"q": number}).json()
    assert api["count"] == 0
    households = client.get("/api/v1/households/", {"q": number}).json()
    assert households["count"] == 0
    # Names still find people.
    if role == "supervisor":
        assert names(users.supervisor, q="能禹配偶") == ["能禹配偶"]
