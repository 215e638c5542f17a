"""Refused reveals are on the audit trail too: who tried, which record, when."""

import pytest
from django.urls import reverse

from healthaid.choices import AuditAction
from healthaid.models import AuditLog
from tests.households.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tree, institutions, involve):
    member = MemberFactory(household=HouseholdFactory(village=tree.village))
    # In hospital staff's sight (a record of their institution), so the refusal is the role's.
    involve(institutions.county_hospital, member)
    return member


def _refusals():
    return list(AuditLog.objects.filter(action=AuditAction.REVEAL_REFUSED))


@pytest.mark.parametrize("role", ["supervisor", "hospital_staff"])
@pytest.mark.parametrize("via", ["api", "page"])
def test_role_that_may_not_reveal_is_recorded(role, via, users, member, api_as, client_as):
    user = getattr(users, role)
    if via == "api":
        response = api_as(user).post(reverse("member-reveal-id", args=[member.pk]))
    else:
        response = client_as(user).post(reverse("households:member-reveal", args=[member.pk]))
    assert response.status_code == 403
    [row] = _refusals()
    assert row.actor == user
    assert row.target_type == "households.member"
    assert row.target_id == str(member.pk)
    assert row.region_code == member.household.village_id
    assert row.at is not None
    assert not AuditLog.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.parametrize("via", ["api", "page"])
def test_record_outside_the_scope_is_recorded_without_naming_it(
    via, users, member, api_as, client_as, tree
):
    user = users.other_county_staff
    if via == "api":
        response = api_as(user).post(reverse("member-reveal-id", args=[member.pk]))
    else:
        response = client_as(user).post(reverse("households:member-reveal", args=[member.pk]))
    assert response.status_code == 404
    [row] = _refusals()
    assert row.actor == user
    assert row.target_id == str(member.pk)
    assert row.target_repr == ""
    assert member.name not in row.message
    # Filed under the user's own county: their bureau sees what they tried.
    assert row.region_code == tree.other_county.code
    assert AuditLog.objects.visible_to(user).filter(pk=row.pk).exists()
    assert not AuditLog.objects.visible_to(users.county_staff).filter(pk=row.pk).exists()


def test_allowed_reveal_records_no_refusal(users, member, api_as):
    response = api_as(users.county_staff).post(reverse("member-reveal-id", args=[member.pk]))
    assert response.status_code == 200
    assert _refusals() == []


def test_page_and_api_reveals_share_one_throttle(users, member, api_as, client_as, settings):
    from django.core.cache import cache

    cache.clear()
    from rest_framework.settings import api_settings

    limit = int(api_settings.DEFAULT_THROTTLE_RATES["reveal"].split("/")[0])
    user = users.county_staff
    page = client_as(user)
    for n in range(limit):
        if n % 2:
            response = page.post(reverse("households:member-reveal", args=[member.pk]))
        else:
            response = api_as(user).post(reverse("member-reveal-id", args=[member.pk]))
        assert response.status_code == 200
    blocked = page.post(reverse("households:member-reveal", args=[member.pk]))
    assert blocked.status_code == 429
    assert "次数过多" in blocked.content.decode()
    assert api_as(user).post(reverse("member-reveal-id", args=[member.pk])).status_code == 429
    assert AuditLog.objects.filter(action=AuditAction.REVEAL).count() == limit
