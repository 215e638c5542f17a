"""The institution resolver: codes, names, township variants, aliases; built in fixed queries."""

import pytest

from healthaid.choices import InstitutionKind
from medconsortium.models import InstitutionAlias
from medconsortium.settlement_services import (
    InstitutionResolver,
    institution_alias_create,
    institution_alias_delete,
)
from tests.healthaid.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolver(tree, institutions):
    return InstitutionResolver.for_county(tree.county)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("H53232801", "county_hospital"),
        ("h53232801", "county_hospital"),
        ("元谋县人民医院", "county_hospital"),
        (" 元谋县 人民医院 ", "county_hospital"),
        ("楚雄州人民医院", "prefecture_hospital"),  # the county's patients go up to it
        ("元马镇卫生院", "township_centre"),
        ("元马卫生院", "township_centre"),
        ("元马中心卫生院", "township_centre"),
        ("元马镇中心卫生院", "township_centre"),
        ("元马乡卫生院", "township_centre"),
        ("元谋县元马镇卫生院", "township_centre"),
        ("元谋元马卫生院", "township_centre"),
        ("ＴＥＳＴ" and "Ｔ532328101", "township_centre"),  # full-width code
        ("黄瓜园卫生院", "other_township_centre"),
        ("黄瓜园镇中心卫生院", "other_township_centre"),
        ("能禹村卫生室", "village_clinic"),
    ],
)
def test_resolves(resolver, institutions, text, key):
    assert resolver.resolve(text) == getattr(institutions, key)


@pytest.mark.parametrize("text", ["", "不存在医院", "双柏县人民医院", "妥甸卫生院", "元马"])
def test_does_not_resolve_and_says_why(resolver, text):
    assert resolver.resolve(text) is None
    assert resolver.why_not(text)


def test_a_variant_two_centres_share_is_ambiguous(tree, institutions):
    InstitutionFactory(
        code="T532328101X",
        name="元马乡中心卫生院",
        kind=InstitutionKind.TOWNSHIP_CENTRE,
        region=tree.township,
    )
    resolver = InstitutionResolver.for_county(tree.county)
    assert resolver.resolve("元马卫生院") is None
    assert "元马卫生院" in resolver.why_not("元马卫生院")
    # the exact names still resolve
    assert resolver.resolve("元马镇卫生院") == institutions.township_centre


def test_aliases_are_per_county(tree, institutions, users):
    alias = institution_alias_create(
        county=tree.county,
        alias="县医院",
        institution=institutions.county_hospital,
        by=users.county_staff,
    )
    assert InstitutionResolver.for_county(tree.county).resolve("县医院") == (
        institutions.county_hospital
    )
    assert InstitutionResolver.for_county(tree.other_county).resolve("县医院") is None
    institution_alias_delete(alias=alias, by=users.county_staff)
    assert not InstitutionAlias.objects.exists()
    assert InstitutionResolver.for_county(tree.county).resolve("县医院") is None


def test_built_in_fixed_queries(tree, institutions, django_assert_num_queries):
    with django_assert_num_queries(3):
        InstitutionResolver.for_county(tree.county)
    for n in range(20):
        InstitutionFactory(code=f"V{n}", name=f"村卫生室{n}", kind="village", region=tree.village)
    with django_assert_num_queries(3):
        resolver = InstitutionResolver.for_county(tree.county)
    with django_assert_num_queries(0):
        assert resolver.resolve("村卫生室7").code == "V7"
