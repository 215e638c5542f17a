"""A township doctor, on a phone, refers a member up to the county hospital with a reserved
expert appointment; the hospital's staff, at a desk, find it in their worklist and accept
it; the doctor sees it accepted."""

import datetime as dt

import pytest
from django.utils import timezone

from households.services import disease_catalogue_sync
from medconsortium.models import Referral
from medconsortium.services import week_of
from tests.households.factories import HouseholdFactory, MemberFactory
from tests.medconsortium.factories import ReservedCapacityFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def patient(tree, institutions, users):
    disease_catalogue_sync()
    ReservedCapacityFactory(
        institution=institutions.county_hospital,
        week_start=week_of(timezone.localdate()) + dt.timedelta(days=7),
        reserved_slots=2,
    )
    return MemberFactory(household=HouseholdFactory(village=tree.village), name="普秀兰")


def test_township_doctor_refers_up_and_the_hospital_accepts(
    patient, institutions, users, phone_page, live_page, login
):
    appointment = week_of(timezone.localdate()) + dt.timedelta(days=8)
    page = phone_page
    login(page, "township")
    page.goto("/consortium/referrals/mine/")
    page.fill("#q", "普秀兰")
    page.click("[data-testid=member-search] button[type=submit]")
    page.click("[data-testid=member-result]")
    page.wait_for_selector("[data-testid=referral-form]")
    page.select_option("#id_to_institution", str(institutions.county_hospital.pk))
    page.fill("#id_reason", "高血压控制不佳，需心内科评估")
    page.select_option("#id_reserved", "slot")
    page.fill("#id_appointment_date", appointment.isoformat())
    page.click("[data-testid=referral-form] button[type=submit]")
    page.wait_for_selector("[data-testid=referral-status]")
    assert page.inner_text("[data-testid=referral-status]") == "已申请"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    referral = Referral.objects.get(member=patient)
    assert (referral.reserved, referral.capacity.slots_used) == ("slot", 1)

    desk = live_page
    login(desk, "hospital")
    desk.goto("/consortium/referrals/hospital/")
    incoming = desk.locator("[data-testid=queue-incoming] [data-testid=referral-row]")
    assert incoming.count() == 1 and "普秀兰" in incoming.first.inner_text()
    incoming.first.click()
    desk.click("[data-testid=command-accept]")
    desk.wait_for_selector(".alert-success")
    assert desk.inner_text("[data-testid=referral-status]") == "已接收"

    page.goto("/consortium/referrals/mine/")
    row = page.locator("[data-testid=queue-mine] [data-testid=referral-row]")
    assert "已接收" in row.first.inner_text()
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.accepted_on == timezone.localdate()
