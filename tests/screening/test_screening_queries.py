"""Query counts pinned at two data sizes: lists, pages and figures run a fixed number of
queries however many rows they show."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from screening import services
from screening.models import Prescription
from tests.screening.factories import (
    ContactFactory,
    FreeClinicFactory,
    HouseholdFactory,
    MemberFactory,
    make_campaign,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def build(tree, users, size: int):
    campaign = make_campaign(tree.county, start=TODAY - dt.timedelta(days=30))
    services.work_team_save(
        campaign=campaign,
        name="县医院工作队",
        unit_name="元谋县人民医院",
        villages=[tree.village, tree.village2],
        by=users.county_staff,
    )
    services.work_team_save(
        campaign=campaign,
        name="黄瓜园工作队",
        unit_name="黄瓜园镇卫生院",
        villages=[tree.other_township_village],
        by=users.county_staff,
    )
    rx = Prescription.objects.get(disease__code="hypertension")
    villages = [tree.village, tree.village2, tree.other_township_village]
    for i in range(size):
        household = HouseholdFactory(village=villages[i % 3], illness_caused=True)
        ContactFactory(household=household)
        for _ in range(2):
            member = MemberFactory(household=household)
            services.screening_record(
                member=member,
                screened_on=TODAY - dt.timedelta(days=3),
                systolic=150,
                diastolic=95,
                fasting_glucose=Decimal("7.5"),
                by=users.village_doctor,
            )
            services.check_up_record(member=member, checked_on=TODAY, by=users.village_doctor)
            services.prescription_issue(member=member, prescription=rx, by=users.village_doctor)
        services.household_item_mark(
            campaign=campaign,
            household=household,
            item=campaign.items.get(order=1),
            by=users.village_doctor,
        )
        FreeClinicFactory(village=villages[i % 3], held_on=TODAY)
    return campaign


# Measured once; a change here is a change of the code's queries, to be explained. Pages
# read the session from the cache and do not write it on every request (healthaid.sessions). The
# campaign figures read the targeted households by village and the derived item states by
# (village, mask), one statement each; a page of households reads its marks, its states (with
# their evidence links) and its heads.
PINNED = {
    "screening-list": 4,
    "checkup-list": 2,
    "issuedprescription-list": 2,
    "freeclinic-list": 2,
    "campaign-list": 7,
    "campaign-households": 12,
    "indicators-screening": 4,
    "indicators-five-ones": 8,
    "indicators-free-clinics": 1,
    "screening:screening-list": 5,
    "screening:suspected": 5,
    "screening:not-checked": 3,
    "screening:checkup-coverage": 5,
    "screening:campaign-detail": 10,
    "screening:campaign-households": 13,
    "screening:freeclinic-list": 5,
    "screening:freeclinic-totals": 6,
    "screening:prescription-list": 3,
}

ENDPOINTS = [
    # (client, url name, path argument, query parameters) for the county staff
    ("api", "screening-list", None, {}),
    ("api", "checkup-list", None, {}),
    ("api", "issuedprescription-list", None, {}),
    ("api", "freeclinic-list", None, {}),
    ("api", "campaign-list", None, {}),
    ("api", "campaign-households", "campaign", {}),
    ("api", "indicators-screening", None, {}),
    ("api", "indicators-five-ones", None, {"campaign": "campaign"}),
    ("api", "indicators-free-clinics", None, {}),
    ("page", "screening:screening-list", None, {}),
    ("page", "screening:suspected", None, {}),
    ("page", "screening:not-checked", None, {}),
    ("page", "screening:checkup-coverage", None, {}),
    ("page", "screening:campaign-detail", "campaign", {}),
    ("page", "screening:campaign-households", "campaign", {"village": "village"}),
    ("page", "screening:freeclinic-list", None, {}),
    ("page", "screening:freeclinic-totals", None, {}),
    ("page", "screening:prescription-list", None, {}),
]


def _count(client, kind, name, arg, params, campaign, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    args = [campaign.pk] if arg == "campaign" else None
    values = {
        k: (campaign.pk if v == "campaign" else tree.village.code if v == "village" else v)
        for k, v in params.items()
    }
    url = reverse(name, args=args)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, values)
    assert response.status_code == 200, (name, response.status_code)
    return len(queries)


@pytest.mark.parametrize("size", [2, 8])
def test_query_counts(tree, users, team, catalogue, client_as, api_as, size):
    campaign = build(tree, users, size)
    counts = {}
    for kind, name, arg, params in ENDPOINTS:
        client = api_as(users.county_staff) if kind == "api" else client_as(users.county_staff)
        counts[name] = _count(client, kind, name, arg, params, campaign, tree)
    assert counts == PINNED
