"""Every row that is not imported is named in the result with its reason (issue 9).

Before, a household refused for an error in one of its rows was skipped whole and its other
members vanished from the report: on the messy fixture 16 rows were left out and 15 named
(row 22 went silently with its household).
"""

from __future__ import annotations

import pytest
from django.utils import translation

from households.importing.service import ImportResult, roster_import
from tests.households.test_households_import_fixtures import messy_xlsx


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _left_out(result) -> set[int]:
    return {row for row, outcome in result.row_outcomes.items() if outcome == "skipped"}


@pytest.mark.parametrize("dry_run", [True, False])
def test_every_row_left_out_is_named_with_its_reason(users, dry_run):
    result = roster_import(
        source=messy_xlsx(),
        filename="花名册.xlsx",
        by=users.county_staff,
        skip_invalid=True,
        dry_run=dry_run,
    )
    named = {e.row for e in result.errors} | {n.row for n in result.not_imported}
    assert result.members.skipped == 16
    assert named == _left_out(result)
    assert len(named) == 16 == result.rows_not_imported
    (note,) = result.not_imported
    assert note.row == 22 and note.column == "户编号" and note.code == "household_refused"
    assert "row 23 of the same household" in note.message
    assert "1 more row not imported with its household." in result.summary_lines()


def test_the_named_rows_survive_the_job_row(users):
    result = roster_import(
        source=messy_xlsx(), filename="花名册.xlsx", by=users.county_staff, skip_invalid=True
    )
    stored = ImportResult.from_dict(result.as_dict())
    assert [n.as_dict() for n in stored.not_imported] == [n.as_dict() for n in result.not_imported]
    assert stored.as_dict()["not_imported"][0]["row"] == 22


def test_the_job_page_names_them(client_as, users, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.urls import reverse

    from healthaid.choices import JobStatus
    from healthaid.models import Job
    from households.tasks import ROSTER_IMPORT_KIND

    settings.MEDIA_ROOT = tmp_path
    result = roster_import(
        source=messy_xlsx(), filename="花名册.xlsx", by=users.county_staff, skip_invalid=True
    )
    job = Job(
        kind=ROSTER_IMPORT_KIND,
        created_by=users.county_staff,
        region_code=users.county_staff.profile.region.code,
        status=JobStatus.SUCCEEDED,
        result=result.as_dict(),
        params={"dry_run": False, "skip_invalid": True},
    )
    job.input_file.save("a.xlsx", ContentFile(b"x"), save=False)
    job.save()
    client = client_as(users.county_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("households:import-job", kwargs={"uuid": job.uuid})).content
    text = page.decode()
    assert 'data-testid="not-imported"' in text
    assert "1 more row not imported with its household" in text
    assert "row 23 of the same household" in text
