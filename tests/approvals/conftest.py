"""Fixtures of the approval tests: the shared tree, a registry, and a helper that approves."""

import pytest

from approvals import services
from households.services import disease_catalogue_sync
from tests.households.factories import build_registry


@pytest.fixture
def registry(tree):
    disease_catalogue_sync()
    return build_registry(tree)


@pytest.fixture
def approve(users):
    """``approve(kind, year, number, by=submitter)``: submitted by ``by`` and approved by the
    county's staff."""

    def run(kind, year, number, *, by=None):
        approval = services.approval_submit(
            period_kind=kind, year=year, number=number, note="", by=by or users.township_doctor
        )
        return services.approval_approve(approval=approval, by=users.county_staff)

    return run
