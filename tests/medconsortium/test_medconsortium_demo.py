"""seed_demo's consortium data: the seed's figures, the named consortia, idempotence."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from medconsortium.models import Consortium, ExpertSession, Referral, ReservedCapacity
from tests.medconsortium.test_medconsortium_indicators import SEED_002

pytestmark = pytest.mark.django_db


def test_the_demo_term_gives_the_seed_figures(db):
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    from healthaid.models import Region
    from reports.indicators import consortium_summary

    supervisor = get_user_model().objects.get(username="supervisor")
    summary = consortium_summary(
        supervisor,
        region=Region.objects.get(code="532301000000"),
        start=datetime.date(2019, 1, 1),
        end=datetime.date(2019, 6, 30),
    )
    assert {key: getattr(summary, key) for key in SEED_002} == SEED_002
    assert summary.remote_consultations["ecg"] > 0
    # Running the demo again adds nothing.
    before = summary.as_json()
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    again = consortium_summary(
        supervisor,
        region=Region.objects.get(code="532301000000"),
        start=datetime.date(2019, 1, 1),
        end=datetime.date(2019, 6, 30),
    )
    assert again.as_json() == before
    assert set(Consortium.objects.values_list("name", flat=True)) >= {
        "军民融合医疗联合体",
        "楚雄市人民医院医共体",
        "楚雄市中医医院医共体",
        "昆医附一院医联体",
        "省第二人民医院胡竹林教授团队帮扶",
        "昆医附二院李炯明教授团队帮扶",
    }
    people = Consortium.objects.get(name="楚雄市人民医院医共体")
    tcm = Consortium.objects.get(name="楚雄市中医医院医共体")
    assert (people.memberships.count(), tcm.memberships.count()) == (10, 5)
    counts = (
        ExpertSession.objects.count(),
        Referral.objects.count(),
        ReservedCapacity.objects.count(),
    )
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    assert (
        ExpertSession.objects.count(),
        Referral.objects.count(),
        ReservedCapacity.objects.count(),
    ) == counts
    # Referrals through the services: reserved places taken match the referrals holding them.
    for capacity in ReservedCapacity.objects.filter(slots_used__gt=0):
        assert (
            capacity.slots_used
            == capacity.referrals.filter(
                reserved="slot", status__in=["requested", "accepted", "admitted", "seen"]
            ).count()
        )
    assert Referral.objects.filter(direction="down", status="accepted").exists()
