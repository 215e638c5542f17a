"""The approvals demo: a year of 元谋县's monthly submissions, the earlier months approved
(some after a return), last month's partly awaiting review; the list prints them as rows."""

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import demo
from approvals.choices import ApprovalStatus, StepAction
from approvals.models import Approval
from approvals.periods import period_label
from healthaid.models import AuditLog

pytestmark = pytest.mark.django_db


def test_a_year_of_months_once(tree, institutions, users):
    summary = demo.seed("small", {})

    approvals = list(Approval.objects.select_related("region", "institution"))
    assert summary.startswith(f"{len(approvals)} approvals")
    # Two townships, the county hospital and two township centres, twelve months; a few of
    # last month missing.
    months = demo._months(timezone.localdate())
    assert len(months) == demo.MONTHS
    assert 5 * (demo.MONTHS - 1) < len(approvals) <= 5 * demo.MONTHS
    assert {a.unit_name for a in approvals} == {
        "元马镇",
        "黄瓜园镇",
        "元谋县人民医院",
        "元马镇卫生院",
        "黄瓜园镇卫生院",
    }
    last = months[-1]
    for approval in approvals:
        history = list(approval.steps.all())
        steps = [step.action for step in history]
        assert steps[0] == StepAction.SUBMIT
        assert approval.submitted_at is not None
        # The steps are dated as taken: after the period, in order, the decision's last.
        assert history[0].at.date() > approval.end
        assert [s.at for s in history] == sorted(s.at for s in history)
        if approval.decided_at is not None:
            assert history[-1].at == approval.decided_at
        if StepAction.RETURN in steps:
            comment = next(s.text for s in history if s.action == StepAction.RETURN)
            assert comment in demo.RETURN_COMMENTS[approval.unit_kind]
        if (approval.year, approval.number) != last:
            assert approval.status == ApprovalStatus.APPROVED
        if approval.status == ApprovalStatus.APPROVED:
            assert steps[-1] == StepAction.APPROVE and approval.decided_at is not None
        elif approval.status == ApprovalStatus.RETURNED:
            assert steps[-1] == StepAction.RETURN and approval.comment
        else:
            assert steps == [StepAction.SUBMIT] and approval.decided_at is None
    assert AuditLog.objects.filter(target_type="approvals.approval").count() == len(approvals)
    assert demo.seed("small", {}) == "approvals already seeded; nothing added"
    assert Approval.objects.count() == len(approvals)


def test_the_list_prints_rows_of_values(tree, institutions, users, client_as):
    demo.seed("small", {})
    response = client_as(users.county_staff).get(reverse("approvals:list"))
    rows = response.context["rows"]
    shown = {a.pk: a for a in response.context["object_list"]}
    assert len(rows) == len(shown) > 0
    for row, approval in zip(rows, shown.values(), strict=True):
        submitted = timezone.localtime(approval.submitted_at).strftime("%Y-%m-%d %H:%M")
        assert row == {
            "url": reverse("approvals:detail", args=[approval.pk]),
            "unit": approval.unit_name,
            "period": period_label(approval.period_kind, approval.year, approval.number),
            "status": approval.status,
            "status_label": str(approval.get_status_display()),
            "submitted_at": submitted,
            "decided_by": approval.decided_by.get_username() if approval.decided_by else "",
        }
    html = response.content.decode()
    assert f'href="{rows[0]["url"]}"' in html and rows[0]["period"] in html
    # The units' table: townships and the hospital, not the village clinic.
    assert 'data-unit="532328101000"' in html and "能禹村卫生室" not in html
