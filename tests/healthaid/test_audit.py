import pytest

from healthaid import audit
from healthaid.audit import request_context
from healthaid.models import AuditLog, Institution

pytestmark = pytest.mark.django_db


def test_update_records_only_changed_fields_with_ip(users, institutions):
    institution = institutions.township_centre
    before = audit.snapshot(institution)
    institution.phone = "0878-8888888"
    institution.save()
    with request_context(ip="10.1.2.3"):
        entry = audit.record_update(institution, before, by=users.county_staff)
    assert entry.before == {"phone": "0878-1234567"}
    assert entry.after == {"phone": "0878-8888888"}
    assert entry.ip == "10.1.2.3"
    assert entry.actor_name == "county"
    assert entry.target_type == "healthaid.institution"


def test_update_without_changes_writes_nothing(users, institutions):
    before = audit.snapshot(institutions.township_centre)
    assert audit.record_update(institutions.township_centre, before, by=users.county_staff) is None
    assert not AuditLog.objects.exists()


def test_audit_row_rolls_back_with_the_change(users, institutions):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record_delete(institutions.prefecture_hospital, by=users.county_staff)
        Institution.objects.filter(pk=institutions.prefecture_hospital.pk).delete()
        raise RuntimeError("boom")
    assert not AuditLog.objects.exists()
    assert Institution.objects.filter(pk=institutions.prefecture_hospital.pk).exists()


def test_snapshot_drops_declared_sensitive_fields(institutions):
    institution = institutions.township_centre
    institution.audit_exclude = ("phone",)
    assert "phone" not in audit.snapshot(institution)
    assert "name" in audit.snapshot(institution)


def test_ip_is_taken_from_the_request(users, client_as, tree):
    from healthaid.services import user_provision

    client = client_as(users.county_staff)
    # Any request passes through the middleware; the audited write inside it sees the IP.
    from django.test import RequestFactory

    from healthaid.middleware import RequestContextMiddleware

    def view(request):
        user_provision(
            username="n",
            role="county_staff",
            region=tree.county,
            password="Yuanmou-2026-abc",
            by=users.county_staff,
        )
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    RequestContextMiddleware(view)(request)
    assert AuditLog.objects.get(target_repr__startswith="n ").ip == "192.0.2.7"
    assert client.get("/audit/").status_code == 200


def test_audit_page_filters(users, client_as, tree):
    for action in ("create", "update", "reveal"):
        audit.record(
            action=action,
            by=users.county_staff,
            target_type="x.y",
            target_id="1",
            region_code=tree.village.code,
        )
    client = client_as(users.county_staff)
    response = client.get("/audit/", {"action": "reveal"})
    assert [e.action for e in response.context["object_list"]] == ["reveal"]
    response = client.get("/audit/", {"user": "nobody"})
    assert list(response.context["object_list"]) == []


def test_snapshot_of_an_empty_and_a_filled_file_field(users):
    from django.core.files.base import ContentFile

    from healthaid.models import Job

    job = Job.objects.create(kind="test", created_by=users.county_staff)
    assert audit.snapshot(job)["result_file"] is None
    job.result_file.save("result.xlsx", ContentFile(b"x"), save=True)
    assert audit.snapshot(job)["result_file"].endswith("result.xlsx")
