"""Factories of the contracts tests: registry rows, teams, contracts and follow-ups.

Members get valid, unique ID numbers stored only protected, as the registry stores them;
``birth_date`` can be chosen (ages matter for the key groups) and the number follows it.
"""

from __future__ import annotations

import datetime
import itertools

import factory

from contracts.choices import ContractStatus, FollowUpPlace, ServicePackage
from contracts.models import Contract, DoctorTeam, FollowUp
from contracts.owed import refresh_owed
from contracts.services import default_valid_to
from healthaid.idnumbers import make_id_number, protect_id_number
from households.choices import ContactKind, Relation
from households.models import Disease, Household, HouseholdContact, Member, MemberDisease
from tests.healthaid.factories import UserFactory

_numbers = itertools.count(1)


def new_id_number(birth: datetime.date, region6: str = "532328") -> str:
    """A valid ID number for ``birth``, not handed out before in this run."""
    return make_id_number(region6, birth, next(_numbers) % 1000)


def _protected(birth: datetime.date) -> tuple[str, str, str, str]:
    number = new_id_number(birth)
    cipher, index, masked = protect_id_number(number)
    return number, cipher, index, masked


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"C53232810120{n:06d}")


class MemberFactory(factory.django.DjangoModelFactory):
    """A member born on ``birth_date`` (default 1960-05-01); ``.id_number`` holds the number."""

    class Meta:
        model = Member
        exclude = ["_protected"]
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"村民{n}")
    relation = Relation.HEAD
    sex = "M"
    birth_date = datetime.date(1960, 5, 1)
    _protected = factory.LazyAttribute(lambda o: _protected(o.birth_date))
    id_number_cipher = factory.LazyAttribute(lambda o: o._protected[1])
    id_number_index = factory.LazyAttribute(lambda o: o._protected[2])
    id_number_masked = factory.LazyAttribute(lambda o: o._protected[3])

    @factory.post_generation
    def remember_number(obj, create, extracted, **kwargs):
        from healthaid.idnumbers import decrypt_id_number

        obj.id_number = decrypt_id_number(obj.id_number_cipher)


def disease(code: str) -> Disease:
    return Disease.objects.get(code=code)


def add_disease(
    member: Member, code: str, diagnosed_on: datetime.date | None = None
) -> MemberDisease:
    diagnosis = MemberDisease.objects.create(
        member=member, disease=disease(code), diagnosed_on=diagnosed_on
    )
    refresh_owed([member.pk])
    return diagnosis


class RefreshOwed:
    """Records written directly keep the figures' derived rows (``contracts.owed``) exact,
    as every writer of the app does; a test that changes rows later (``save``, ``update``)
    calls ``refresh_owed`` itself."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        refresh_owed([obj.member_id])
        return obj


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdContact

    household = factory.SubFactory(HouseholdFactory)
    kind = ContactKind.VILLAGE_DOCTOR
    name = "张秀英"
    phone = "13987811111"


class DoctorTeamFactory(factory.django.DjangoModelFactory):
    """A team; pass ``villages=[...]`` and ``members=[...]`` to fill the many-to-many fields."""

    class Meta:
        model = DoctorTeam
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"第{n}家庭医生团队")

    @factory.post_generation
    def villages(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.villages.set(extracted)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class ContractFactory(RefreshOwed, factory.django.DjangoModelFactory):
    """A contract written directly (tests of the services use the services instead)."""

    class Meta:
        model = Contract

    member = factory.SubFactory(MemberFactory)
    doctor = factory.SubFactory(UserFactory)
    signed_on = datetime.date(2024, 1, 1)
    valid_from = factory.LazyAttribute(lambda o: o.signed_on)
    valid_to = factory.LazyAttribute(lambda o: default_valid_to(o.valid_from))
    package = ServicePackage.BASIC
    status = ContractStatus.ACTIVE


class FollowUpFactory(RefreshOwed, factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    member = factory.SubFactory(MemberFactory)
    visited_on = datetime.date(2024, 2, 1)
    place = FollowUpPlace.HOME
