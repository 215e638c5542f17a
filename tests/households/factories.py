"""Factories of the registry. ID numbers are valid and unique, and stored only protected."""

from __future__ import annotations

import datetime
import itertools
from types import SimpleNamespace

import factory

from healthaid.idnumbers import (
    blind_index,
    encrypt_id_number,
    make_id_number,
    mask_id_number,
    parse_id_number,
)
from households.choices import ContactKind, PovertyCause, PovertyStatus, Relation, Sex
from households.models import (
    Disease,
    Household,
    HouseholdContact,
    Member,
    MemberDisease,
    SpecialCard,
)

_sequence = itertools.count(1)


def new_id_number(
    sex: str = Sex.MALE, birth: datetime.date | None = None, region6: str = "532328"
) -> str:
    """A valid ID number not handed out before in this test run (odd sequence = male)."""
    n = next(_sequence)
    birth = birth or datetime.date(1950, 1, 1) + datetime.timedelta(days=(n * 37) % 25000)
    seq = 2 * (n % 499) + (1 if sex == Sex.MALE else 0)
    return make_id_number(region6, birth, seq)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"5323281012019{n:05d}")
    status = PovertyStatus.LIFTED
    lifted_year = 2019


class MemberFactory(factory.django.DjangoModelFactory):
    """A member; pass ``id_number`` (raw) to choose the number, else a fresh one is made."""

    class Meta:
        model = Member

    class Params:
        id_number = factory.LazyAttribute(lambda o: new_id_number(o.sex))

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    relation = Relation.HEAD
    sex = Sex.MALE
    birth_date = factory.LazyAttribute(lambda o: parse_id_number(o.id_number).birth_date)
    id_number_cipher = factory.LazyAttribute(lambda o: encrypt_id_number(o.id_number))
    id_number_index = factory.LazyAttribute(lambda o: blind_index(o.id_number))
    id_number_masked = factory.LazyAttribute(lambda o: mask_id_number(o.id_number))


def disease(code: str) -> Disease:
    return Disease.objects.get(code=code)


def add_disease(member: Member, code: str) -> MemberDisease:
    return MemberDisease.objects.create(member=member, disease=disease(code))


class SpecialCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialCard

    member = factory.SubFactory(MemberFactory)
    number = factory.Sequence(lambda n: f"MBK{n:06d}")


class HouseholdContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdContact

    household = factory.SubFactory(HouseholdFactory)
    kind = ContactKind.VILLAGE_DOCTOR
    name = "张医生"
    phone = "13987800001"


VILLAGE_KEYS = ("village", "village2", "other_township_village", "other_county_village")


def build_registry(tree) -> SimpleNamespace:
    """One household (head and spouse) in each village of the shared tree.

    Names say where people live (能禹户主, 丙间配偶, ...); the 1st and 3rd households are poor
    because of illness, the others for lack of labour.
    """
    households, heads, spouses = {}, {}, {}
    for index, key in enumerate(VILLAGE_KEYS, start=1):
        village = getattr(tree, key)
        short = village.name.removesuffix("村委会")
        household = HouseholdFactory(
            number=f"{village.code}{index:04d}",
            village=village,
            poverty_cause=PovertyCause.ILLNESS if index % 2 else PovertyCause.LABOUR,
            illness_caused=bool(index % 2),
        )
        households[key] = household
        heads[key] = MemberFactory(
            household=household, name=f"{short}户主", relation=Relation.HEAD, sex=Sex.MALE
        )
        spouses[key] = MemberFactory(
            household=household, name=f"{short}配偶", relation=Relation.SPOUSE, sex=Sex.FEMALE
        )
    return SimpleNamespace(households=households, heads=heads, spouses=spouses)
