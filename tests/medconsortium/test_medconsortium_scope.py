"""The scope matrix of the consortium app, generated: every role against every list and
record of every endpoint (and, below, every page).

Bureau staff, doctors and supervisors see by region (a referral by its member's village, a
session or capacity by its host's region, a consortium wherever one of its institutions
is); hospital staff see what involves their institution. Outside the scope: 404 for every
role, before any role check.
"""

import pytest

from tests.medconsortium.conftest import ROLES, VISIBLE

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "referrals": "/api/v1/referrals/",
    "sessions": "/api/v1/expert-sessions/",
    "consortia": "/api/v1/consortia/",
    "capacity": "/api/v1/reserved-capacity/",
    "exchanges": "/api/v1/trainee-exchanges/",
    "consultations": "/api/v1/remote-consultations/",
}
LIST_CASES = [(kind, role) for kind in ENDPOINTS for role in ROLES]
DETAIL_CASES = [(kind, key, role) for kind in ENDPOINTS for key in VISIBLE[kind] for role in ROLES]
# Commands on a referral, each with a body a permitted caller would send.
COMMANDS = {
    "accept": {},
    "reject": {"reason": "床位已满"},
    "admit": {"inpatient": True},
    "discharge": {"outcome": "好转"},
    "return-down": {"outcome": "回乡随访"},
    "cancel": {"reason": "患者改期"},
}
# Who may accept an up-referral to the county hospital (receiving side) and cancel it
# (sending side), within their scope; the services answer 403 to the others.
RECEIVERS = {"county_staff", "hospital_staff", "other_county_staff"}
SENDERS = {"county_staff", "township_doctor", "village_doctor", "other_county_staff"}


def records(world, kind):
    return getattr(world, {"capacity": "capacity"}.get(kind, kind))


@pytest.mark.parametrize("kind, role", LIST_CASES, ids=[f"{k}-{r}" for k, r in LIST_CASES])
def test_api_list_shows_exactly_the_scope(kind, role, users, world, api_as):
    response = api_as(getattr(users, role)).get(ENDPOINTS[kind], {"page_size": 500})
    assert response.status_code == 200
    shown = {row["id"] for row in response.json()["results"]}
    expected = {
        records(world, kind)[key].pk for key, roles in VISIBLE[kind].items() if role in roles
    }
    assert shown == expected


@pytest.mark.parametrize(
    "kind, key, role", DETAIL_CASES, ids=[f"{k}-{x}-{r}" for k, x, r in DETAIL_CASES]
)
def test_api_detail_is_404_outside_the_scope(kind, key, role, users, world, api_as):
    record = records(world, kind)[key]
    response = api_as(getattr(users, role)).get(f"{ENDPOINTS[kind]}{record.pk}/")
    assert response.status_code == (200 if role in VISIBLE[kind][key] else 404)


REFERRAL_CASES = [
    (command, key, role)
    for command in COMMANDS
    for key in ("village", "other_county_village")
    for role in ROLES
]


@pytest.mark.parametrize(
    "command, key, role",
    REFERRAL_CASES,
    ids=[f"{c}-{k}-{r}" for c, k, r in REFERRAL_CASES],
)
def test_api_referral_commands(command, key, role, users, world, api_as):
    """Supervisors never write (403); outside the scope is 404; inside, the side decides
    (403), then the transition (400 for a referral that is only requested)."""
    referral = world.referrals[key]
    response = api_as(getattr(users, role)).post(
        f"/api/v1/referrals/{referral.pk}/{command}/", COMMANDS[command], format="json"
    )
    if role == "supervisor":
        assert response.status_code == 403
        return
    if role not in VISIBLE["referrals"][key]:
        assert response.status_code == 404
        return
    receiving = command != "cancel"
    allowed_roles = RECEIVERS if receiving else SENDERS
    # 大庄村's referral goes to the prefecture hospital: the county hospital's staff are
    # not its receiver (and do not see it anyway).
    if role not in allowed_roles:
        assert response.status_code == 403
    elif command in ("accept", "reject", "cancel"):
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 400
        assert "status" in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_api_referral_request_by_role(role, users, world, registry, institutions, api_as):
    member = registry.spouses["village"]
    response = api_as(getattr(users, role)).post(
        "/api/v1/referrals/",
        {
            "member": member.pk,
            "to_institution": institutions.county_hospital.pk,
            "from_institution": institutions.township_centre.pk,
            "reason": "糖尿病血糖控制不佳",
        },
        format="json",
    )
    if role in ("supervisor", "hospital_staff"):
        assert response.status_code == 403
    elif role == "other_county_staff":
        # The member is outside their scope: the field does not accept it.
        assert response.status_code == 400 and "member" in response.json()
    else:
        assert response.status_code == 201, response.json()
        assert response.json()["member"] == member.pk


@pytest.mark.parametrize("role", ROLES)
def test_api_session_writes_by_role(role, users, world, institutions, api_as):
    response = api_as(getattr(users, role)).post(
        "/api/v1/expert-sessions/",
        {
            "host": institutions.county_hospital.pk,
            "visiting": institutions.prefecture_hospital.pk,
            "date": "2024-06-03",
            "half_day": "pm",
            "specialty": "骨科",
            "experts": [{"name": "钱济先", "title": "主任医师"}],
        },
        format="json",
    )
    expected = {"county_staff": 201, "hospital_staff": 201}.get(role, 403)
    assert response.status_code == expected, response.content
