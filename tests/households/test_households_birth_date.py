"""The mask hides the birth date's 8 digits: nothing shown without a reveal may give them back.

``532328********4576`` beside a birth date of 1957-08-23 is the full number. Every role sees the
age instead; the birth date comes with the audited reveal (roles that may reveal).
"""

import datetime

import pytest
from django.urls import reverse

from healthaid.choices import AuditAction
from healthaid.idnumbers import make_id_number
from healthaid.models import AuditLog
from households import services
from tests.households.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1957, 8, 23)
SPELLINGS = ("1957-08-23", "19570823", "1957年8月23日", "1957/08/23", "Aug. 23, 1957", "23 Aug")
ROLES = ["county_staff", "township_doctor", "village_doctor", "hospital_staff", "supervisor"]


@pytest.fixture
def member(tree, institutions, involve):
    member = MemberFactory(
        household=HouseholdFactory(village=tree.village),
        id_number=make_id_number("532328", BORN, 457),
    )
    # Hospital staff see a person only through their institution's records.
    involve(institutions.county_hospital, member)
    return member


def _clean(text: str) -> None:
    for spelling in SPELLINGS:
        assert spelling not in text, spelling


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_api_show_the_age_not_the_birth_date(role, users, member, client_as):
    client = client_as(getattr(users, role))
    pages = [
        reverse("households:member-detail", args=[member.pk]),
        reverse("households:household-detail", args=[member.household_id]),
        reverse("households:member-list"),
        reverse("households:household-list"),
        reverse("member-detail", args=[member.pk]),
        reverse("member-list"),
        reverse("household-detail", args=[member.household_id]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _clean(response.content.decode())
    body = client.get(reverse("member-detail", args=[member.pk])).json()
    assert "birth_date" not in body
    assert body["age"] == member.age
    page = client.get(reverse("households:member-detail", args=[member.pk])).content.decode()
    assert f"{member.age}岁" in page


@pytest.mark.parametrize("role", ["county_staff", "township_doctor", "village_doctor"])
def test_the_birth_date_comes_with_the_audited_reveal(role, users, member, api_as, client_as):
    user = getattr(users, role)
    body = api_as(user).post(reverse("member-reveal-id", args=[member.pk])).json()
    assert body["birth_date"] == "1957-08-23"
    fragment = client_as(user).post(reverse("households:member-reveal", args=[member.pk]))
    assert "1957-08-23" in fragment.content.decode()
    assert AuditLog.objects.filter(action=AuditAction.REVEAL, actor=user).count() == 2


def test_audit_rows_never_hold_the_birth_date(users, member, client_as):
    new_number = make_id_number("532328", datetime.date(1961, 4, 9), 458)
    services.member_update(member=member, id_number=new_number, by=users.county_staff)
    for row in AuditLog.objects.all():
        _clean(str(row.before) + str(row.after) + row.message + row.target_repr)
        assert "1961-04-09" not in str(row.before) + str(row.after)
    for role in ROLES:
        page = client_as(getattr(users, role)).get(
            reverse("households:member-detail", args=[member.pk])
        )
        assert "1961-04-09" not in page.content.decode()
