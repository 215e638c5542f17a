"""Browser journey of the roster import: errors, the error file, skip-invalid, the list."""

from __future__ import annotations

import openpyxl
import pytest

from healthaid.choices import JobStatus
from healthaid.models import Job
from households.models import Household, Member
from households.services import disease_catalogue_sync
from tests.households.test_households_import_fixtures import (
    EXPECTED_ERRORS,
    H1,
    H2,
    H3,
    H4,
    HEADER,
    messy_xlsx,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _eager_tasks(settings, tmp_path):
    # The live server runs the Celery tasks inline, in its own thread.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    disease_catalogue_sync()  # live-server tests flush the tables afterwards


def _upload(page, path, *, skip_invalid: bool) -> None:
    page.goto("/households/import/")
    page.set_input_files("input[type=file][name=file]", str(path))
    if skip_invalid:
        page.check("input[name=skip_invalid]")
    page.click("[data-testid=upload-submit]")


def test_county_staff_imports_a_roster_with_errors(users, live_page, login, tmp_path):
    roster = tmp_path / "元谋县花名册.xlsx"
    roster.write_bytes(messy_xlsx())
    page = live_page
    login(page, "county")

    # 1. Upload with errors: the check shows every error, at the row Excel shows.
    _upload(page, roster, skip_invalid=False)
    page.wait_for_selector("[data-testid=error-table]")
    shown = page.locator("[data-testid=error-table] [data-row]")
    assert shown.count() == len(EXPECTED_ERRORS)
    rows = [int(shown.nth(i).get_attribute("data-row")) for i in range(shown.count())]
    assert rows == [row for row, _column, _code in EXPECTED_ERRORS]
    table = page.inner_text("[data-testid=error-table]")
    assert "元某县" in table and "证件号码" in table
    assert page.locator("[data-testid=confirm-form]").count() == 0
    assert Member.objects.count() == 0

    # 2. The error file: the original rows with the original header, plus an error column.
    with page.expect_download() as download_info:
        page.click("[data-testid=error-file]")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "errors.xlsx"
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    cells = list(sheet.iter_rows(values_only=True))
    header, body = cells[0], cells[1:]
    assert header[:16] == tuple(HEADER)  # as the uploaded file had it
    assert header[16]  # the error column's title
    assert len(body) == len(EXPECTED_ERRORS) + 1  # row 22 goes with its household's row 23
    assert all(row[16] for row in body)
    by_name = {row[4]: row for row in body}
    assert "县" in by_name["褚四"][16] and "元某县" in by_name["褚四"][16]
    assert by_name["杨九"][10] == "富裕户"

    # 3. Upload again with skip-invalid, confirm, and find the households in the list.
    _upload(page, roster, skip_invalid=True)
    page.wait_for_selector("[data-testid=confirm-import]")
    page.click("[data-testid=confirm-import]")
    page.wait_for_selector("[data-testid=job-outcome]")
    assert page.locator("[data-testid=job-status]").inner_text()
    job = Job.objects.get(params__dry_run=False)
    assert job.status == JobStatus.SUCCEEDED and job.result["members"]["created"] == 7
    assert Member.objects.count() == 7
    assert set(Household.objects.values_list("number", flat=True)) == {H1, H2, H3, H4}

    page.goto("/households/")
    listing = page.inner_text("main")
    for number in (H1, H2, H3, H4):
        assert number in listing
    assert "5323281012010006" not in listing  # a household with errors only was skipped
