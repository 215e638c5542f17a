import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from healthaid.demo import DEMO_PASSWORD
from healthaid.models import Institution, Region, UserProfile
from medconsortium.models import Encounter

pytestmark = pytest.mark.django_db


def counts():
    return Region.objects.count(), Institution.objects.count(), UserProfile.objects.count()


def test_seed_demo_is_complete_and_idempotent():
    call_command("seed_demo", "--scale", "small")
    first = counts()
    call_command("seed_demo", "--scale", "small")
    assert counts() == first

    yuanmou = Region.objects.get(code="532328000000")
    townships = set(yuanmou.children.values_list("name", flat=True))
    assert townships == {
        "元马镇",
        "黄瓜园镇",
        "羊街镇",
        "老城乡",
        "物茂乡",
        "江边乡",
        "新华乡",
        "平田乡",
        "凉山乡",
        "姜驿乡",
    }
    counties = Region.objects.filter(parent_id="532300000000", level=6)
    assert counties.count() == 10
    assert Institution.objects.filter(name="空军军医大学第二附属医院（唐都医院）").exists()
    assert (
        Institution.objects.filter(region__code__startswith="532328", kind="township").count() == 10
    )

    demo_logins = ["county", "township", "village", "hospital", "supervisor"]
    roles = dict(
        UserProfile.objects.filter(user__username__in=demo_logins).values_list(
            "user__username", "role"
        )
    )
    assert roles == {
        "county": "county_staff",
        "township": "township_doctor",
        "village": "village_doctor",
        "hospital": "hospital_staff",
        "supervisor": "supervisor",
    }
    request = RequestFactory().post("/accounts/login/")
    for username in demo_logins:
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_demo_ends_with_fresh_planner_statistics(db):
    """seed_demo refreshes the statistics of the tables the apps' demos bulk-loaded, so the
    first pages are not planned as if those tables were empty."""
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'medconsortium_encounter'")
        estimated = cursor.fetchone()[0]
    held = Encounter.objects.count()
    assert held > 0
    assert estimated == held
