"""The client address of the audit trail: X-Forwarded-For only as far as our proxies vouch."""

import pytest
from django.test import RequestFactory

from healthaid.middleware import client_ip


def request(forwarded=None, remote="10.0.0.5"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_header_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("6.6.6.6")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # One proxy (nginx) appends the address it saw: the last hop; what the client wrote
        # before it (6.6.6.6) is not believed.
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, "203.0.113.9", "203.0.113.9"),
        # Two proxies: a load balancer, then nginx.
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        # Fewer hops than proxies: the request did not come through them all.
        (2, "203.0.113.9", "10.0.0.5"),
        # Not an address at all.
        (1, "not-an-ip", "10.0.0.5"),
        (1, None, "10.0.0.5"),
    ],
)
def test_nth_hop_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(forwarded)) == expected


@pytest.mark.django_db
def test_audit_row_does_not_record_a_forged_header(users, tree, client_as, settings):
    from healthaid.models import AuditLog
    from tests.households.factories import MemberFactory

    settings.TRUSTED_PROXY_COUNT = 0
    member = MemberFactory(household__village=tree.village)
    client = client_as(users.county_staff)
    response = client.post(
        f"/api/v1/members/{member.pk}/reveal-id/",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 200
    assert AuditLog.objects.get(action="reveal").ip == "192.0.2.10"
