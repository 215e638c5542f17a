"""Sessions expire after idling, without a session write on every request."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthaid.sessions import REFRESHED_AT

pytestmark = pytest.mark.django_db


def session_writes(queries) -> list[str]:
    table = Session._meta.db_table
    return [
        q["sql"]
        for q in queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_a_page_view_writes_no_session_row(client, users):
    client.force_login(users.county_staff)
    client.get(reverse("home"))  # the first request moves the expiry on once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert session_writes(queries.captured_queries) == []


def test_the_expiry_moves_on_once_the_refresh_interval_has_passed(client, users, settings):
    client.force_login(users.county_staff)
    client.get(reverse("home"))
    session = client.session
    before = Session.objects.get(session_key=session.session_key).expire_date
    # As if the last move were longer ago than the interval.
    session[REFRESHED_AT] = session[REFRESHED_AT] - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    assert len(session_writes(queries.captured_queries)) == 1
    assert Session.objects.get(session_key=session.session_key).expire_date >= before


def test_an_anonymous_visit_creates_no_session(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("login"))
    assert response.status_code == 200
    assert session_writes(queries.captured_queries) == []
