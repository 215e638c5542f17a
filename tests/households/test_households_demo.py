"""Demo registry: plausible, valid, deterministic and idempotent."""

import statistics
from collections import Counter

import pytest

from healthaid import demo as core_demo
from healthaid.idnumbers import decrypt_id_number, parse_id_number
from households import demo
from households.models import Household, HouseholdContact, Member, MemberDisease, SpecialCard

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        Member.objects.order_by("household__number", "id").values_list(
            "household__number", "name", "sex", "birth_date", "relation", "id_number_masked"
        )
    )


def wipe():
    MemberDisease.objects.all().delete()
    SpecialCard.objects.all().delete()
    Member.objects.all().delete()
    HouseholdContact.objects.all().delete()
    Household.objects.all().delete()


def test_small_scale_registry(catalogue):
    context = core_demo.seed("small")
    summary = demo.seed("small", context)
    assert "300 households" in summary
    households = list(Household.objects.all())
    assert len(households) == 300
    # All in 元谋县's first villages.
    assert {h.village_id[:6] for h in households} == {"532328"}
    assert len({h.village_id for h in households}) == demo.SMALL_VILLAGES

    sizes = Counter(Member.objects.values_list("household_id", flat=True))
    assert set(sizes.values()) <= set(range(1, 8))
    assert 3.0 <= statistics.mean(sizes.values()) <= 3.6
    assert len(sizes) == 300  # nobody's household is empty

    members = list(Member.objects.all())
    for member in members:
        info = parse_id_number(decrypt_id_number(member.id_number_cipher))
        assert info.region_code == "532328"
        assert (info.sex, info.birth_date) == (member.sex, member.birth_date)
        assert member.id_number_masked.startswith("532328********")
    ethnicities = Counter(m.ethnicity for m in members)
    assert {"汉族", "彝族"} <= set(ethnicities)
    assert ethnicities["汉族"] > ethnicities["彝族"] > 0.15 * len(members)

    statuses = Counter(h.status for h in households)
    assert statuses["lifted"] > 0.8 * len(households)
    assert statuses["monitored"] > 0
    assert {h.lifted_year for h in households if h.status == "lifted"} <= set(range(2016, 2021))
    illness = sum(h.poverty_cause == "illness" for h in households)
    assert 0.3 * len(households) < illness < 0.5 * len(households)

    adults = [m for m in members if m.age >= 18]
    hypertensive = set(
        MemberDisease.objects.filter(disease__code="hypertension").values_list(
            "member_id", flat=True
        )
    )
    share = sum(m.pk in hypertensive for m in adults) / len(adults)
    assert 0.18 < share < 0.32
    assert SpecialCard.objects.exists()
    assert HouseholdContact.objects.filter(kind="village_doctor").count() == 300


def test_seed_is_idempotent_and_deterministic(catalogue):
    context = core_demo.seed("small")
    demo.seed("small", context)
    first = snapshot()
    assert demo.seed("small", context) == "registry already seeded; nothing added"
    assert snapshot() == first
    wipe()
    demo.seed("small", context)
    assert snapshot() == first
