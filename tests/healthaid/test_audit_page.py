"""The audit page speaks Chinese: names, field labels, choice labels, region and institution
names, resolved for the whole page in a fixed number of queries."""

import pytest

from healthaid import audit
from healthaid.choices import AuditAction
from healthaid.services import user_provision
from households.models import Household
from tests.healthaid.factories import UserFactory

pytestmark = pytest.mark.django_db


def _changes(users, tree, institutions, n: int) -> None:
    admin = UserFactory(username="admin-wang", first_name="王科长")
    for i in range(n):
        user_provision(
            username=f"hosp{i}",
            role="hospital_staff",
            region=tree.county,
            institution=institutions.county_hospital,
            password="Yuanmou-2026-abc",
            by=admin,
            check_password=False,
        )
        household = Household.objects.create(number=f"A{i}", village=tree.village)
        audit.record(
            action=AuditAction.UPDATE,
            by=users.county_staff,
            instance=household,
            before={"village_id": tree.village2.code, "status": "registered"},
            after={"village_id": tree.village.code, "status": "lifted"},
        )
    audit.record(
        action=AuditAction.CREATE,
        by=None,
        target_type="households.household",
        target_id="1",
        region_code=tree.village.code,
        after={"illness_caused": True, "diseases": ["高血压", "2型糖尿病"]},
    )


def test_the_page_shows_names_and_labels_not_raw_values(users, tree, institutions, client_as):
    _changes(users, tree, institutions, 1)
    body = client_as(users.county_staff).get("/audit/").content.decode()
    for shown in (
        "王科长（admin-wang）",  # the actor's name
        "角色",  # a field's verbose_name
        "医院工作人员",  # a choice label (hospital_staff)
        "云南省/楚雄彝族自治州/元谋县",  # the region's full name, not 532328000000
        "元谋县人民医院",  # the institution's name
        "云南省/楚雄彝族自治州/元谋县/元马镇/丙间村委会",  # a household's former village
        "脱贫",  # the status label
        "系统",  # no actor: the system
        "用户",  # the record type of auth.user
        "高血压、2型糖尿病",
        "是",
    ):
        assert shown in body, shown
    for raw in ("hospital_staff", "532328000000", "auth.user", ">system<", "village_id"):
        assert raw not in body, raw


@pytest.mark.parametrize("n", [1, 12])
def test_the_page_resolves_references_in_bulk(
    users, tree, institutions, client_as, django_assert_num_queries, n
):
    _changes(users, tree, institutions, n)
    client = client_as(users.county_staff)
    client.get("/audit/")  # warm the session and the profile
    # user, profile, count, page; the page's references: the people (actors), regions and
    # institutions, one query each (the session comes from the cache, unwritten).
    with django_assert_num_queries(7):
        response = client.get("/audit/")
    assert len(response.context["rows"]) == 2 * n + 1


def test_the_admin_is_named_after_the_portal(client, users):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="x-Yuanmou-2026")
    client.force_login(admin)
    body = client.get("/admin/").content.decode()
    assert "健康扶贫管理平台" in body and "Django" not in body
