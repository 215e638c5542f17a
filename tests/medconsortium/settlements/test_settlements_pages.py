"""The settlement pages: figures with charts, the non-reimbursable list, encounters, the
county's aliases and caps; query counts pinned at two sizes."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthaid.scoping import get_profile
from medconsortium.models import Encounter, InstitutionAlias, Settlement, SettlementPolicy
from medconsortium.settlement_services import InstitutionResolver, encounter_settlements_upsert_bulk
from tests.medconsortium.settlements.settlement_factories import row

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2019-01-01", "end": "2019-12-31"}


def _fill(registry, institutions, n):
    Settlement.objects.all().delete()
    Encounter.objects.all().delete()
    members = [registry.heads["village"], registry.spouses["village"], registry.heads["village2"]]
    rows = [
        row(
            members[i % 3],
            [institutions.county_hospital, institutions.township_centre][i % 2],
            admitted_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=3 * i),
            discharged_on=datetime.date(2019, 1, 2) + datetime.timedelta(days=3 * i),
            non_reimbursable=Decimal("30.00") if i % 2 else Decimal("10.00"),
        )
        for i in range(n)
    ]
    encounter_settlements_upsert_bulk(rows=rows, by=None)


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


def test_figures_page(users, registry, institutions, client_as):
    _fill(registry, institutions, 6)
    response = client_as(users.county_staff).get(reverse("settlements:figures"), PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="inpatient-total-wan"' in body
    assert response.context["figures"].inpatient.person_times == 6
    chart = json.loads(
        re.search(r'id="settlement-chart-data" type="application/json">(.*?)</script>', body)[1]
    )
    assert chart["institutions"]["labels"] and chart["months"]["labels"][0] == "2019-01"
    # scripts come from files only: a strict Content-Security-Policy needs no exception
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S):
        attributes, content = script
        assert "src=" in attributes or 'type="application/json"' in attributes, script
    assert "/static/vendor/echarts/echarts.min.js" in body
    assert "/static/medconsortium/settlement_charts.js" in body


def test_figures_of_a_region_outside_the_scope_are_404(users, tree, client_as):
    client = client_as(users.township_doctor)
    assert (
        client.get(reverse("settlements:figures"), {"region": tree.other_township.code}).status_code
        == 404
    )
    assert (
        client.get(reverse("settlements:figures"), {"region": tree.township.code}).status_code
        == 200
    )


def test_non_reimbursable_page(users, registry, institutions, client_as):
    _fill(registry, institutions, 4)  # the township centre's 30 of 1,000 is over 2.5 %
    response = client_as(users.county_staff).get(reverse("settlements:non-reimbursable"), PERIOD)
    rows = response.context["rows"]
    assert [r.institution.code for r in rows] == ["T532328101", "H53232801"]
    assert rows[0].over_cap and rows[0].excess == Decimal("10.00")  # 60 − 2.5 % of 2,000
    only = client_as(users.county_staff).get(
        reverse("settlements:non-reimbursable"), {**PERIOD, "over": "1"}
    )
    assert [r.institution.code for r in only.context["rows"]] == ["T532328101"]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("settlements:figures", PERIOD),
        ("settlements:non-reimbursable", PERIOD),
        ("settlements:encounter-list", {}),
        ("settlements:register", {}),
        ("settlements:large-expenses", {}),
    ],
)
def test_page_query_counts_pinned(name, params, users, registry, institutions, client_as):
    client = client_as(users.county_staff)
    _fill(registry, institutions, 3)
    get_profile(users.county_staff)
    few, _ = _count(client, reverse(name), params)
    _fill(registry, institutions, 40)
    many, _ = _count(client, reverse(name), params)
    assert few == many


def test_member_page_block_query_count(users, registry, institutions, client_as):
    member = registry.heads["village"]
    client = client_as(users.county_staff)
    _fill(registry, institutions, 3)
    few, response = _count(client, reverse("households:member-detail", args=[member.pk]))
    assert 'data-testid="member-encounters"' in response.content.decode()
    _fill(registry, institutions, 30)
    many, response = _count(client, reverse("households:member-detail", args=[member.pk]))
    assert few == many
    assert "1,000.00" in response.content.decode()


def test_aliases_page(users, tree, institutions, client_as):
    client = client_as(users.county_staff)
    response = client.post(
        reverse("settlements:aliases"),
        {"alias": "县 医院", "institution": institutions.county_hospital.pk},
    )
    assert response.status_code == 302
    alias = InstitutionAlias.objects.get()
    assert alias.alias == "县医院" and alias.county == tree.county
    assert (
        InstitutionResolver.for_county(tree.county).resolve("县医院")
        == institutions.county_hospital
    )
    duplicate = client.post(
        reverse("settlements:aliases"),
        {"alias": "县医院", "institution": institutions.county_hospital.pk},
    )
    assert duplicate.status_code == 200 and InstitutionAlias.objects.count() == 1
    assert (
        client_as(users.other_county_staff)
        .post(reverse("settlements:alias-delete", args=[alias.pk]))
        .status_code
        == 404
    )
    assert client_as(users.township_doctor).get(reverse("settlements:aliases")).status_code == 403
    client = client_as(users.county_staff)
    assert client.post(reverse("settlements:alias-delete", args=[alias.pk])).status_code == 302
    assert not InstitutionAlias.objects.exists()


def test_policy_page(users, tree, client_as):
    client = client_as(users.county_staff)
    page = client.get(reverse("settlements:policy"))
    assert page.status_code == 200
    assert page.context["form"].initial["primary_care_cap"] == Decimal("2.50")
    response = client.post(
        reverse("settlements:policy"),
        {
            "primary_care_cap": "3.00",
            "county_hospital_cap": "10.00",
            "large_expense_threshold": "8000",
        },
    )
    assert response.status_code == 302
    policy = SettlementPolicy.objects.get(county=tree.county)
    assert policy.primary_care_cap == Decimal("3.00") and policy.large_expense_threshold == 8000
    from healthaid.models import AuditLog

    audit = AuditLog.objects.get(target_type="medconsortium.settlementpolicy")
    assert audit.action == "create" and policy.created_by == users.county_staff
    client.post(
        reverse("settlements:policy"),
        {
            "primary_care_cap": "2.00",
            "county_hospital_cap": "10.00",
            "large_expense_threshold": "8000",
        },
    )
    update = AuditLog.objects.filter(target_type="medconsortium.settlementpolicy").latest("pk")
    assert update.action == "update" and update.before["primary_care_cap"] == "3.00"
    response = client.post(
        reverse("settlements:policy"),
        {
            "primary_care_cap": "120",
            "county_hospital_cap": "10.00",
            "large_expense_threshold": "8000",
        },
    )
    assert response.status_code == 200  # over 100 % is refused
    assert client_as(users.supervisor).get(reverse("settlements:policy")).status_code == 403


def test_admin_alias_goes_through_the_service(users, tree, institutions, client, django_user_model):
    from healthaid.models import AuditLog

    admin_user = django_user_model.objects.create_superuser(
        "root", "root@example.org", "pw-123456!"
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/medconsortium/institutionalias/add/",
        {
            "county": tree.county.pk,
            "alias": "人民 医院",
            "institution": institutions.county_hospital.pk,
        },
    )
    assert response.status_code == 302, response.content
    assert InstitutionAlias.objects.get().alias == "人民医院"
    assert AuditLog.objects.filter(target_type="medconsortium.institutionalias").exists()
    assert client.get("/admin/medconsortium/encounter/").status_code == 200
    assert client.get("/admin/medconsortium/settlement/").status_code == 200


def test_dashboard_cards(users, registry, institutions, client_as):
    from django.utils import timezone

    today = timezone.localdate()
    encounter_settlements_upsert_bulk(
        rows=[
            row(
                registry.heads["village"],
                institutions.township_centre,
                admitted_on=today,
                discharged_on=today,
                non_reimbursable=Decimal("30.00"),
            )
        ],
        by=None,
    )
    body = client_as(users.county_staff).get("/").content.decode()
    assert "90.00%" in body  # (1,000 − 100) ÷ 1,000
    assert reverse("settlements:non-reimbursable") + "?over=1" in body
    village = client_as(users.village_doctor).get("/").content.decode()
    assert reverse("settlements:non-reimbursable") not in village


def test_encounter_list_rows_are_the_encounters_values(users, encounters, client_as):
    """The list prints prepared values; each row says what its encounter and settlement say."""
    from healthaid.figures import format_yuan
    from medconsortium.models import Encounter

    response = client_as(users.county_staff).get(reverse("settlements:encounter-list"))
    rows = response.context["rows"]
    shown = list(response.context["object_list"])
    assert len(rows) == len(shown) > 1
    for shown_row, encounter in zip(rows, shown, strict=True):
        encounter = Encounter.objects.select_related(
            "member", "institution", "settlement", "diagnosis"
        ).get(pk=encounter.pk)
        settlement = encounter.settlement
        assert shown_row["name"] == encounter.member.name
        assert shown_row["id_number_masked"] == encounter.member.id_number_masked
        assert shown_row["kind"] == encounter.get_kind_display()
        assert shown_row["dates"].startswith(encounter.admitted_on.isoformat())
        assert shown_row["dates"].endswith(encounter.discharged_on.isoformat())
        assert shown_row["institution"] == encounter.institution.name
        assert shown_row["total"] == format_yuan(settlement.total)
        assert shown_row["out_of_pocket"] == format_yuan(settlement.out_of_pocket)
        assert shown_row["one_stop"] == settlement.one_stop
    assert response.content.decode().count('data-testid="encounter-row"') == len(rows)


def test_the_encounter_count_is_cached_until_an_encounter_changes(
    users, registry, institutions, encounters, client_as, api_as, settings
):
    from medconsortium.settlement_services import encounter_settlement_upsert
    from tests.medconsortium.settlements.settlement_factories import row

    settings.SETTLEMENT_FIGURES_CACHE_SECONDS = 600
    client = client_as(users.county_staff)
    url = reverse("settlements:encounter-list")
    assert client.get(url).context["paginator"].count == 3
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"page": 1}).context["paginator"].count == 3
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    day = datetime.date(2019, 5, 1)
    encounter_settlement_upsert(
        row=row(
            registry.heads["village"],
            institutions.county_hospital,
            admitted_on=day,
            discharged_on=day + datetime.timedelta(days=2),
        ),
        by=None,
    )
    assert client.get(url).context["paginator"].count == 4
    api = api_as(users.county_staff)
    assert api.get("/api/v1/encounters/").json()["count"] == 4
    assert api.get("/api/v1/encounters/", {"kind": "outpatient"}).json()["count"] == 0


def test_encounter_list_filter_fields_are_cached_unless_filtered(users, client_as):
    """The encounter list's filter form has fixed choices only: its empty fields come from
    the cache (the same HTML as rendered afresh); a form with filters shows what was typed and
    is rendered each time."""
    from django.core.cache import cache

    client = client_as(users.county_staff)
    url = reverse("settlements:encounter-list")
    cache.clear()
    fresh = client.get(url).context["filter_fields"]
    assert 'name="kind"' in fresh and 'name="institution"' in fresh
    assert client.get(url).context["filter_fields"] == fresh
    response = client.get(url, {"institution": "H53232801"})
    assert response.context["filter_fields"] is None
    assert 'value="H53232801"' in response.content.decode()
