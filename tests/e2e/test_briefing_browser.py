"""Browser journey of a briefing: county staff write one, watch its progress bar, publish it
and download the file."""

from __future__ import annotations

import openpyxl
import pytest

from healthaid.choices import JobStatus
from healthaid.models import Job
from reports.briefings.services import JOB_KIND
from reports.tasks import briefing_task

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _work_the_queue() -> None:
    """What the worker does with the queued job (run here, in the test's thread)."""
    job = Job.objects.filter(kind=JOB_KIND, status=JobStatus.PENDING).order_by("-pk").first()
    briefing_task(job.pk)


def test_county_staff_write_publish_and_download(users, tree, live_page, login, tmp_path):
    page = live_page
    login(page, "county")
    page.goto("/briefings/")
    page.select_option("#id_publisher", tree.county.code)
    page.fill("#id_start", "2019-01-01")
    page.fill("#id_end", "2019-06-30")
    page.click("[data-testid=briefing-generate]")

    # the progress bar, its width set by the script file (no inline style under the CSP)
    page.wait_for_selector("[data-testid=job-progress]")
    bar = page.locator("[data-testid=job-progress] [data-progress]")
    bar.wait_for(state="attached")
    assert bar.get_attribute("data-progress") == "0"
    assert (
        page.evaluate(
            "document.querySelector('[data-testid=job-progress] [data-progress]').style.width"
        )
        == "0%"
    )
    _work_the_queue()
    # htmx polls the bar; once the job is done the page reloads with the files
    page.wait_for_selector("[data-testid=briefing-download-xlsx]")
    assert "未编号" in page.inner_text("[data-testid=briefing-title]")

    page.click("[data-testid=briefing-publish]")
    page.wait_for_selector("[data-testid=job-progress]")
    _work_the_queue()
    page.wait_for_selector("[data-testid=briefing-download-xlsx]")
    assert "第一期" in page.inner_text("[data-testid=briefing-title]")

    with page.expect_download() as download_info:
        page.click("[data-testid=briefing-download-xlsx]")
    download = download_info.value
    assert download.suggested_filename == "元谋县卫生健康工作简报第一期.xlsx"
    saved = tmp_path / "briefing.xlsx"
    download.save_as(saved)
    cover = openpyxl.load_workbook(saved)["封面"]
    assert "第一期" in [c.value for row in cover.iter_rows() for c in row]
    page.goto("/briefings/")
    history = page.inner_text("[data-testid=briefing-history]")
    assert "xlsx" in history
