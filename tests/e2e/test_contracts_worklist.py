"""A village doctor's morning, on a 360×740 phone: open the worklist, record a follow-up with
a high blood pressure, see it marked not controlled (未控制) and the quarter's window done."""

import datetime as dt

import pytest

from contracts.models import FollowUp

pytestmark = pytest.mark.e2e


def test_village_doctor_records_a_high_blood_pressure(contracted_patient, users, phone_page, login):
    page, patient = phone_page, contracted_patient
    login(page, "village")
    page.goto("/contracts/worklist/")
    entry = page.locator(f"[data-testid=worklist-entry][data-member='{patient.pk}']")
    entry.wait_for()
    assert "李桂英" in entry.inner_text()
    assert entry.locator("a[href='tel:13987811111']").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    entry.locator("[data-testid=record-follow-up]").click()
    page.wait_for_selector("[data-testid=follow-up-form]")
    assert page.input_value("#id_visited_on") == dt.date.today().isoformat()
    assert page.is_checked("input[name=place][value=home]")
    page.fill("#id_systolic", "160")
    page.fill("#id_diastolic", "100")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("[data-testid=save-follow-up]")

    page.wait_for_selector("[data-testid=member-title]")
    follow_up = FollowUp.objects.get(member=patient)
    saved = page.locator(f"[data-testid=follow-up][data-id='{follow_up.pk}']")
    assert saved.locator("[data-testid=control-status]").inner_text() == "未控制"
    today = dt.date.today()
    quarter = f"{today.year}年第{(today.month - 1) // 3 + 1}季度"
    window = page.locator("[data-testid=window]", has_text=quarter)
    assert window.get_attribute("data-status") == "done"
    assert "已完成" in window.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto("/contracts/worklist/")
    page.wait_for_selector("[data-testid=worklist-title]")
    assert page.locator(f"[data-testid=worklist-entry][data-member='{patient.pk}']").count() == 0
