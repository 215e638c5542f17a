"""The hot lists render prepared rows (issue 13): the same content as the model look-ups did.

The household and member lists, the members API's list, the worklist and the county view
print plain values worked out once per page (labels resolved once, no look-ups per cell).
These tests hold those values to what the models say, in Chinese and in English: choice
labels as ``get_<field>_display`` gives them, masked ID numbers only, names, links.
"""

import datetime
import html
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from healthaid.idnumbers import decrypt_id_number
from households.api.serializers import MemberSerializer
from households.choices import PovertyCause, Relation, Sex
from households.models import Household, Member
from households.selectors import (
    member_cards,
    member_diseases,
    member_list_queryset,
    page_diseases_and_cards,
)
from tests.households.factories import (
    HouseholdFactory,
    MemberFactory,
    SpecialCardFactory,
    add_disease,
    disease,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]


@pytest.fixture
def listed(tree, catalogue):
    """Two households with diseases, a card, a lifted year and the illness flags."""
    first = HouseholdFactory(
        village=tree.village, illness_caused=True, poverty_cause=PovertyCause.ILLNESS
    )
    head = MemberFactory(household=first, relation=Relation.HEAD)
    MemberFactory(household=first, relation=Relation.SPOUSE, sex=Sex.FEMALE)
    add_disease(head, "hypertension")
    add_disease(head, "t2dm")
    SpecialCardFactory(member=head)
    second = HouseholdFactory(village=tree.other_township_village, poverty_cause="")
    MemberFactory(household=second, relation=Relation.HEAD)
    return [first, second]


def client_in(client_as, user, language):
    client = client_as(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def rows_of(page: str, testid: str) -> list[str]:
    """The HTML of each ``<tr data-testid=testid>`` of a page."""
    return re.findall(rf'<tr data-testid="{testid}">(.*?)</tr>', page, re.DOTALL)


def cells(row: str) -> list[str]:
    """The text of a row's cells, tags stripped and entities decoded."""
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in found]


