"""Factories of the consortium tests. Records are written directly; the service tests use
the services."""

from __future__ import annotations

import datetime

import factory

from medconsortium.choices import ConsortiumKind, HalfDay, SessionStatus
from medconsortium.models import (
    Consortium,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)


class ConsortiumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consortium

    name = factory.Sequence(lambda n: f"医联体{n}")
    kind = ConsortiumKind.ALLIANCE
    signed_on = datetime.date(2024, 1, 1)


class ExpertSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertSession

    date = datetime.date(2024, 5, 20)
    half_day = HalfDay.MORNING
    specialty = "心内科"
    experts = factory.LazyFunction(
        lambda: [{"name": "胡竹林", "title": "主任医师", "specialty": "心内科"}]
    )
    expert_count = 1
    status = SessionStatus.PLANNED


class TraineeExchangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TraineeExchange

    person = factory.Sequence(lambda n: f"进修医生{n}")
    department = "骨科"
    start = datetime.date(2024, 3, 1)
    end = datetime.date(2024, 8, 31)


class RemoteConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RemoteConsultation

    kind = "ecg"
    date = datetime.date(2024, 5, 10)


class ReservedCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReservedCapacity

    week_start = datetime.date(2024, 5, 20)
    expert_slots = 50
    beds = 30
    reserved_slots = 10
    reserved_beds = 3


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    direction = "up"
    village = factory.LazyAttribute(lambda o: o.member.household.village)
    reason = "血压控制不佳"
    requested_on = datetime.date(2024, 5, 15)
