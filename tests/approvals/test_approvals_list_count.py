"""The approval list's count is cached per scope and filters, and follows every submission
and decision (``approvals.selectors.approval_list_count``)."""

import pytest
from django.urls import reverse

from approvals import services

pytestmark = pytest.mark.django_db


def _count(client, **params) -> int:
    response = client.get(reverse("approvals:list"), params)
    assert response.status_code == 200
    return response.context["paginator"].count


def test_the_count_follows_submissions_and_decisions(users, client_as):
    client = client_as(users.county_staff)
    assert _count(client) == 0
    assert _count(client) == 0  # from the cache
    approval = services.approval_submit(
        period_kind="month", year=2019, number=3, by=users.township_doctor
    )
    assert _count(client) == 1
    assert _count(client, status="submitted") == 1
    assert _count(client, status="approved") == 0
    services.approval_approve(approval=approval, by=users.county_staff)
    assert _count(client, status="submitted") == 0
    assert _count(client, status="approved") == 1
    services.approval_submit(period_kind="month", year=2019, number=3, by=users.hospital_staff)
    assert _count(client) == 2


def test_each_scope_has_its_own_count(users, client_as):
    services.approval_submit(period_kind="month", year=2019, number=3, by=users.township_doctor)
    assert _count(client_as(users.county_staff)) == 1
    assert _count(client_as(users.other_county_staff)) == 0
    assert _count(client_as(users.hospital_staff)) == 0  # its own institution's only
    services.approval_submit(period_kind="month", year=2019, number=3, by=users.hospital_staff)
    assert _count(client_as(users.hospital_staff)) == 1
    assert _count(client_as(users.other_county_staff)) == 0
