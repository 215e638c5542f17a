"""The approval flow: submit, return, submit again, approve; each step audited and listed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from approvals import services
from approvals.choices import ApprovalStatus, StepAction
from approvals.models import Approval
from healthaid.models import AuditLog

pytestmark = pytest.mark.django_db


def test_submit_return_resubmit_approve(users, tree):
    approval = services.approval_submit(
        period_kind="month", year=2019, number=3, note="三月数据", by=users.township_doctor
    )
    assert approval.status == ApprovalStatus.SUBMITTED
    assert approval.region == tree.township and approval.institution is None
    assert (approval.start.isoformat(), approval.end.isoformat()) == ("2019-03-01", "2019-03-31")

    with pytest.raises(ValidationError):  # a return must say what to correct
        services.approval_return(approval=approval, comment=" ", by=users.county_staff)
    approval = services.approval_return(
        approval=approval, comment="随访人数有误", by=users.county_staff
    )
    assert approval.status == ApprovalStatus.RETURNED
    with pytest.raises(ValidationError):  # only submitted figures are reviewed
        services.approval_approve(approval=approval, by=users.county_staff)

    again = services.approval_submit(
        period_kind="month", year=2019, number=3, note="已更正", by=users.township_doctor
    )
    assert again.pk == approval.pk and again.status == ApprovalStatus.SUBMITTED
    with pytest.raises(ValidationError):  # already submitted
        services.approval_submit(period_kind="month", year=2019, number=3, by=users.township_doctor)

    approved = services.approval_approve(approval=again, comment="同意", by=users.county_staff)
    assert approved.status == ApprovalStatus.APPROVED
    assert approved.decided_by == users.county_staff
    assert [s.action for s in approved.steps.all()] == [
        StepAction.SUBMIT,
        StepAction.RETURN,
        StepAction.SUBMIT,
        StepAction.APPROVE,
    ]
    assert [s.text for s in approved.steps.all()] == ["三月数据", "随访人数有误", "已更正", "同意"]
    rows = AuditLog.objects.filter(target_type="approvals.approval", target_id=str(approval.pk))
    assert rows.count() == 4
    assert set(rows.values_list("region_code", flat=True)) == {tree.township.code}
    assert set(rows.values_list("actor_name", flat=True)) == {"township", "county"}


def test_roles(users):
    with pytest.raises(PermissionDenied):
        services.approval_submit(period_kind="month", year=2019, number=3, by=users.village_doctor)
    with pytest.raises(PermissionDenied):
        services.approval_submit(period_kind="month", year=2019, number=3, by=users.county_staff)
    approval = services.approval_submit(
        period_kind="quarter", year=2019, number=1, by=users.township_doctor
    )
    for user in (users.township_doctor, users.supervisor, users.hospital_staff):
        with pytest.raises(PermissionDenied):
            services.approval_approve(approval=approval, by=user)
    # Hospital staff submit for their institution (its settlements).
    hospital = services.approval_submit(
        period_kind="half", year=2019, number=1, by=users.hospital_staff
    )
    assert hospital.institution == users.hospital_staff.profile.institution
    assert hospital.unit_kind == "institution"


def test_no_future_period_and_no_such_period(users):
    with pytest.raises(ValidationError):
        services.approval_submit(
            period_kind="quarter", year=2019, number=5, by=users.township_doctor
        )
    with pytest.raises(ValidationError):
        services.approval_submit(period_kind="year", year=2099, number=1, by=users.township_doctor)


def test_pages(users, tree, registry, client_as):
    client = client_as(users.township_doctor)
    page = client.get(
        reverse("approvals:submit"), {"period_kind": "month", "year": 2019, "number": 3}
    )
    assert page.status_code == 200
    figures = {f.label: f.value for f in page.context["figures"]}
    assert figures == {"随访人次": "0", "筛查人次": "0", "筛查异常人次": "0", "健康体检人次": "0"}
    response = client.post(
        reverse("approvals:submit"),
        {"period_kind": "month", "year": 2019, "number": 3, "note": "请审核"},
    )
    approval = Approval.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:detail", args=[approval.pk])
    # The township doctor sees no review form; county staff do, and return it.
    page = client.get(reverse("approvals:detail", args=[approval.pk]))
    assert page.context["can_review"] is False
    refused = client.post(reverse("approvals:detail", args=[approval.pk]), {"approve": "1"})
    assert refused.status_code == 403

    county = client_as(users.county_staff)
    page = county.get(reverse("approvals:detail", args=[approval.pk]))
    assert page.context["can_review"] is True
    empty = county.post(
        reverse("approvals:detail", args=[approval.pk]), {"return": "1", "comment": ""}
    )
    assert empty.status_code == 200 and empty.context["review_form"].errors
    county.post(reverse("approvals:detail", args=[approval.pk]), {"return": "1", "comment": "重报"})
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.RETURNED
    page = county.get(reverse("approvals:detail", args=[approval.pk]))
    assert [s.text for s in page.context["steps"]] == ["请审核", "重报"]
    assert "重报" in page.content.decode()

    listing = county.get(
        reverse("approvals:list"), {"period_kind": "month", "year": 2019, "number": 3}
    )
    statuses = {u.unit_name: u.status for u in listing.context["unit_statuses"]}
    assert statuses["元马镇"] == "returned"
    assert statuses["黄瓜园镇"] == "not_submitted"


def test_other_county_and_supervisor_read_only(users, client_as):
    approval = services.approval_submit(
        period_kind="month", year=2019, number=3, by=users.township_doctor
    )
    url = reverse("approvals:detail", args=[approval.pk])
    assert client_as(users.other_county_staff).get(url).status_code == 404
    supervisor = client_as(users.supervisor)
    assert supervisor.get(url).status_code == 200
    assert supervisor.post(url, {"approve": "1"}).status_code == 403
