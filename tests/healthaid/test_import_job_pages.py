"""One set of import job pages for every kind (``/imports/<slug>/...``): the job page, its
progress, the error workbook and the list, each kind with its own roles, scope 404 outside."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from healthaid.choices import JobStatus
from healthaid.importing.jobs import import_kind
from healthaid.importing.results import RowError, RowNote, RowWarning
from healthaid.models import Job

# slug → (the user who imports, a signed-in user the kind's roles refuse: 403, or None when
# every signed-in user may open the pages and only finds their own jobs)
OWNERS = {
    "roster": ("county_staff", "township_doctor"),
    "contracts": ("township_doctor", None),
    "followups": ("township_doctor", None),
    "settlements": ("hospital_staff", "township_doctor"),
    "rectification": ("county_staff", "hospital_staff"),
}
OLD_JOB_URLS = {
    "roster": "households:import-job",
    "contracts": "contracts:import-job",
    "followups": "contracts:import-job",
    "settlements": "settlement-import:job",
    "rectification": "rectification:import-job",
}
OLD_ERROR_URLS = {
    "roster": "households:import-error-file",
    "contracts": "contracts:import-errors",
    "followups": "contracts:import-errors",
    "settlements": "settlement-import:error-file",
    "rectification": "rectification:import-errors",
}
KEEPS_NOTES = {"roster", "settlements", "rectification"}  # contracts store their errors only


@pytest.fixture(autouse=True)
def media(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def make_job(slug, user, *, status=JobStatus.SUCCEEDED, name="表.xlsx", **params) -> Job:
    spec = import_kind(slug)
    result = spec.result_type(
        filename=name,
        total_rows=5,
        header_row=2,
        applied=True,
        skip_invalid=True,
        errors=[RowError(4, "证件号码", "532328********0011", "Nobody in the registry has it.")],
        not_imported=[RowNote(5, "户编号", "H1", "Left out with row 4.", code="household")],
        warnings=[RowWarning(6, "姓名", "张三", "The registry says 张山.")],
    )
    job = Job.objects.create(
        kind=spec.kind,
        created_by=user,
        region_code=user.profile.region.code,
        status=status,
        input_name=name,
        params={"dry_run": False, "skip_invalid": True, **params},
        result=result.as_dict() if status == JobStatus.SUCCEEDED else {},
        progress=250,
        total=1000,
    )
    if status == JobStatus.SUCCEEDED:
        job.result_file.save("errors.xlsx", ContentFile(b"PK-the-error-workbook"))
    return job


@pytest.mark.parametrize("slug", sorted(OWNERS))
def test_the_job_page_of_every_kind(slug, users, client_as):
    owner = getattr(users, OWNERS[slug][0])
    job = make_job(slug, owner)
    client = client_as(owner)
    response = client.get(reverse("imports:job", args=[slug, job.uuid]))
    assert response.status_code == 200
    assert import_kind(slug).template in [t.name for t in response.templates]
    assert "importing/job.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert str(import_kind(slug).title) in html
    assert 'data-testid="job-outcome"' in html and str(import_kind(slug).applied_message) in html
    # The row not imported, named: row, column, value, reason.
    assert 'data-row="4"' in html and "证件号码" in html and "532328********0011" in html
    assert "Nobody in the registry has it." in html
    if slug in KEEPS_NOTES:
        assert 'data-testid="not-imported"' in html and "Left out with row 4." in html
        assert 'data-testid="warnings"' in html and "The registry says 张山." in html
    assert reverse("imports:errors", args=[slug, job.uuid]) in html
    assert f'href="{reverse(import_kind(slug).upload_url)}"' in html
    assert reverse("imports:list", args=[slug]) in html
    # The older name serves the same page.
    old = client.get(reverse(OLD_JOB_URLS[slug], args=[job.uuid]))
    assert old.status_code == 200 and old.context["job"] == job


def test_counts_are_the_kinds(users, client_as):
    job = make_job("settlements", users.hospital_staff)
    Job.objects.filter(pk=job.pk).update(
        result={**job.result, "created": 3, "updated": 2, "unchanged": 7}
    )
    page = client_as(users.hospital_staff).get(
        reverse("imports:job", args=["settlements", job.uuid])
    )
    assert [(str(label), value) for label, value in page.context["counts"]] == [
        ("new", 3),
        ("corrected", 2),
        ("unchanged", 7),
        ("skipped", 0),
    ]
    assert "corrected <strong>2</strong>" in page.content.decode()


@pytest.mark.parametrize("slug", sorted(OWNERS))
def test_progress_of_every_kind(slug, users, client_as):
    owner = getattr(users, OWNERS[slug][0])
    job = make_job(slug, owner, status=JobStatus.RUNNING)
    client = client_as(owner)
    page = client.get(reverse("imports:job", args=[slug, job.uuid]))
    assert b'data-testid="job-progress"' in page.content
    url = reverse("imports:progress", args=[slug, job.uuid])
    assert f'hx-get="{url}"'.encode() in page.content
    running = client.get(url)
    assert running.status_code == 200 and b'aria-valuenow="25"' in running.content
    assert b"250 of 1000 rows checked" in running.content
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    done = client.get(url)
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


@pytest.mark.parametrize("slug", sorted(OWNERS))
def test_error_file_of_every_kind(slug, users, client_as):
    owner = getattr(users, OWNERS[slug][0])
    job = make_job(slug, owner)
    client = client_as(owner)
    for url in (
        reverse("imports:errors", args=[slug, job.uuid]),
        reverse(OLD_ERROR_URLS[slug], args=[job.uuid]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"PK-the-error-workbook"
        assert "attachment" in response["Content-Disposition"]
        assert import_kind(slug).error_file_name("表.xlsx") == response.filename
    Job.objects.filter(pk=job.pk).update(result_file="")
    assert client.get(reverse("imports:errors", args=[slug, job.uuid])).status_code == 404


@pytest.mark.parametrize("slug", sorted(OWNERS))
def test_the_list_of_every_kind_is_the_users_own(slug, users, client_as):
    owner_role, _refused = OWNERS[slug]
    owner = getattr(users, owner_role)
    mine = make_job(slug, owner, name="mine.xlsx")
    other_kind = next(s for s in sorted(OWNERS) if s != slug)
    make_job(other_kind, owner, name="other-kind.xlsx")
    colleague = users.other_county_staff if owner_role == "county_staff" else users.county_staff
    make_job(slug, colleague, name="colleague.xlsx")
    response = client_as(owner).get(reverse("imports:list", args=[slug]))
    assert response.status_code == 200
    assert [job.pk for job in response.context["jobs"]] == [mine.pk]
    html = response.content.decode()
    assert "mine.xlsx" in html and "other-kind.xlsx" not in html
    assert "colleague.xlsx" not in html
    assert reverse("imports:job", args=[slug, mine.uuid]) in html


@pytest.mark.parametrize("slug", sorted(OWNERS))
def test_outside_scope_is_404(slug, users, client_as):
    owner_role, refused = OWNERS[slug]
    job = make_job(slug, getattr(users, owner_role))
    # A user the kind's roles allow, but whose job it is not.
    outsider = users.other_county_staff if owner_role == "county_staff" else users.county_staff
    if slug == "settlements":
        outsider = users.county_staff
    client = client_as(outsider)
    for name in ("imports:job", "imports:progress", "imports:errors"):
        assert client.get(reverse(name, args=[slug, job.uuid])).status_code == 404
    assert client.get(reverse(OLD_JOB_URLS[slug], args=[job.uuid])).status_code == 404
    # The job under another kind's slug is not found either, nor is a kind that does not exist.
    owner = client_as(getattr(users, owner_role))
    other_kind = "followups" if slug == "contracts" else "contracts"  # open to every role
    assert owner.get(reverse("imports:job", args=[other_kind, job.uuid])).status_code == 404
    assert owner.get(reverse("imports:job", args=["nonsense", job.uuid])).status_code == 404
    assert owner.get(reverse("imports:list", args=["nonsense"])).status_code == 404
    if refused is not None:  # the roles the kind refuses: 403, as the app's pages always did
        client = client_as(getattr(users, refused))
        assert client.get(reverse("imports:list", args=[slug])).status_code == 403
        assert client.get(reverse("imports:job", args=[slug, job.uuid])).status_code == 403


def test_anonymous_is_sent_to_login(users, client):
    job = make_job("roster", users.county_staff)
    response = client.get(reverse("imports:job", args=["roster", job.uuid]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_contracts_page_serves_both_its_kinds(users, client_as):
    client = client_as(users.township_doctor)
    for slug in ("contracts", "followups"):
        job = make_job(slug, users.township_doctor)
        page = client.get(reverse("contracts:import-job", args=[job.uuid]))
        assert page.status_code == 200 and page.context["kind"].slug == slug


def test_query_counts_of_the_job_page_and_the_list(users, client_as, django_assert_num_queries):
    client = client_as(users.county_staff)
    job = make_job("roster", users.county_staff)
    for n in range(25):
        make_job("roster", users.county_staff, name=f"{n}.xlsx")
    # the user, their profile (role and area), the job (sessions are in the cache)
    with django_assert_num_queries(3):
        assert client.get(reverse("imports:job", args=["roster", job.uuid])).status_code == 200
    # the user, their profile, the count, one page of jobs: however many there are
    with django_assert_num_queries(4):
        response = client.get(reverse("imports:list", args=["roster"]))
    assert len(response.context["jobs"]) == 20
