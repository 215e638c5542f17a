"""The consortium summary (reports.indicators.consortium_summary) and its JSON endpoint,
with seed 002's 楚雄市 figures as the oracle."""

from __future__ import annotations

import datetime

import pytest

from healthaid.choices import InstitutionKind, RegionLevel, Role
from healthaid.models import Region
from medconsortium.choices import ReservedKind, SessionStatus
from tests.healthaid.factories import InstitutionFactory
from tests.medconsortium.factories import (
    ExpertSessionFactory,
    ReferralFactory,
    RemoteConsultationFactory,
    ReservedCapacityFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/consortium/"
# Seed 002: 2019年上半年 … 共派出54名专家对楚雄市进行帮扶，开展门诊36场，接诊门诊患者500人，
# 带教查房112人次，病例讨论215人次，手术带教10场，业务培训77场。
SEED_002 = {
    "experts": 54,
    "sessions": 36,
    "outpatients": 500,
    "teaching_rounds": 112,
    "case_discussions": 215,
    "surgeries_taught": 10,
    "trainings": 77,
}
FIELDS = [
    "experts",
    "sessions",
    "outpatients",
    "teaching_rounds",
    "case_discussions",
    "surgeries_taught",
    "trainings",
    "people_trained",
    "referrals_up",
    "referrals_down",
    "reserved_slots_offered",
    "reserved_slots_used",
    "reserved_beds_offered",
    "reserved_beds_used",
    "reserved_slot_use_rate",
    "remote_consultations",
]


@pytest.fixture
def chuxiong(tree):
    """楚雄市 with its two lead hospitals, and the three visiting teams."""
    county = Region.objects.create(
        code="532301000000", name="楚雄市", level=RegionLevel.COUNTY, parent=tree.prefecture
    )
    return {
        "county": county,
        "people": InstitutionFactory(
            code="H53230101",
            name="楚雄市人民医院",
            kind=InstitutionKind.COUNTY_HOSPITAL,
            region=county,
        ),
        "tcm": InstitutionFactory(
            code="H53230102",
            name="楚雄市中医医院",
            kind=InstitutionKind.TCM_HOSPITAL,
            region=county,
        ),
        "kmmu1": InstitutionFactory(
            code="H530100001",
            name="昆明医科大学第一附属医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            region=tree.province,
        ),
        "yn2": InstitutionFactory(
            code="H530100002",
            name="云南省第二人民医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            region=tree.province,
        ),
    }


# The term as a table: (host, visiting, sessions, experts each, clinic, outpatients each,
# teaching rounds each, case discussions each, surgeries each, trainings each). Its totals
# are the briefing's; one more session outside the period and a cancelled one must not count.
TERM = [
    ("people", "kmmu1", 12, 2, True, 15, 3, 6, 0, 2),  # 24 experts, 180 pts, 36, 72, 0, 24
    ("people", "yn2", 10, 1, True, 20, 4, 8, 1, 3),  # 10, 200, 40, 80, 10, 30
    ("tcm", "kmmu1", 10, 1, True, 10, 2, 4, 0, 1),  # 10, 100, 20, 40, 0, 10
    ("tcm", "yn2", 4, 1, True, 5, 4, 5, 0, 3),  # 4, 20, 16, 20, 0, 12
]


def build_term(inst):
    day = datetime.date(2019, 1, 7)
    for (
        host,
        visiting,
        count,
        experts,
        clinic,
        outpatients,
        rounds,
        discussions,
        surgeries,
        trainings,
    ) in TERM[:4]:
        for _ in range(count):
            ExpertSessionFactory(
                host=inst[host],
                visiting=inst[visiting],
                date=day,
                status=SessionStatus.HELD,
                expert_count=experts,
                clinic=clinic,
                outpatients=outpatients,
                teaching_rounds=rounds,
                case_discussions=discussions,
                surgeries_taught=surgeries,
                trainings=trainings,
                specialty=f"{day}",
            )
            day += datetime.timedelta(days=4)
    # Four sessions without a clinic: 6 experts, 3 case discussions, 1 training in all.
    for experts, discussions, trainings in ((2, 1, 1), (2, 1, 0), (1, 1, 0), (1, 0, 0)):
        ExpertSessionFactory(
            host=inst["people"],
            visiting=inst["kmmu1"],
            date=day,
            status=SessionStatus.HELD,
            expert_count=experts,
            clinic=False,
            case_discussions=discussions,
            trainings=trainings,
            specialty=f"{day}",
        )
        day += datetime.timedelta(days=1)
    assert day <= datetime.date(2019, 6, 30)
    # Not counted: planned or cancelled, or outside the period.
    ExpertSessionFactory(
        host=inst["people"],
        visiting=inst["kmmu1"],
        date=datetime.date(2019, 7, 2),
        status=SessionStatus.HELD,
        outpatients=40,
        expert_count=3,
    )
    ExpertSessionFactory(
        host=inst["people"],
        visiting=inst["kmmu1"],
        date=datetime.date(2019, 3, 2),
        status=SessionStatus.CANCELLED,
        outpatients=0,
        expert_count=3,
    )
    ExpertSessionFactory(
        host=inst["people"],
        visiting=inst["kmmu1"],
        date=datetime.date(2019, 6, 28),
        status=SessionStatus.PLANNED,
        expert_count=3,
    )


def test_the_seed_figures_come_out_of_the_term(chuxiong, users, api_as):
    build_term(chuxiong)
    response = api_as(users.supervisor).get(
        URL, {"region": "532301", "start": "2019-01-01", "end": "2019-06-30"}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert {key: body[key] for key in SEED_002} == SEED_002
    assert body["remote_consultations"] == {"consultation": 0, "ecg": 0, "imaging": 0}
    assert body["reserved_slot_use_rate"] is None


def test_referrals_capacity_and_consultations(users, world, institutions, tree, api_as):
    county_hospital = institutions.county_hospital
    ReservedCapacityFactory(
        institution=county_hospital,
        week_start=datetime.date(2024, 5, 27),
        reserved_slots=3,
        slots_used=1,
        reserved_beds=2,
        beds_used=1,
    )
    ReservedCapacityFactory(  # another county's: not 元谋县's
        institution=institutions.other_county_hospital,
        week_start=datetime.date(2024, 5, 27),
        reserved_slots=50,
        slots_used=50,
    )
    ReferralFactory(
        member=world.referrals["village"].member,
        direction="down",
        from_institution=county_hospital,
        to_institution=institutions.township_centre,
        reserved=ReservedKind.NONE,
    )
    RemoteConsultationFactory(
        requesting=institutions.township_centre, reading=county_hospital, kind="imaging"
    )
    body = api_as(users.county_staff).get(URL, {"start": "2024-01-01", "end": "2024-12-31"}).json()
    # world: 元谋县's three village heads and 小雷宰's spouse referred up, plus one down.
    assert (body["referrals_up"], body["referrals_down"]) == (4, 1)
    # world's capacity is 10 slots and 3 beds at 元谋县人民医院 from 20 May, plus this week.
    assert (body["reserved_slots_offered"], body["reserved_slots_used"]) == (13, 1)
    assert (body["reserved_beds_offered"], body["reserved_beds_used"]) == (5, 1)
    assert body["reserved_slot_use_rate"] == "7.69"
    # world's ECG reads requested by 元马镇 and 黄瓜园镇, and this imaging read.
    assert body["remote_consultations"] == {"consultation": 0, "ecg": 2, "imaging": 1}
    # A township's figures: 元马镇's people and institutions only.
    township = (
        api_as(users.county_staff)
        .get(URL, {"region": tree.township.code, "start": "2024-01-01", "end": "2024-12-31"})
        .json()
    )
    assert (township["referrals_up"], township["reserved_slots_offered"]) == (2, 0)


@pytest.mark.parametrize(
    "role, region, status",
    [
        ("county_staff", "532328", 200),
        ("county_staff", "532322", 404),
        ("other_county_staff", "532328", 404),
        ("supervisor", "532322", 200),
        ("township_doctor", "532328102", 404),
        ("hospital_staff", "532328", 200),
    ],
)
def test_a_region_outside_the_scope_is_404(role, region, status, users, world, api_as):
    assert api_as(getattr(users, role)).get(URL, {"region": region}).status_code == status


def test_hospital_staff_see_their_own_institutions_figures(users, world, api_as):
    body = (
        api_as(users.hospital_staff).get(URL, {"start": "2024-01-01", "end": "2024-12-31"}).json()
    )
    # Referrals to 元谋县人民医院 of 元谋县's people (3), not 小雷宰's spouse's to the prefecture.
    assert body["referrals_up"] == 3
    assert body["reserved_slots_offered"] == 10


def test_bad_dates_are_400(users, api_as):
    response = api_as(users.county_staff).get(URL, {"start": "2024-13-01"})
    assert response.status_code == 400 and "start" in response.json()


def test_the_summary_runs_a_fixed_number_of_queries(
    users, world, institutions, tree, api_as, django_assert_num_queries
):
    api = api_as(users.supervisor)
    api.get(URL)
    params = {"start": "2024-01-01", "end": "2024-12-31"}
    ExpertSessionFactory(
        host=institutions.county_hospital,
        visiting=institutions.prefecture_hospital,
        date=datetime.date(2024, 2, 1),
        status=SessionStatus.HELD,
        outpatients=3,
    )
    # Held sessions by host, their hosts, referrals, capacity, consultations.
    with django_assert_num_queries(5):
        small = api.get(URL, params).json()
    for index in range(15):
        host = InstitutionFactory(kind=InstitutionKind.TOWNSHIP_CENTRE, region=tree.other_township)
        ExpertSessionFactory(
            host=host,
            visiting=institutions.county_hospital,
            date=datetime.date(2024, 3, 1) + datetime.timedelta(days=index),
            status=SessionStatus.HELD,
            outpatients=5,
            expert_count=1,
        )
    with django_assert_num_queries(5):
        large = api.get(URL, params).json()
    assert large["outpatients"] == small["outpatients"] + 75


def test_a_supervisor_in_another_role_reads_nothing_outside(tree, world, api_as):
    from healthaid.models import UserProfile
    from tests.healthaid.factories import UserFactory

    outsider = UserFactory(username="kunming")
    UserProfile.objects.create(user=outsider, role=Role.SUPERVISOR, region=tree.other_county)
    body = api_as(outsider).get(URL, {"start": "2024-01-01", "end": "2024-12-31"}).json()
    # 双柏县: 大庄村's referral only, and no held session.
    assert body["referrals_up"] == 1 and body["experts"] == 0
