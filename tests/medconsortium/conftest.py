"""Fixtures of the consortium tests: the shared tree's registry (one household a village)
and one record of each kind inside and outside each role's scope.

Institutions: 元谋县人民医院 (county hospital, the hospital staff's own), 楚雄州人民医院,
元马镇卫生院, 黄瓜园镇卫生院, 能禹村卫生室 and 双柏县人民医院 (another county).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from households.services import disease_catalogue_sync
from medconsortium.models import ConsortiumMember
from tests.households.factories import build_registry
from tests.medconsortium.factories import (
    ConsortiumFactory,
    ExpertSessionFactory,
    ReferralFactory,
    RemoteConsultationFactory,
    ReservedCapacityFactory,
    TraineeExchangeFactory,
)

TODAY = datetime.date(2024, 5, 15)

ROLES = (
    "county_staff",
    "township_doctor",
    "village_doctor",
    "hospital_staff",
    "supervisor",
    "other_county_staff",
)
ALL = frozenset(ROLES)
COUNTY = frozenset({"county_staff", "supervisor"})
# Which ``world`` records each role sees: kind → key → roles.
VISIBLE = {
    "referrals": {
        "village": COUNTY | {"township_doctor", "village_doctor", "hospital_staff"},
        "village2": COUNTY | {"township_doctor", "hospital_staff"},
        "other_township_village": COUNTY | {"hospital_staff"},
        "other_county_village": {"supervisor", "other_county_staff"},
        "prefecture": COUNTY,
    },
    "sessions": {
        "county_hospital": COUNTY | {"hospital_staff"},
        "township_centre": COUNTY | {"township_doctor", "hospital_staff"},
        "other_township_centre": COUNTY,
        "other_county_hospital": {"supervisor", "other_county_staff"},
    },
    "consortia": {
        "county": COUNTY | {"township_doctor", "hospital_staff"},
        "prefecture": COUNTY | {"hospital_staff", "other_county_staff"},
        "other": {"supervisor", "other_county_staff"},
    },
    "capacity": {
        "county_hospital": COUNTY | {"hospital_staff"},
        "prefecture_hospital": {"supervisor"},
        "other_county_hospital": {"supervisor", "other_county_staff"},
    },
    "exchanges": {
        "township_centre": COUNTY | {"township_doctor", "hospital_staff"},
        "other_township_centre": COUNTY,
        "other_county_hospital": {"supervisor", "other_county_staff"},
    },
    "consultations": {
        "township_centre": COUNTY | {"township_doctor", "hospital_staff"},
        "other_township_centre": COUNTY,
        "other_county_hospital": {"supervisor", "other_county_staff"},
    },
}
MONDAY = datetime.date(2024, 5, 20)  # the next week's Monday


@pytest.fixture
def registry(tree, db):
    disease_catalogue_sync()
    return build_registry(tree)


@pytest.fixture
def world(tree, institutions, registry, users):
    """One record of each kind per place, keyed like the registry's villages.

    Referrals: each 元谋县 village's household head referred up from their township centre
    to the county hospital; 大庄村's from 双柏县人民医院 to 楚雄州人民医院. One more, of
    小雷宰村's spouse, goes from 黄瓜园镇 to 楚雄州人民医院 and does not involve the county
    hospital.
    """
    i = institutions
    county = ConsortiumFactory(name="元谋县医共体", kind="community", lead=i.county_hospital)
    ConsortiumMember.objects.create(
        consortium=county, institution=i.township_centre, items=["training"]
    )
    ConsortiumMember.objects.create(
        consortium=county, institution=i.other_township_centre, items=["remote_ecg"]
    )
    # Led from the prefecture, with members in both counties: visible in each.
    prefecture = ConsortiumFactory(name="楚雄州医联体", lead=i.prefecture_hospital)
    ConsortiumMember.objects.create(consortium=prefecture, institution=i.county_hospital)
    ConsortiumMember.objects.create(consortium=prefecture, institution=i.other_county_hospital)
    other = ConsortiumFactory(name="双柏县医共体", kind="community", lead=i.other_county_hospital)

    sessions = {
        "county_hospital": ExpertSessionFactory(
            host=i.county_hospital, visiting=i.prefecture_hospital, consortium=prefecture
        ),
        "township_centre": ExpertSessionFactory(
            host=i.township_centre, visiting=i.county_hospital, consortium=county
        ),
        "other_township_centre": ExpertSessionFactory(
            host=i.other_township_centre, visiting=i.prefecture_hospital
        ),
        "other_county_hospital": ExpertSessionFactory(
            host=i.other_county_hospital, visiting=i.prefecture_hospital, consortium=prefecture
        ),
    }
    capacity = {
        key: ReservedCapacityFactory(institution=getattr(i, key))
        for key in ("county_hospital", "prefecture_hospital", "other_county_hospital")
    }
    exchanges = {
        "township_centre": TraineeExchangeFactory(
            from_institution=i.township_centre, to_institution=i.county_hospital
        ),
        "other_township_centre": TraineeExchangeFactory(
            from_institution=i.other_township_centre, to_institution=i.prefecture_hospital
        ),
        "other_county_hospital": TraineeExchangeFactory(
            from_institution=i.other_county_hospital, to_institution=i.prefecture_hospital
        ),
    }
    consultations = {
        "township_centre": RemoteConsultationFactory(
            requesting=i.township_centre, reading=i.county_hospital
        ),
        "other_township_centre": RemoteConsultationFactory(
            requesting=i.other_township_centre, reading=i.prefecture_hospital
        ),
        "other_county_hospital": RemoteConsultationFactory(
            requesting=i.other_county_hospital, reading=i.prefecture_hospital
        ),
    }
    senders = {
        "village": i.township_centre,
        "village2": i.township_centre,
        "other_township_village": i.other_township_centre,
        "other_county_village": i.other_county_hospital,
    }
    receivers = {"other_county_village": i.prefecture_hospital}
    referrals = {
        key: ReferralFactory(
            member=registry.heads[key],
            from_institution=senders[key],
            to_institution=receivers.get(key, i.county_hospital),
        )
        for key in senders
    }
    referrals["prefecture"] = ReferralFactory(
        member=registry.spouses["other_township_village"],
        from_institution=i.other_township_centre,
        to_institution=i.prefecture_hospital,
    )
    return SimpleNamespace(
        consortia={"county": county, "prefecture": prefecture, "other": other},
        sessions=sessions,
        capacity=capacity,
        exchanges=exchanges,
        consultations=consultations,
        referrals=referrals,
    )
