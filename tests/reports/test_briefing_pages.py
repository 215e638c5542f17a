"""Briefing pages and API: scope, the job, publishing, downloads, schedules and beat, queries."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler

from healthaid.celery import app as celery_app
from healthaid.models import Job
from reports.briefings.services import (
    JOB_KIND,
    briefing_create,
    briefing_run,
    run_schedule,
    schedule_save,
    scheduled_period,
)
from reports.models import (
    Briefing,
    BriefingAction,
    BriefingEvent,
    BriefingSchedule,
    BriefingStatus,
    Frequency,
    NarrativeTemplate,
)
from reports.tasks import briefing_task

pytestmark = pytest.mark.django_db
H1 = {"start": datetime.date(2019, 1, 1), "end": datetime.date(2019, 6, 30)}


def _run_latest_job():
    job = Job.objects.filter(kind=JOB_KIND).order_by("-pk").first()
    briefing_task(job.pk)
    job.refresh_from_db()
    return job


def test_county_staff_generate_publish_and_download(users, tree, client_as):
    client = client_as(users.county_staff)
    page = client.get(reverse("briefings:list"))
    assert page.status_code == 200
    response = client.post(
        reverse("briefings:list"),
        {"publisher": tree.county.code, "kind": "work", "start": "2019-01-01", "end": "2019-06-30"},
    )
    briefing = Briefing.objects.get()
    assert response["Location"] == reverse("briefings:detail", args=[briefing.uuid])
    assert briefing.status == BriefingStatus.GENERATING
    detail = client.get(response["Location"])
    assert b'data-testid="job-progress"' in detail.content
    assert b"data-progress=" in detail.content
    progress = client.get(reverse("briefings:progress", args=[briefing.uuid]))
    assert progress.status_code == 200
    job = _run_latest_job()
    assert job.status == "succeeded"
    assert client.get(reverse("briefings:progress", args=[briefing.uuid]))["HX-Refresh"] == "true"
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.READY and briefing.number is None
    # publish: a job again, the next number
    client.post(reverse("briefings:publish", args=[briefing.uuid]))
    _run_latest_job()
    briefing.refresh_from_db()
    assert (briefing.status, briefing.number, briefing.year) == (
        BriefingStatus.PUBLISHED,
        1,
        datetime.date.today().year,
    )
    # a published briefing is not published or written again
    client.post(reverse("briefings:publish", args=[briefing.uuid]))
    client.post(reverse("briefings:regenerate", args=[briefing.uuid]))
    assert Job.objects.filter(kind=JOB_KIND).count() == 2
    download = client.get(reverse("briefings:file", args=[briefing.uuid, "xlsx"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert client.get(reverse("briefings:file", args=[briefing.uuid, "pdf"])).status_code == 404
    actions = list(BriefingEvent.objects.values_list("action", "file_format", "user"))
    assert (BriefingAction.DOWNLOADED, "xlsx", users.county_staff.pk) in actions
    assert (BriefingAction.PUBLISHED, "", users.county_staff.pk) in actions
    history = client.get(reverse("briefings:list")).content.decode()
    assert "第一期" in history and 'data-testid="briefing-history"' in history


def test_scope(users, tree, client_as, api_as):
    county_briefing = briefing_create(user=None, publisher=tree.county, kind="work", **H1)
    # a township's doctor cannot write or see the county's briefing
    client = client_as(users.township_doctor)
    client.post(
        reverse("briefings:list"),
        {"publisher": tree.county.code, "kind": "work", "start": "2019-01-01", "end": "2019-06-30"},
    )
    assert Briefing.objects.count() == 1
    assert client.get(reverse("briefings:detail", args=[county_briefing.uuid])).status_code == 404
    api = api_as(users.township_doctor)
    generate = reverse("briefing-generate")
    body = {"publisher": tree.county.code, "start": "2019-01-01", "end": "2019-06-30"}
    assert api.post(generate, body, format="json").status_code == 404
    assert api.get(reverse("briefing-detail", args=[county_briefing.uuid])).status_code == 404
    # their own township they may
    body["publisher"] = tree.township.code
    answer = api.post(generate, body, format="json")
    assert answer.status_code == 202 and answer.json()["issue"] == "未编号"
    # another county's staff see none of 元谋's; hospital staff and village doctors no page
    assert (
        client_as(users.other_county_staff)
        .get(reverse("briefings:detail", args=[county_briefing.uuid]))
        .status_code
        == 404
    )
    assert client_as(users.hospital_staff).get(reverse("briefings:list")).status_code == 403
    assert api_as(users.village_doctor).get(reverse("briefing-list")).status_code == 403
    other = api_as(users.other_county_staff).get(reverse("briefing-list")).json()
    assert other["count"] == 0
    # indicators of a region outside the scope: 404
    indicators = api_as(users.township_doctor).get(
        reverse("indicators-all"), {"region": tree.county.code}
    )
    assert indicators.status_code == 404


def test_api_list_detail_publish_and_queries(users, tree, api_as, django_assert_num_queries):
    for _ in range(3):
        briefing = briefing_create(
            user=users.county_staff, publisher=tree.county, kind="work", **H1
        )
    briefing_run(briefing, action="generate", user=users.county_staff)
    api = api_as(users.county_staff)
    api.get(reverse("briefing-list"))
    with django_assert_num_queries(2):  # count, page (the profile is loaded once per user)
        listed = api.get(reverse("briefing-list")).json()
    assert listed["count"] == 3
    detail = api.get(reverse("briefing-detail", args=[briefing.uuid])).json()
    assert detail["xlsx_url"].endswith(f"/briefings/{briefing.uuid}/file.xlsx")
    assert detail["status"] == "ready"
    answer = api.post(reverse("briefing-publish", args=[briefing.uuid]))
    assert answer.status_code == 202
    _run_latest_job()
    assert api.get(reverse("briefing-detail", args=[briefing.uuid])).json()["issue"] == "第一期"
    refused = api.post(reverse("briefing-publish", args=[briefing.uuid]))
    assert refused.status_code == 400


def test_pages_query_counts(users, tree, client_as, django_assert_num_queries):
    for _ in range(3):
        briefing = briefing_create(
            user=users.county_staff, publisher=tree.county, kind="work", **H1
        )
        BriefingEvent.objects.create(briefing=briefing, action="generated", user=users.county_staff)
    client = client_as(users.county_staff)
    client.get(reverse("briefings:list"))
    with django_assert_num_queries(6):
        client.get(reverse("briefings:list"))
    for _ in range(3):
        briefing = briefing_create(
            user=users.county_staff, publisher=tree.county, kind="work", **H1
        )
        BriefingEvent.objects.create(briefing=briefing, action="generated", user=users.county_staff)
    with django_assert_num_queries(6):
        client.get(reverse("briefings:list"))
    schedule_save(BriefingSchedule(publisher=tree.county, frequency=Frequency.MONTHLY))
    with django_assert_num_queries(4):
        client.get(reverse("briefings:schedules"))
    schedule_save(BriefingSchedule(publisher=tree.township, frequency=Frequency.QUARTERLY))
    with django_assert_num_queries(4):
        assert "元马镇" in client.get(reverse("briefings:schedules")).content.decode()


def test_schedule_edits_reach_beat(users, tree, client_as, monkeypatch):
    # django-celery-beat (2.9) loads only the crontab entries due within two hours of the
    # server's clock; the schedules run at 06:00, so beat's clock is put just before it
    # (otherwise this test passes only between 04:00 and 08:00 in Shanghai).
    monkeypatch.setattr(
        "django_celery_beat.schedulers.aware_now",
        lambda: datetime.datetime(2026, 1, 1, 5, 58, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    client = client_as(users.county_staff)
    client.post(
        reverse("briefings:schedules"),
        {"publisher": tree.county.code, "kind": "work", "frequency": "quarterly", "enabled": "on"},
    )
    schedule = BriefingSchedule.objects.get()
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "reports.briefing_scheduled"
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    scheduler = DatabaseScheduler(app=celery_app, lazy=True)
    entries = scheduler.all_as_schedule()
    assert entries[task.name].schedule.month_of_year == {1, 4, 7, 10}
    # (DatabaseScheduler.schedule_changed compares this stamp; it commits, so not in a test)
    stamp = PeriodicTasks.last_change()
    # county staff make it half-yearly: beat sees the changed entry
    client.post(
        reverse("briefings:schedule-edit", args=[schedule.pk]),
        {
            "publisher": tree.county.code,
            "kind": "work",
            "frequency": "half_yearly",
            "enabled": "on",
        },
    )
    assert PeriodicTasks.last_change() > stamp
    stamp = PeriodicTasks.last_change()
    assert scheduler.all_as_schedule()[task.name].schedule.month_of_year == {1, 7}
    # disabled: gone from beat's schedule
    client.post(
        reverse("briefings:schedule-edit", args=[schedule.pk]),
        {"publisher": tree.county.code, "kind": "work", "frequency": "half_yearly"},
    )
    assert PeriodicTasks.last_change() > stamp
    assert task.name not in scheduler.all_as_schedule()
    # deleted with its entry
    client.post(reverse("briefings:schedule-edit", args=[schedule.pk]), {"delete": "1"})
    assert not PeriodicTask.objects.filter(name=task.name).exists()
    # another county's staff cannot open it
    schedule = schedule_save(BriefingSchedule(publisher=tree.county, frequency=Frequency.MONTHLY))
    response = client_as(users.other_county_staff).get(
        reverse("briefings:schedule-edit", args=[schedule.pk])
    )
    assert response.status_code == 404


def test_scheduled_run_writes_once_into_the_history(tree):
    assert scheduled_period(Frequency.MONTHLY, datetime.date(2019, 7, 1)) == (
        datetime.date(2019, 6, 1),
        datetime.date(2019, 6, 30),
    )
    assert scheduled_period(Frequency.QUARTERLY, datetime.date(2019, 7, 1)) == (
        datetime.date(2019, 4, 1),
        datetime.date(2019, 6, 30),
    )
    assert scheduled_period(Frequency.HALF_YEARLY, datetime.date(2020, 1, 1)) == (
        datetime.date(2019, 7, 1),
        datetime.date(2019, 12, 31),
    )
    assert scheduled_period(Frequency.HALF_YEARLY, datetime.date(2019, 9, 1)) == (
        datetime.date(2019, 1, 1),
        datetime.date(2019, 6, 30),
    )
    schedule = schedule_save(
        BriefingSchedule(publisher=tree.county, kind="poverty", frequency=Frequency.HALF_YEARLY)
    )
    briefing = run_schedule(schedule.pk, today=datetime.date(2019, 7, 1))
    again = run_schedule(schedule.pk, today=datetime.date(2019, 7, 1))
    assert briefing.pk == again.pk and briefing.status == BriefingStatus.READY
    assert (briefing.start, briefing.end, briefing.created_by) == (*H1.values(), None)
    event = BriefingEvent.objects.get()
    assert (event.action, event.user) == (BriefingAction.GENERATED, None)


def test_template_page_refuses_unknown_placeholders(users, tree, client_as):
    client = client_as(users.county_staff)
    assert client.get(reverse("briefings:templates")).status_code == 200
    response = client.post(
        reverse("briefings:templates"), {"section": "settlements", "text": "{area}{nope}"}
    )
    assert response.status_code == 200
    assert "nope" in response.content.decode()
    assert not NarrativeTemplate.objects.exists()
    client.post(reverse("briefings:templates"), {"section": "settlements", "text": "{area}好"})
    assert NarrativeTemplate.objects.get().text == "{area}好"
    client.post(reverse("briefings:templates"), {"section": "settlements", "reset": "1"})
    assert not NarrativeTemplate.objects.exists()
    assert client_as(users.township_doctor).get(reverse("briefings:templates")).status_code == 403


def test_all_indicators_document(users, tree, api_as):
    from medconsortium.models import MajorDiseaseCase  # noqa: F401 - the app is there

    answer = api_as(users.county_staff).get(
        reverse("indicators-all"), {"start": "2019-01-01", "end": "2019-06-30"}
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["region"] == tree.county.code and data["sections"] == []


def test_schedule_api(users, tree, api_as):
    api = api_as(users.county_staff)
    url = reverse("briefingschedule-list")
    created = api.post(
        url, {"publisher": tree.county.code, "kind": "work", "frequency": "monthly"}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert PeriodicTask.objects.get(pk=BriefingSchedule.objects.get(pk=pk).periodic_task_id).enabled
    api.patch(reverse("briefingschedule-detail", args=[pk]), {"enabled": False}, format="json")
    assert not PeriodicTask.objects.get(name=f"reports.briefing-schedule-{pk}").enabled
    twice = api.post(
        url, {"publisher": tree.county.code, "kind": "work", "frequency": "monthly"}, format="json"
    )
    assert twice.status_code == 400
    outside = api.post(
        url, {"publisher": tree.other_county.code, "frequency": "monthly"}, format="json"
    )
    assert outside.status_code == 400  # a body's region outside the scope: not created
    assert not BriefingSchedule.objects.filter(publisher=tree.other_county).exists()
    assert api_as(users.township_doctor).get(url).status_code == 403


# The role matrix of the briefing pages and API: who may open them, and whose briefings each
# role sees (its scope's publishers), written down rather than computed.
ROLE_ACCESS = {
    "county_staff": (200, {"county", "township"}),
    "township_doctor": (200, {"township"}),
    "village_doctor": (403, set()),
    "hospital_staff": (403, set()),
    "supervisor": (200, {"county", "township", "other_county"}),
    "other_county_staff": (200, {"other_county"}),
}


@pytest.mark.parametrize("role", list(ROLE_ACCESS))
def test_role_matrix(role, users, tree, client_as, api_as):
    made = {
        name: briefing_create(user=None, publisher=getattr(tree, name), kind="work", **H1)
        for name in ("county", "township", "other_county")
    }
    status, visible = ROLE_ACCESS[role]
    user = getattr(users, role)
    client = client_as(user)
    assert client.get(reverse("briefings:list")).status_code == status
    answer = api_as(user).get(reverse("briefing-list"))
    assert answer.status_code == status
    if status == 200:
        shown = {b["uuid"] for b in answer.json()["results"]}
        assert shown == {str(made[name].uuid) for name in visible}
        for name, briefing in made.items():
            page = client.get(reverse("briefings:detail", args=[briefing.uuid]))
            assert page.status_code == (200 if name in visible else 404)
