"""The rectification tracker: status moves, closing (销号) by county staff only after the
check, the daily overdue flag, evidence files, and the briefing's figures."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_celery_beat.models import PeriodicTask

from healthaid.models import AuditLog
from rectification import services
from rectification.choices import ItemStatus
from rectification.models import RectificationItem
from rectification.selectors import RectificationFigures, UnitRectification, briefing_figures
from rectification.tasks import flag_overdue_task

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


def make(users, region, *, found_on=datetime.date(2019, 2, 1), deadline=datetime.date(2099, 6, 30), unit="元马镇卫生院", source="patrol"):  # fmt: skip
    return services.item_create(
        source=source,
        found_on=found_on,
        finding="家庭医生签约服务履约不到位",
        responsible_unit=unit,
        region=region,
        measures="逐户核实，补齐随访",
        deadline=deadline,
        by=users.county_staff,
    )


def test_progress_check_and_close(users, tree):
    item = make(users, tree.township)
    assert item.status == ItemStatus.OPEN
    with pytest.raises(PermissionDenied):  # the county records findings
        services.item_create(
            source="audit", found_on=datetime.date(2019, 1, 1), finding="x", responsible_unit="y",
            region=tree.township, deadline=datetime.date(2099, 1, 1), by=users.township_doctor,
        )  # fmt: skip
    item = services.item_set_status(
        item=item, status=ItemStatus.IN_PROGRESS, by=users.township_doctor
    )
    assert item.status == ItemStatus.IN_PROGRESS
    with pytest.raises(ValidationError):  # only after the check
        services.item_close(item=item, by=users.county_staff)
    item = services.item_set_status(
        item=item, status=ItemStatus.AWAITING_CHECK, by=users.township_doctor
    )
    with pytest.raises(PermissionDenied):  # 销号 is the county's
        services.item_close(item=item, by=users.township_doctor)
    with pytest.raises(PermissionDenied):  # and so is sending it back
        services.item_set_status(item=item, status=ItemStatus.IN_PROGRESS, by=users.township_doctor)
    item = services.item_close(
        item=item, closed_on=datetime.date(2019, 5, 1), by=users.county_staff
    )
    assert (item.status, item.closed_on, item.closed_by) == (
        ItemStatus.CLOSED,
        datetime.date(2019, 5, 1),
        users.county_staff,
    )
    rows = AuditLog.objects.filter(
        target_type="rectification.rectificationitem", target_id=str(item.pk)
    )
    statuses = [r.after.get("status") for r in rows.order_by("at", "id")]
    assert statuses == ["open", "in_progress", "awaiting_check", "closed"]
    assert set(rows.values_list("region_code", flat=True)) == {tree.township.code}
    with pytest.raises(ValidationError):
        services.evidence_add(
            item=item, upload=SimpleUploadedFile("a.pdf", PDF), by=users.county_staff
        )


def test_overdue_beat_task(users, tree):
    past = make(users, tree.township, deadline=datetime.date(2019, 3, 31))
    assert past.status == ItemStatus.OVERDUE  # recorded late: overdue at once
    RectificationItem.objects.filter(pk=past.pk).update(status=ItemStatus.IN_PROGRESS)
    future = make(users, tree.county)
    done = make(users, tree.county, deadline=datetime.date(2019, 3, 31))
    RectificationItem.objects.filter(pk=done.pk).update(status=ItemStatus.AWAITING_CHECK)
    assert flag_overdue_task.apply().get() == 1
    statuses = dict(RectificationItem.objects.values_list("pk", "status"))
    assert statuses == {
        past.pk: ItemStatus.OVERDUE,
        future.pk: ItemStatus.OPEN,
        done.pk: ItemStatus.AWAITING_CHECK,  # done: waits for the check, not flagged
    }
    flagged = AuditLog.objects.get(target_id=str(past.pk), message="超过整改时限")
    assert flagged.after == {"status": "overdue"} and flagged.actor_name == "system"
    assert flag_overdue_task.apply().get() == 0  # nothing twice
    task = PeriodicTask.objects.get(task="rectification.flag_overdue")
    assert task.enabled and task.crontab.hour == "1"


def test_evidence_files_are_checked(users, tree):
    item = make(users, tree.township)
    evidence = services.evidence_add(
        item=item,
        upload=SimpleUploadedFile("整改报告.pdf", PDF),
        note="报告",
        by=users.township_doctor,
    )
    assert evidence.name == "整改报告.pdf" and evidence.file.read() == PDF
    for name, content in (("a.exe", PDF), ("a.pdf", b"MZ\x90\x00"), ("a.pdf", b"")):
        with pytest.raises(ValidationError):
            services.evidence_add(
                item=item, upload=SimpleUploadedFile(name, content), by=users.county_staff
            )
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * services.EVIDENCE_MAX_BYTES)
    with pytest.raises(ValidationError):
        services.evidence_add(item=item, upload=big, by=users.county_staff)
    with pytest.raises(PermissionDenied):
        services.evidence_add(
            item=item, upload=SimpleUploadedFile("b.pdf", PDF), by=users.supervisor
        )


def test_briefing_figures(users, tree):
    jan, mar, may = (
        datetime.date(2019, 1, 10),
        datetime.date(2019, 3, 10),
        datetime.date(2019, 5, 10),
    )
    old = make(users, tree.township, found_on=jan, deadline=datetime.date(2019, 2, 28))
    closed = make(users, tree.township, found_on=mar, deadline=datetime.date(2019, 6, 30))
    late_close = make(
        users, tree.county, found_on=mar, deadline=datetime.date(2019, 4, 30), unit="县卫健局"
    )
    make(
        users,
        tree.other_township,
        found_on=may,
        deadline=datetime.date(2099, 12, 31),
        unit="黄瓜园镇卫生院",
    )
    make(users, tree.other_county, found_on=mar, unit="双柏县卫健局")  # another county
    make(users, tree.township, found_on=datetime.date(2019, 8, 1))  # after the period
    for item in (closed, late_close):
        services.item_set_status(item=item, status=ItemStatus.AWAITING_CHECK, by=users.county_staff)
    services.item_close(item=closed, closed_on=datetime.date(2019, 4, 15), by=users.county_staff)
    services.item_close(
        item=late_close, closed_on=datetime.date(2019, 7, 20), by=users.county_staff
    )
    services.item_set_status(item=old, status=ItemStatus.IN_PROGRESS, by=users.county_staff)

    figures = briefing_figures(tree.county, datetime.date(2019, 4, 1), datetime.date(2019, 6, 30))
    assert figures == RectificationFigures(
        total=4,
        found_in_period=1,  # 黄瓜园镇's, in May
        open=2,  # 黄瓜园镇's, and the January finding (flagged overdue: counted with the open)
        in_progress=0,
        awaiting_check=1,  # closed only in July: awaiting the check at the end of June
        closed=1,
        closed_in_period=1,
        overdue=2,  # the January finding and the county's, not closed by the end of June
        close_rate=Decimal("25.00"),
        by_unit=figures.by_unit,
    )
    assert {u.unit_name: u for u in figures.by_unit} == {
        "元马镇卫生院": UnitRectification(unit_name="元马镇卫生院", total=2, closed=1, overdue=1),
        "县卫健局": UnitRectification(unit_name="县卫健局", total=1, closed=0, overdue=1),
        "黄瓜园镇卫生院": UnitRectification(
            unit_name="黄瓜园镇卫生院", total=1, closed=0, overdue=0
        ),
    }
    assert len(figures.by_unit) == 3


def test_briefing_figures_queries(users, tree, django_assert_num_queries):
    make(users, tree.township)
    with django_assert_num_queries(2):
        briefing_figures(tree.prefecture, datetime.date(2019, 1, 1), datetime.date(2019, 12, 31))
    empty = briefing_figures(
        tree.other_county, datetime.date(2019, 1, 1), datetime.date(2019, 12, 31)
    )
    assert (empty.total, empty.close_rate, empty.by_unit) == (0, None, [])