@pytest.mark.parametrize("language", LANGUAGES)
def test_household_rows_show_what_the_models_say(users, listed, client_as, language):
    page = (
        client_in(client_as, users.county_staff, language)
        .get(reverse("households:household-list"))
        .content.decode()
    )
    rows = {cells(row)[0][0]: row for row in rows_of(page, "household-row")}
    assert len(rows) == 2
    with translation.override(language):
        for household in Household.objects.filter(pk__in=[h.pk for h in listed]):
            row = rows[household.number]
            link = reverse("households:household-detail", args=[household.pk])
            assert f'<a href="{link}">{household.number}</a>' in row
            head = household.members.get(relation=Relation.HEAD)
            expected = [
                [household.number],
                [head.name],
                [str(household.members.count())],
                [household.village.parent.name],
                [household.village.name],
                household.get_poverty_attribute_display().split(),
                household.get_status_display().split()
                + ([f"({household.lifted_year})"] if household.lifted_year else []),
                (household.get_poverty_cause_display() or "—").split(),
            ]
            assert cells(row)[:8] == expected
    with translation.override(language):
        ill = translation.gettext("Poor because of illness")
    assert ill in rows[listed[0].number] and ill not in rows[listed[1].number]
    assert "—" in cells(rows[listed[1].number])[8]


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_rows_show_masked_numbers_and_labels(users, listed, client_as, language):
    page = (
        client_in(client_as, users.county_staff, language)
        .get(reverse("households:member-list"))
        .content.decode()
    )
    rows = rows_of(page, "member-row")
    members = list(Member.objects.select_related("household__village__parent"))
    assert len(rows) == len(members) == 3
    by_link = {re.search(r'href="([^"]+)"', row).group(1): row for row in rows}
    with translation.override(language):
        for member in members:
            row = by_link[reverse("households:member-detail", args=[member.pk])]
            shown = cells(row)
            assert shown[1] == [member.id_number_masked]
            # The clear number never reaches the page.
            assert decrypt_id_number(member.id_number_cipher) not in page
            assert shown[2] == member.get_sex_display().split()
            assert shown[3] == [str(member.age)]
            assert shown[4] == member.get_relation_display().split()
            assert shown[5] == [member.household.number]
            assert shown[6] == [member.household.village.parent.name]
            assert shown[7] == [member.household.village.name]
            diseases = [
                md.disease.name for md in member.member_diseases.order_by("disease__sort_order")
            ]
            assert shown[8] == (diseases or ["—"])
            cards = [card.number for card in member.special_cards.order_by("number")]
            assert shown[9] == (cards or ["—"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_members_api_list_equals_the_serializer_row_by_row(users, listed, api_as, language):
    with translation.override(language):
        response = api_as(users.county_staff).get("/api/v1/members/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        listed_rows = response.json()["results"]
        members = {m.pk: m for m in member_list_queryset()}
        assert len(listed_rows) == len(members) == 3
        for row in listed_rows:
            # The per-row ModelSerializer: what every row was before the list's fast path.
            expected = MemberSerializer(members[row["id"]]).data
            assert row == dict(expected)
            assert "id_number" not in row
        labels = {row["sex_display"] for row in listed_rows}
        assert labels == {str(Sex(m.sex).label) for m in members.values()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_members_loaded_or_read_as_values_give_the_same_rows(users, listed, language):
    # The API's page is read as values; members already loaded (a list) take the other path.
    with translation.override(language):
        queryset = member_list_queryset().order_by("pk")
        from_values = MemberSerializer(queryset, many=True).data
        from_instances = MemberSerializer(list(queryset), many=True).data
        assert len(from_values) == 3
        assert from_values == from_instances
        assert from_values == [dict(MemberSerializer(m).data) for m in queryset]
        assert any(row["diseases"] and row["special_cards"] for row in from_values)


def test_a_page_reads_its_diagnoses_and_cards_as_the_prefetches_do(tree, catalogue):
    """``page_diseases_and_cards`` (written-out SQL) gives what the two prefetches give, in
    their orders, with the cards' diseases and dates, for several, one or none of each."""
    many = MemberFactory(household=HouseholdFactory(village=tree.village))
    for code in ("copd", "t2dm", "hypertension"):  # out of the catalogue's order
        add_disease(many, code)
    for number, day in (("MBK9", None), ("MBK1", datetime.date(2019, 3, 5)), ("MBK5", None)):
        SpecialCardFactory(member=many, number=number, issued_on=day, disease=disease("t2dm"))
    one = MemberFactory(household=many.household, relation=Relation.SPOUSE)
    add_disease(one, "hypertension")
    SpecialCardFactory(member=one, number="MBK3")
    none = MemberFactory(household=many.household, relation=Relation.SON)
    ids = [many.pk, one.pk, none.pk]

    with CaptureQueriesContext(connection) as queries:
        diseases, cards = page_diseases_and_cards(ids)
    assert len(queries) == 2
    for member in member_list_queryset().filter(pk__in=ids):
        assert diseases.get(member.pk, []) == [
            (row.disease.code, row.disease.name, row.disease.category)
            for row in member_diseases(member)
        ]
        assert cards.get(member.pk, []) == [
            (card.number, card.disease.code if card.disease else None, card.issued_on)
            for card in member_cards(member)
        ]
    assert [row[1] for row in diseases[many.pk]] == [
        disease(code).name for code in ("hypertension", "t2dm", "copd")
    ]
    assert cards[many.pk] == [
        ("MBK1", "t2dm", datetime.date(2019, 3, 5)),
        ("MBK5", "t2dm", None),
        ("MBK9", "t2dm", None),
    ]
    assert cards[one.pk] == [("MBK3", None, None)]
    assert none.pk not in diseases and none.pk not in cards
    with CaptureQueriesContext(connection) as queries:
        assert page_diseases_and_cards([]) == ({}, {})
    assert not queries


def test_household_list_shares_its_subqueries_and_leaves_them_unchanged(tree):
    """The head-name and member-count subqueries are built once a process and shared by
    every household list: using them must not change them for the next list."""
    from households.selectors import (
        _every_member_annotations,
        _household_annotations,
        household_list_queryset,
    )

    first = HouseholdFactory(village=tree.village)
    MemberFactory(household=first, relation=Relation.HEAD, name="甲户主")
    MemberFactory(household=first, relation=Relation.SPOUSE)
    second = HouseholdFactory(village=tree.village2)
    MemberFactory(household=second, relation=Relation.HEAD, name="乙户主")
    shared = _every_member_annotations()

    def sql(queryset):
        return queryset.query.get_compiler(using="default").as_sql()

    def listed(number):
        rows = household_list_queryset().filter(number=number).values("head_name", "member_count")
        return sql(rows), list(rows)

    sql_first, rows_first = listed(first.number)
    _sql_second, rows_second = listed(second.number)
    assert rows_first == [{"head_name": "甲户主", "member_count": 2}]
    assert rows_second == [{"head_name": "乙户主", "member_count": 1}]
    again, rows_again = listed(first.number)
    assert (again, rows_again) == (sql_first, rows_first)
    assert _every_member_annotations() is shared
    fresh = Household.objects.annotate(**_household_annotations(Member.objects.all()))
    assert sql(fresh.filter(number=first.number).values("head_name", "member_count")) == sql_first
