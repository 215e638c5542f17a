"""Factories of the screening tests; registry rows and teams come from the contracts tests'."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from screening.choices import PhaseKind
from screening.models import Campaign, CampaignPhase, FreeClinic
from screening.services import campaign_create
from tests.contracts.factories import (  # noqa: F401
    ContactFactory,
    ContractFactory,
    DoctorTeamFactory,
    HouseholdFactory,
    MemberFactory,
    add_disease,
)


class FreeClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreeClinic

    held_on = datetime.date(2019, 3, 1)
    unit_name = "元谋县人民医院"
    team_name = "党员服务先锋队"
    staff_times = 8
    served = 80
    leaflets = 200
    drug_value = Decimal("400.00")
    service_value = Decimal("2000.00")


def make_campaign(
    county,
    *,
    by=None,
    start: datetime.date = datetime.date(2024, 4, 1),
    implement_end: datetime.date | None = None,
    eight_ones: bool = False,
    target: str = "illness",
) -> Campaign:
    """A campaign with the seed's three phases: mobilise 2 days, implement to
    ``implement_end`` (default 19 days after the start), summarise 10 days after."""
    implement_end = implement_end or start + datetime.timedelta(days=19)
    phases = [
        (PhaseKind.MOBILISE, start, start + datetime.timedelta(days=1)),
        (PhaseKind.IMPLEMENT, start + datetime.timedelta(days=1), implement_end),
        (
            PhaseKind.SUMMARISE,
            implement_end + datetime.timedelta(days=1),
            implement_end + datetime.timedelta(days=10),
        ),
    ]
    return campaign_create(
        name="健康扶贫“五个一”活动",
        county=county,
        phases=phases,
        eight_ones=eight_ones,
        target=target,
        by=by,
    )


__all__ = ["CampaignPhase", "FreeClinicFactory", "make_campaign"]
