"""The screening demo: free clinics of H1 2019 with seed 002's totals, a campaign with teams
and partial progress, a half year of screenings and check-ups; idempotent."""

import datetime as dt

import pytest

from reports.indicators import five_ones_indicators, free_clinic_indicators
from screening import demo
from screening.models import Campaign, CheckUp, FreeClinicTarget, Screening, WorkTeam
from tests.screening.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_demo_seeds_once(tree, users, catalogue):
    for i in range(40):
        household = HouseholdFactory(
            village=tree.village if i % 2 else tree.other_township_village,
            illness_caused=i % 3 == 0,
        )
        MemberFactory(household=household)
    context = {"villages": [tree.village, tree.village2, tree.other_township_village]}
    summary = demo.seed("small", context)
    assert "21 free clinics" in summary
    figures = free_clinic_indicators(
        users.county_staff, region=None, start=dt.date(2019, 1, 1), end=dt.date(2019, 6, 30)
    )
    assert (figures["sessions"], figures["staff_times"], figures["served"]) == (21, 158, 1685)
    assert (figures["leaflets"], figures["total_value"]) == (4908, "49812.59")
    assert FreeClinicTarget.objects.get().rounds == 2
    campaign = Campaign.objects.get()
    assert WorkTeam.objects.filter(campaign=campaign).count() == 2  # two townships in the tree
    progress = five_ones_indicators(users.county_staff, campaign=campaign)
    assert progress["households_targeted"] == 14
    assert 0 < progress["items"][0]["done"] < 14  # the handbook, partly
    assert progress["overdue"] > 0  # the implementation phase ended ten days ago
    assert Screening.objects.exists() and CheckUp.objects.exists()
    counts = (Screening.objects.count(), CheckUp.objects.count())
    assert demo.seed("small", context) == "screening already seeded; nothing added"
    assert (Screening.objects.count(), CheckUp.objects.count()) == counts
