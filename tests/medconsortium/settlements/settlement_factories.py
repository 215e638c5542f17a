"""Factories and row builders of the settlement tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from medconsortium.choices import EncounterKind
from medconsortium.models import Encounter, Settlement
from medconsortium.settlement_services import SettlementRow
from tests.households.factories import MemberFactory


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    member = factory.SubFactory(MemberFactory)
    kind = EncounterKind.INPATIENT
    admitted_on = datetime.date(2019, 3, 1)
    discharged_on = datetime.date(2019, 3, 8)
    village = factory.LazyAttribute(lambda o: o.member.household.village)


class SettlementFactory(factory.django.DjangoModelFactory):
    """A settlement of 1,000 yuan: 700 pooled, 100 critical illness, 100 assistance, 100 own."""

    class Meta:
        model = Settlement

    encounter = factory.SubFactory(EncounterFactory)
    total = Decimal("1000.00")
    pooled = Decimal("700.00")
    critical_illness = Decimal("100.00")
    assistance = Decimal("100.00")
    other = Decimal("0.00")
    out_of_pocket = Decimal("100.00")
    non_reimbursable = Decimal("10.00")


def row(member, institution, **overrides) -> SettlementRow:
    """A valid inpatient row of 1,000 yuan for ``member`` at ``institution``."""
    values = {
        "member_id": member.pk,
        "institution_id": institution.pk,
        "kind": EncounterKind.INPATIENT,
        "admitted_on": datetime.date(2019, 3, 1),
        "discharged_on": datetime.date(2019, 3, 8),
        "total": Decimal("1000.00"),
        "pooled": Decimal("700.00"),
        "critical_illness": Decimal("100.00"),
        "assistance": Decimal("100.00"),
        "other": Decimal("0.00"),
        "out_of_pocket": Decimal("100.00"),
        "non_reimbursable": Decimal("10.00"),
        "one_stop": True,
        "treat_first_pay_later": True,
        "settled_on": datetime.date(2019, 3, 8),
    }
    values.update(overrides)
    return SettlementRow(**values)
