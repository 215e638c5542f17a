"""Every operation of the served API schema, fuzzed: no 500s, nothing the schema does not say.

The operations come from ``/api/schema/`` itself, so an endpoint added later is fuzzed with
no change here. Bounded for CI: a few derandomized examples per operation, no deadline.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contracts.conftest import TODAY
from tests.contracts.factories import ContractFactory, DoctorTeamFactory, FollowUpFactory
from tests.households.factories import build_registry

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 10
# No server errors, and every answer as the schema documents it: its status code, content
# type, headers and body. (Business refusals of well-formed data, a 400 for a member that
# does not exist, are fine: the schema says 400.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app():
    """The real WSGI application, kept from closing the test's connection after each request
    (the way Django's test client runs it)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def data(tree, users, institutions):
    from households.services import disease_catalogue_sync

    disease_catalogue_sync()
    registry = build_registry(tree)
    team = DoctorTeamFactory(
        institution=institutions.township_centre,
        leader=users.township_doctor,
        villages=[tree.village, tree.village2],
        members=[users.township_doctor],
    )
    member = registry.households["village"].members.first()
    ContractFactory(member=member, team=team, doctor=users.township_doctor, signed_on=TODAY)
    FollowUpFactory(member=member, visited_on=TODAY)
    return registry


def _fuzz(schema, **call_kwargs) -> dict[str, str]:
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(checks=CHECKS, **call_kwargs)

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # every failing operation reported, not only the first
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    return failures


def test_every_operation_with_token_auth(app, data, users):
    token = Token.objects.create(user=users.county_staff)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app, headers=headers)
    assert len(list(schema.get_all_operations())) > 20
    failures = _fuzz(schema, headers=headers)
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())


def test_every_operation_as_a_logged_in_county_user(app, data, users, client):
    client.force_login(users.county_staff)
    headers = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app, headers=headers)
    failures = _fuzz(schema, headers=headers)
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
