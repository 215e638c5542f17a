"""Deleting a person who has contracts is refused with a message, not a server error."""

import pytest

from healthaid.choices import AuditAction
from healthaid.models import AuditLog
from households.models import Member
from tests.contracts.conftest import TODAY
from tests.contracts.factories import ContractFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracted(tree, team, users):
    member = MemberFactory(household=HouseholdFactory(village=tree.village), name="李四")
    ContractFactory(member=member, team=team, doctor=users.village_doctor, signed_on=TODAY)
    return member


def _nothing_lost(member):
    assert Member.objects.filter(pk=member.pk).exists()
    assert member.contracts.count() == 1
    assert not AuditLog.objects.filter(action=AuditAction.DELETE, target_id=str(member.pk)).exists()


def test_api_delete_of_a_member_with_contracts_is_a_conflict(contracted, users, api_as):
    response = api_as(users.county_staff).delete(f"/api/v1/members/{contracted.pk}/")
    assert response.status_code == 409
    assert response.json() == {"detail": "无法删除：仍有其他记录引用它（1 × 签约）。"}
    _nothing_lost(contracted)


def test_page_delete_of_a_member_with_contracts_shows_why(contracted, users, client_as):
    client = client_as(users.county_staff)
    response = client.post(f"/households/members/{contracted.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/households/members/{contracted.pk}/"
    assert "无法删除：仍有其他记录引用它（1 × 签约）。" in response.content.decode()
    _nothing_lost(contracted)
