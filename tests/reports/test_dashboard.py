"""The dashboards (/dashboard/): what each role sees, scope, drill-down links whose lists
count what the figures say, and the pinned query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from medconsortium.choices import EncounterKind
from reports.dashboard_figures import months_between, preset_bounds
from tests.contracts.factories import ContractFactory, DoctorTeamFactory
from tests.households.factories import build_registry
from tests.medconsortium.factories import ReferralFactory
from tests.medconsortium.settlements.settlement_factories import (
    EncounterFactory,
    SettlementFactory,
)
from tests.screening.factories import FreeClinicFactory, make_campaign

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
H1 = {"period": "custom", "start": "2024-01-01", "end": "2024-06-30"}
H1_START, H1_END = dt.date(2024, 1, 1), dt.date(2024, 6, 30)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(tree, institutions, users, team, other_team):
    """One household (head, spouse) a village; contracts, settlements, referrals, free
    clinics and a five-ones campaign in the first half of 2024, and some outside it."""
    registry = build_registry(tree)
    heads, spouses = registry.heads, registry.spouses
    doctor = users.township_doctor

    def contract(member, start, end, *, team=team, **extra):
        return ContractFactory(
            member=member,
            team=team,
            doctor=doctor,
            signed_on=start,
            valid_from=start,
            valid_to=end,
            **extra,
        )

    # 能禹村: the head contracted for 2024; the spouse only in 2023 (not in the period).
    contract(heads["village"], dt.date(2024, 1, 5), dt.date(2025, 1, 4))
    contract(spouses["village"], dt.date(2023, 1, 1), dt.date(2023, 12, 31), status="expired")
    # 丙间村: the head renewed in February, two contracts in effect in the period: one person.
    contract(heads["village2"], dt.date(2023, 2, 1), dt.date(2024, 1, 31), status="expired")
    contract(heads["village2"], dt.date(2024, 2, 1), dt.date(2025, 1, 31))
    # 小雷宰村: terminated before the period; the spouse contracted.
    contract(
        heads["other_township_village"],
        dt.date(2023, 6, 1),
        dt.date(2024, 5, 31),
        team=other_team,
        status="terminated",
        terminated_on=dt.date(2023, 12, 1),
    )
    contract(
        spouses["other_township_village"],
        dt.date(2024, 3, 1),
        dt.date(2025, 2, 28),
        team=other_team,
    )
    # 双柏县 (another county): the supervisor's.
    far_team = DoctorTeamFactory(
        institution=institutions.other_county_hospital,
        name="双柏县第1家庭医生团队",
        leader=doctor,
        villages=[tree.other_county_village],
        members=[doctor],
    )
    contract(
        heads["other_county_village"], dt.date(2024, 1, 1), dt.date(2024, 12, 31), team=far_team
    )

    def settle(member, institution, day, kind=EncounterKind.INPATIENT, **money):
        return SettlementFactory(
            encounter=EncounterFactory(
                member=member,
                institution=institution,
                kind=kind,
                admitted_on=day,
                discharged_on=day,
            ),
            **money,
        )

    settle(heads["village"], institutions.county_hospital, dt.date(2024, 1, 10))
    settle(
        spouses["village"],
        institutions.county_hospital,
        dt.date(2024, 3, 3),
        total=Decimal("2000.00"),
        pooled=Decimal("1200.00"),
        out_of_pocket=Decimal("600.00"),
        non_reimbursable=Decimal("300.00"),
    )
    settle(heads["village2"], institutions.township_centre, dt.date(2024, 3, 20))
    settle(
        heads["other_township_village"],
        institutions.county_hospital,
        dt.date(2024, 5, 2),
        kind=EncounterKind.OUTPATIENT,
    )
    settle(heads["other_county_village"], institutions.other_county_hospital, dt.date(2024, 2, 2))
    settle(heads["village"], institutions.county_hospital, dt.date(2024, 8, 1))  # after

    def refer(member, direction, day, sender, receiver):
        return ReferralFactory(
            member=member,
            direction=direction,
            requested_on=day,
            from_institution=sender,
            to_institution=receiver,
        )

    i = institutions
    refer(heads["village"], "up", dt.date(2024, 1, 20), i.township_centre, i.county_hospital)
    refer(spouses["village"], "up", dt.date(2024, 4, 2), i.township_centre, i.county_hospital)
    refer(heads["village2"], "down", dt.date(2024, 4, 9), i.county_hospital, i.township_centre)
    refer(
        heads["other_township_village"],
        "up",
        dt.date(2024, 6, 30),
        i.other_township_centre,
        i.prefecture_hospital,
    )
    refer(
        heads["other_county_village"],
        "up",
        dt.date(2024, 2, 1),
        i.other_county_hospital,
        i.prefecture_hospital,
    )
    refer(heads["village"], "up", dt.date(2023, 12, 31), i.township_centre, i.county_hospital)

    FreeClinicFactory(village=tree.village, held_on=dt.date(2024, 3, 1))
    FreeClinicFactory(village=tree.village2, held_on=dt.date(2024, 5, 1), served=40)
    FreeClinicFactory(village=tree.other_township_village, held_on=dt.date(2024, 6, 1))
    FreeClinicFactory(village=tree.other_county_village, held_on=dt.date(2024, 6, 1))
    FreeClinicFactory(village=tree.village, held_on=dt.date(2024, 7, 1))  # after

    campaign = make_campaign(tree.county, start=dt.date(2024, 4, 1))
    return SimpleNamespace(registry=registry, campaign=campaign)


def _get(client, params=None):
    response = client.get(URL, params or H1)
    assert response.status_code == 200
    return response


def _list_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if context.get("paginator") is not None:
        return context["paginator"].count
    return len(context["object_list"])


# --- periods ----------------------------------------------------------------------------------


def test_presets_run_from_the_first_day_of_the_current_one_to_today():
    today = dt.date(2024, 8, 15)
    assert preset_bounds("month", today) == (dt.date(2024, 8, 1), today)
    assert preset_bounds("quarter", today) == (dt.date(2024, 7, 1), today)
    assert preset_bounds("half", today) == (dt.date(2024, 7, 1), today)
    assert preset_bounds("year", today) == (dt.date(2024, 1, 1), today)
    assert preset_bounds("half", dt.date(2024, 3, 1)) == (dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    assert months_between(dt.date(2023, 11, 15), dt.date(2024, 2, 1)) == [
        dt.date(2023, 11, 1),
        dt.date(2023, 12, 1),
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 1),
    ]


def test_a_custom_period_is_validated(users, world, client_as):
    client = client_as(users.county_staff)
    for params, message in (
        ({"period": "custom", "start": "2024-06-30", "end": "2024-01-01"}, "start date"),
        ({"period": "custom", "start": "2024-01-01"}, ""),
        ({"period": "custom", "start": "2018-01-01", "end": "2024-01-01"}, ""),
    ):
        response = client.get(URL, params)
        assert response.status_code == 200
        assert response.context["form"].errors
        # An invalid period falls back to this year, never to an unbounded one.
        assert response.context["start"].month == 1 and response.context["start"].day == 1
        del message


# --- the county dashboard ---------------------------------------------------------------------


def test_county_dashboard_sections_by_township(users, world, client_as):
    response = _get(client_as(users.county_staff))
    context = response.context
    assert context["region"].name == "元谋县"
    assert [row["name"] for row in context["contract_rows"]] == ["元马镇", "黄瓜园镇"]
    yuanma, huangguayuan = context["contract_rows"]
    # 元马镇: 4 people, the 能禹村 head and the 丙间村 head contracted (renewal: one person).
    assert (yuanma["contracted"], yuanma["target"], yuanma["contract_rate"]) == (2, 4, "50.00%")
    assert (huangguayuan["contracted"], huangguayuan["target"]) == (1, 2)
    total = context["contract_total"]
    assert (total["contracted"], total["target"], total["contract_rate"]) == (3, 6, "50.00%")
    # Settlements of the period (the August one and 双柏县's are out).
    settlement = context["settlement"]
    assert settlement["inpatient_times"] == 3
    assert settlement["outpatient_visits"] == 1
    # (1000 − 100) + (2000 − 600) + (1000 − 100) over 4000 = 80.00%
    assert settlement["ratio"] == "80.00%"
    months = {row["label"]: row for row in context["settlement_months"]}
    assert list(months) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert (months["2024-03"]["times"], months["2024-03"]["ratio"]) == (2, "76.67%")
    assert months["2024-02"]["ratio"] == "–"
    # Referrals up and down.
    assert (context["referrals"]["up"], context["referrals"]["down"]) == (3, 1)
    by_month = {row["label"]: (row["up"], row["down"]) for row in context["referral_months"]}
    assert by_month["2024-04"] == (1, 1) and by_month["2024-06"] == (1, 0)
    # Five-ones, screening and free clinics.
    assert context["five_ones"]["campaign"] == world.campaign
    assert context["screening"]["checkup_target"] == 6
    assert [row["name"] for row in context["coverage_rows"]] == ["元马镇", "黄瓜园镇"]
    assert context["clinics"]["sessions"] == 3
    assert [(row["name"], row["sessions"]) for row in context["clinic_rows"]] == [
        ("元马镇", 2),
        ("黄瓜园镇", 1),
    ]
    # The charts' data is in the page as JSON, drawn by the static file.
    html = response.content.decode()
    assert 'id="chart-contracts-data" type="application/json"' in html
    assert "js/dashboard.js" in html
    assert "<script>" not in html and " style=" not in html
    contracts_chart = context["charts"]["chart_contracts"]
    assert contracts_chart["categories"] == ["元马镇", "黄瓜园镇"]
    assert contracts_chart["series"][0]["values"] == [50.0, 50.0]
    # Every township row drills down to its own dashboard.
    assert [row["url"] for row in context["contract_rows"]][0].startswith(
        "/dashboard/?region=532328101000"
    )


def test_drill_down_lists_count_what_the_figures_say(users, world, client_as):
    from screening.services import screening_record

    heads, spouses = world.registry.heads, world.registry.spouses
    for member, day, systolic in [
        (heads["village"], dt.date(2024, 2, 1), 150),  # abnormal, then normal: one person
        (heads["village"], dt.date(2024, 3, 1), 120),
        (spouses["village"], dt.date(2024, 5, 1), 118),
    ]:
        screening_record(
            member=member, screened_on=day, systolic=systolic, diastolic=80, by=users.county_staff
        )
    client = client_as(users.county_staff)
    context = _get(client).context
    screening = context["screening"]
    assert (screening["screened"], screening["abnormal"]) == (2, 1)
    assert _list_count(client, screening["screenings_url"]) == 2  # people, not screenings (3)
    assert _list_count(client, screening["abnormal_url"]) == 1
    rows = [*context["contract_rows"], context["contract_total"]]
    for row in rows:
        assert _list_count(client, row["contracted_url"]) == row["contracted"], row["name"]
        assert _list_count(client, row["target_url"]) == row["target"], row["name"]
    settlement = context["settlement"]
    assert _list_count(client, settlement["inpatient_url"]) == settlement["inpatient_times"]
    assert _list_count(client, settlement["outpatient_url"]) == settlement["outpatient_visits"]
    for row in context["settlement_months"]:
        assert _list_count(client, row["url"]) == row["times"], row["label"]
    referrals = context["referrals"]
    assert _list_count(client, referrals["up_url"]) == referrals["up"]
    assert _list_count(client, referrals["down_url"]) == referrals["down"]
    for row in context["referral_months"]:
        assert _list_count(client, row["up_url"]) == row["up"], row["label"]
        assert _list_count(client, row["down_url"]) == row["down"], row["label"]
    assert _list_count(client, context["clinics"]["url"]) == context["clinics"]["sessions"]
    for row in context["clinic_rows"]:
        assert _list_count(client, row["url"]) == row["sessions"], row["name"]
    # The links are in the page itself.
    html = client.get(URL, H1).content.decode()
    for row in rows:
        assert escape(row["contracted_url"]) in html and escape(row["target_url"]) in html


def test_contract_list_per_member_counts_people_not_contracts(users, world, client_as):
    client = client_as(users.county_staff)
    base = "/contracts/?region=532328101202&in_effect_from=2024-01-01&in_effect_to=2024-06-30"
    assert _list_count(client, base) == 2  # the 丙间村 head's two contracts
    assert _list_count(client, base + "&per_member=true") == 1


# --- the township and supervisor dashboards, scope ----------------------------------------------


def test_township_dashboard_by_village_and_team(users, world, client_as):
    client = client_as(users.township_doctor)
    context = _get(client).context
    assert context["region"].name == "元马镇"
    assert [row["name"] for row in context["contract_rows"]] == ["能禹村委会", "丙间村委会"]
    assert [row["url"] for row in context["contract_rows"]] == ["", ""]  # villages: no drill
    assert [row["name"] for row in context["team_rows"]] == ["元马镇第1家庭医生团队"]
    assert context["team_rows"][0]["contracted"] == 2
    assert context["referrals"]["up"] == 2
    assert context["clinics"]["sessions"] == 2
    # Their region chooser offers their township only.
    assert [c[0] for c in context["form"].fields["region"].widget.choices] == ["532328101000"]
    for row in context["contract_rows"]:
        assert _list_count(client, row["contracted_url"]) == row["contracted"]
        assert _list_count(client, row["target_url"]) == row["target"]


@pytest.mark.parametrize(
    "code", ["532328000000", "532328102000", "532322000000", "532300000000", "999999999999"]
)
def test_township_cannot_open_the_county_or_another_township(users, world, client_as, code):
    response = client_as(users.township_doctor).get(URL, {**H1, "region": code})
    assert response.status_code == 404


@pytest.mark.parametrize("code", ["532322000000", "532322101000", "532300000000"])
def test_county_cannot_open_another_county_or_the_prefecture(users, world, client_as, code):
    response = client_as(users.county_staff).get(URL, {**H1, "region": code})
    assert response.status_code == 404


def test_village_doctors_have_no_dashboard(users, world, client_as):
    assert client_as(users.village_doctor).get(URL).status_code == 403


def test_supervisor_rolls_up_by_county_and_drills_down(users, world, client_as):
    client = client_as(users.supervisor)
    context = _get(client).context
    assert context["region"].name == "楚雄彝族自治州"
    rows = context["contract_rows"]
    assert [row["name"] for row in rows] == ["双柏县", "元谋县"]
    assert [(row["contracted"], row["target"]) for row in rows] == [(1, 2), (3, 6)]
    assert context["referrals"]["up"] == 4
    assert context["clinics"]["sessions"] == 4
    for row in rows:
        assert _list_count(client, row["contracted_url"]) == row["contracted"]
        assert _list_count(client, row["target_url"]) == row["target"]
    # Into 元谋县, then into 元马镇: the breadcrumb leads back up.
    county = client.get(rows[1]["url"]).context
    assert county["region"].name == "元谋县"
    assert [row["name"] for row in county["contract_rows"]] == ["元马镇", "黄瓜园镇"]
    assert [a.name for a in county["ancestors"]] == ["楚雄彝族自治州"]
    township = client.get(county["contract_rows"][0]["url"]).context
    assert township["region"].name == "元马镇"
    assert [a.name for a in township["ancestors"]] == ["楚雄彝族自治州", "元谋县"]
    assert township["contract_total"]["contracted"] == 2


def test_other_county_staff_see_their_own_county_only(users, world, client_as):
    context = _get(client_as(users.other_county_staff)).context
    assert context["region"].name == "双柏县"
    assert context["contract_total"]["contracted"] == 1
    assert context["referrals"]["up"] == 1
    assert context["settlement"]["inpatient_times"] == 1


# --- the hospital dashboard -------------------------------------------------------------------


def test_hospital_sees_its_institution_only(users, world, client_as):
    client = client_as(users.hospital_staff)
    response = _get(client)
    context = response.context
    assert response.templates[0].name == "reports/dashboard_hospital.html"
    assert context["institution"].name == "元谋县人民医院"
    # Its patients' settlements (元马镇卫生院's and 双柏县人民医院's are not its own).
    assert context["settlement"]["inpatient_times"] == 2
    assert context["settlement"]["outpatient_visits"] == 1
    # The referrals it sent or received: three to it in the period, one from it.
    assert (context["referrals"]["up"], context["referrals"]["down"]) == (2, 1)
    own = context["own"]
    # 10 + 300 + 10 of 1000 + 2000 + 1000 = 8.00%, over the county hospital's 10%? no.
    assert own["share"] == "8.00%" and own["cap"] == "10.00%" and not own["over_cap"]
    settlement, referrals = context["settlement"], context["referrals"]
    assert _list_count(client, settlement["inpatient_url"]) == settlement["inpatient_times"]
    assert _list_count(client, settlement["outpatient_url"]) == settlement["outpatient_visits"]
    assert _list_count(client, referrals["up_url"]) == referrals["up"]
    assert _list_count(client, referrals["down_url"]) == referrals["down"]
    for row in context["referral_months"]:
        assert _list_count(client, row["up_url"]) == row["up"]
    # No region chooser: a region in the query string changes nothing.
    assert "region" not in context["form"].fields
    again = client.get(URL, {**H1, "region": "532322000000"})
    assert again.status_code == 200
    assert again.context["settlement"]["inpatient_times"] == 2


# --- reachable from the menu and the home page -------------------------------------------------


@pytest.mark.parametrize(
    "role, shown",
    [
        ("county_staff", True),
        ("township_doctor", True),
        ("hospital_staff", True),
        ("supervisor", True),
        ("village_doctor", False),
    ],
)
def test_menu_and_home_page_link_the_dashboard(users, client_as, role, shown):
    html = client_as(getattr(users, role)).get(reverse("home")).content.decode()
    assert (f'href="{URL}"' in html) is shown
    assert ('data-testid="dashboard-link"' in html) is shown
    assert 'data-testid="dashboard-cards"' in html  # the home cards stay


# --- fixed number of queries -------------------------------------------------------------------


def _grow(tree, institutions, users, team, n):
    """``n`` more people with contracts, settlements, referrals and free clinics."""
    from tests.contracts.factories import HouseholdFactory, MemberFactory

    for index in range(n):
        village = [tree.village, tree.village2, tree.other_township_village][index % 3]
        member = MemberFactory(household=HouseholdFactory(village=village))
        ContractFactory(
            member=member,
            team=team,
            doctor=users.township_doctor,
            signed_on=dt.date(2024, 1 + index % 6, 2),
        )
        SettlementFactory(
            encounter=EncounterFactory(
                member=member,
                institution=institutions.county_hospital,
                admitted_on=dt.date(2024, 1 + index % 6, 3),
                discharged_on=dt.date(2024, 1 + index % 6, 5),
            )
        )
        ReferralFactory(
            member=member,
            requested_on=dt.date(2024, 1 + index % 6, 7),
            from_institution=institutions.township_centre,
            to_institution=institutions.county_hospital,
        )
        FreeClinicFactory(village=village, held_on=dt.date(2024, 1 + index % 6, 9))


@pytest.mark.parametrize(
    "role, queries, cached",
    [
        ("county_staff", 31, 8),
        ("township_doctor", 31, 8),
        ("supervisor", 33, 9),
        ("hospital_staff", 8, 3),
    ],
)
def test_query_counts_pinned(
    users,
    world,
    tree,
    institutions,
    team,
    client_as,
    django_assert_num_queries,
    role,
    queries,
    cached,
    settings,
):
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    settings.SCREENING_PROGRESS_CACHE_SECONDS = 600
    client = client_as(getattr(users, role))
    _get(client)  # the session, the campaign progress cache and the like, once
    cache.clear()
    with django_assert_num_queries(queries):
        _get(client)
    # the contract, screening and settlement figures cached
    with django_assert_num_queries(cached):
        _get(client)
    _grow(tree, institutions, users, team, 12)
    cache.clear()
    with django_assert_num_queries(queries):
        _get(client)


def test_cached_screening_figures_follow_every_write(users, world, client_as, settings):
    """The screening figures and check-up coverage are cached; a screening, a settled
    suspicion, a check-up and a registry change each show on the next view."""
    from households.services import member_delete
    from screening.models import Suspicion
    from screening.services import check_up_record, screening_record, suspicion_rule_out

    settings.SCREENING_PROGRESS_CACHE_SECONDS = 600
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600
    cache.clear()
    client = client_as(users.county_staff)
    heads, spouses = world.registry.heads, world.registry.spouses

    def figures():
        context = _get(client).context
        screening = context["screening"]
        return (
            screening["screened"],
            screening["abnormal"],
            screening["suspected_to_confirm"],
            screening["checked_up"],
            screening["checkup_target"],
            sum(row["checked"] for row in context["coverage_rows"]),
        )

    before = figures()
    assert figures() == before  # from the cache: the same
    screening_record(
        member=heads["village"],
        screened_on=dt.date(2024, 2, 1),
        systolic=150,
        diastolic=95,
        by=users.county_staff,
    )
    after_screening = figures()
    assert after_screening[:2] == (before[0] + 1, before[1] + 1)
    suspicion = Suspicion.objects.filter(member=heads["village"]).first()
    if suspicion is not None:
        assert after_screening[2] == before[2] + 1
        suspicion_rule_out(suspicion=suspicion, by=users.county_staff, note="复查正常")
        assert figures()[2] == before[2]
    check_up_record(
        member=spouses["village"], checked_on=dt.date(2024, 6, 1), by=users.county_staff
    )
    checked = figures()
    assert (checked[3], checked[5]) == (before[3] + 1, before[5] + 1)
    target = _get(client).context["contract_total"]["target"]
    member_delete(member=spouses["village2"], by=users.county_staff)
    assert figures()[4] == before[4] - 1
    # the cached contract figures follow the registry too (a deletion used to go unseen)
    assert _get(client).context["contract_total"]["target"] == target - 1


def test_cached_settlement_figures_follow_every_write(
    users, world, tree, institutions, client_as, settings
):
    """The dashboard's settlement sums and months are cached; a settlement written alone or
    in bulk, a correction, a deleted encounter and a county's caps each show on the next
    view."""
    from medconsortium.models import Encounter
    from medconsortium.settlement_selectors import policy_for_county
    from medconsortium.settlement_services import (
        SettlementRow,
        encounter_settlement_upsert,
        encounter_settlements_upsert_bulk,
    )
    from reports.dashboard_figures import area_dashboard

    settings.SETTLEMENT_FIGURES_CACHE_SECONDS = 600
    cache.clear()
    client = client_as(users.county_staff)
    member = world.registry.heads["village"]

    def figures():
        _get(client)  # the page computes them, or reads them from the cache, as below
        dashboard = area_dashboard(
            users.county_staff, region=tree.county, start=H1_START, end=H1_END
        )
        settlements, months = dashboard.settlements, dashboard.settlement_months
        return (
            settlements.inpatient.person_times,
            settlements.inpatient.sums.total,
            sum(month.inpatient.person_times for month in months),
            [row.institution.pk for row in settlements.over_cap],
        )

    def row(day, total, **parts):
        return SettlementRow(
            member_id=member.pk,
            institution_id=institutions.county_hospital.pk,
            kind=EncounterKind.INPATIENT,
            admitted_on=dt.date(2024, 4, day),
            discharged_on=dt.date(2024, 4, day + 2),
            total=Decimal(total),
            out_of_pocket=Decimal(total),
            **parts,
        )

    def plus(count, amount):
        return (before[0] + count, before[1] + Decimal(amount), before[2] + count)

    before = figures()
    assert figures() == before  # from the cache: the same
    encounter_settlement_upsert(row=row(1, "1000.00"), by=users.county_staff)
    assert figures()[:3] == plus(1, "1000.00")
    encounter_settlements_upsert_bulk(
        rows=[row(10, "500.00"), row(20, "300.00")], by=users.county_staff
    )
    assert figures()[:3] == plus(3, "1800.00")
    # a correction of a total, through the bulk writer (the import's)
    encounter_settlements_upsert_bulk(rows=[row(20, "400.00")], by=users.county_staff)
    assert figures()[:3] == plus(3, "1900.00")
    Encounter.objects.get(member=member, admitted_on=dt.date(2024, 4, 20)).delete()
    assert figures()[:3] == plus(2, "1500.00")
    # the caps: all of a bill non-reimbursable puts the county hospital over its cap
    encounter_settlement_upsert(
        row=row(5, "100000.00", non_reimbursable=Decimal("100000.00")), by=users.county_staff
    )
    assert institutions.county_hospital.pk in figures()[3]
    policy = policy_for_county(tree.county)
    policy.county_hospital_cap = Decimal("100.00")
    policy.save()
    assert institutions.county_hospital.pk not in figures()[3]
