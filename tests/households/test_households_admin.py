"""The operators' admin: read-only records, roster import and masked export through the Resources."""

import pytest

from households.models import Member
from tests.healthaid.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    admin = UserFactory(username="operator", is_superuser=True, is_staff=True)
    client.force_login(admin)
    return client


def test_member_admin_offers_import_and_export(operator):
    assert operator.get("/admin/households/member/").status_code == 200
    assert operator.get("/admin/households/member/import/").status_code == 200
    assert operator.get("/admin/households/household/import/").status_code == 200
    assert operator.get("/admin/households/member/export/").status_code == 200


def test_admin_cannot_edit_records(operator):
    assert operator.get("/admin/households/member/add/").status_code == 403
    assert Member.objects.count() == 0
