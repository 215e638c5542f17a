"""Demo family-doctor teams, contracts and a year of follow-ups, after the households demo.

``seed(scale, context)``:

* **Teams**: each township health centre of a seeded county gets one team per village, as
  counties organise them: every village has exactly one family-doctor team, led by a doctor
  of the township health centre and including the village doctor (元谋县 at county scale:
  10 centres, 90 villages, 90 teams; the seed's 106 counts teams this demo's villages do not
  hold). No two teams cover the same village, so each team's contract rate is that of its
  village. The demo users 李建华 ("township") and 张秀英 ("village") are on the teams of
  their township's first village and of their village.
* **Contracts**: about 82% of the registered people, key groups (65 and over, 0–6,
  pregnant, disabled, the four 4-a-year diseases) at about 93% and the others lower; most
  are renewals of last year's contract, some expire within 30 days, a few were ended.
* **Follow-ups**: a year of visits for the scheduled diseases, at about 85% completion;
  some windows are missed (overdue) and some visited late.

Deterministic (seeded random streams, dates relative to today), idempotent (teams by
name, contracts only for members without one, visits only for members without any) and
bulk (``bulk_create`` in batches). With no households it creates the teams only.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contracts.choices import Adherence, ContractStatus, FollowUpPlace, ServicePackage
from contracts.models import Contract, DoctorTeam, FollowUp
from contracts.owed import rebuild_owed
from contracts.selectors import figures_changed, schedules_for, years_before
from contracts.services import (
    control_status_for,
    default_valid_to,
    follow_up_rules_sync_from_catalogue,
)
from healthaid.choices import RegionLevel, Role
from healthaid.models import Institution, Region, UserProfile
from healthaid.profiles import profiles_changed
from households.models import Household, Member, MemberDisease

YUANMOU = "532328"
BATCH = 2000
KEY_GROUP_RATE = 0.93
OVERALL_RATE = 0.82
COMPLETION = 0.85
LATE_SHARE_OF_MISSED = 0.35

SURNAMES = "李王张杨刘陈赵周黄罗普毕起鲁施苏段"
GIVEN = "建华秀英志强丽琼永明桂兰德林玉珍文军春梅国平海燕云华"
TERMINATION_REASONS = ["迁出本县", "死亡", "本人拒绝续约", "外出务工长期不在本地"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _counties(scale: str, villages: list[Region]) -> set[str]:
    counties = {YUANMOU}
    if scale == "prefecture":
        counties |= {v.code[:6] for v in villages}
    counties |= {
        code[:6]
        for code in Household.objects.order_by()
        .values_list("village_id", flat=True)
        .distinct()[:2000]
    }
    return counties


# --- teams ------------------------------------------------------------------------------------


def _users(specs: list[tuple[str, str, str, Region, Institution | None]]) -> dict[str, object]:
    """Create doctor accounts in bulk (no usable password: they are staff names, not logins)."""
    User = get_user_model()
    wanted = {spec[0] for spec in specs}
    existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
    unusable = make_password(None)
    new = [
        User(username=username, first_name=full_name, password=unusable)
        for username, full_name, _role, _region, _inst in specs
        if username not in existing
    ]
    User.objects.bulk_create(new, batch_size=BATCH)
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    with_profile = set(
        UserProfile.objects.filter(user__username__in=wanted).values_list(
            "user__username", flat=True
        )
    )
    UserProfile.objects.bulk_create(
        [
            UserProfile(user=users[username], role=role, region=region, institution=institution)
            for username, _name_, role, region, institution in specs
            if username not in with_profile
        ],
        batch_size=BATCH,
    )
    profiles_changed()  # bulk_create sends no post_save
    return users


@transaction.atomic
def seed_teams(scale: str, villages: list[Region]) -> int:
    """Teams of every township centre of the seeded counties; returns how many were created."""
    counties = _counties(scale, villages)
    by_township: dict[str, list[Region]] = defaultdict(list)
    for village in villages:
        if village.code[:6] in counties:
            by_township[village.code[:9]].append(village)
    centres = {
        inst.code[1:]: inst
        for inst in Institution.objects.filter(
            code__in=[f"T{code}" for code in by_township]
        ).select_related("region")
    }
    rng = random.Random(f"contracts-teams-{scale}")
    plans = []  # (centre, name, villages, leader username, village doctor usernames)
    specs = []
    for township9, township_villages in sorted(by_township.items()):
        centre = centres.get(township9)
        if centre is None:
            continue
        township_villages.sort(key=lambda v: v.code)
        township = centre.region
        for k, village in enumerate(township_villages, start=1):
            village_doctor = f"vd{village.code}"
            specs.append((village_doctor, _name(rng), Role.VILLAGE_DOCTOR, village, None))
            leader = f"td{township9}{k:02d}"
            specs.append((leader, _name(rng), Role.TOWNSHIP_DOCTOR, township, centre))
            plans.append(
                (centre, f"{township.name}第{k}家庭医生团队", [village], leader, [village_doctor])
            )
    if not plans:
        return 0
    users = _users(specs)
    existing = set(
        DoctorTeam.objects.filter(institution__in=centres.values()).values_list(
            "institution_id", "name"
        )
    )
    new_plans = [p for p in plans if (p[0].pk, p[1]) not in existing]
    teams = DoctorTeam.objects.bulk_create(
        [
            DoctorTeam(
                institution=centre,
                name=name,
                leader=users[leader],
                phone=centre.phone,
            )
            for centre, name, _covered, leader, _vds in new_plans
        ],
        batch_size=BATCH,
    )
    Villages = DoctorTeam.villages.through
    Staff = DoctorTeam.members.through
    Villages.objects.bulk_create(
        [
            Villages(doctorteam_id=team.pk, region_id=village.code)
            for team, plan in zip(teams, new_plans, strict=True)
            for village in plan[2]
        ],
        batch_size=BATCH,
    )
    Staff.objects.bulk_create(
        [
            Staff(doctorteam_id=team.pk, user_id=users[username].pk)
            for team, plan in zip(teams, new_plans, strict=True)
            for username in [plan[3], *plan[4]]
        ],
        batch_size=BATCH,
    )
    _place_demo_users()
    return len(teams)


def _place_demo_users() -> None:
    """李建华 ("township") joins the team of 元马镇's first village; 张秀英 ("village") her village's."""
    User = get_user_model()
    demo = {u.username: u for u in User.objects.filter(username__in=["township", "village"])}
    profiles = {
        p.user.username: p
        for p in UserProfile.objects.filter(user__in=demo.values()).select_related("user", "region")
    }
    township = profiles.get("township")
    if township is not None:
        for team in DoctorTeam.objects.filter(
            institution__region=township.region,
            villages__code=f"{township.region.prefix}201",
        ).distinct():
            team.members.add(township.user)
    village = profiles.get("village")
    if village is not None:
        for team in DoctorTeam.objects.filter(villages=village.region):
            team.members.add(village.user)


def query_regions(counties: set[str]) -> Q:
    query = Q(level=RegionLevel.VILLAGE) & Q(pk__in=[])
    for county in counties:
        query |= Q(level=RegionLevel.VILLAGE, code__startswith=county)
    return query


# --- contracts --------------------------------------------------------------------------------


def _key_members(member_ids: list[int]) -> set[int]:
    key4 = set()
    for offset in range(0, len(member_ids), 5000):
        key4 |= set(
            MemberDisease.objects.filter(
                Q(disease__category="key4") | Q(disease__follow_ups_per_year=4),
                member_id__in=member_ids[offset : offset + 5000],
            ).values_list("member_id", flat=True)
        )
    return key4


@transaction.atomic
def seed_contracts(counties: set[str], today: datetime.date) -> int:
    """Contracts for members of the counties that have none; returns how many were created."""
    query = Q()
    for county in counties:
        query |= Q(household__village__code__startswith=county)
    # Villages already seeded (any contract) are left alone, so a second run adds nothing.
    done = Contract.objects.filter(
        member__household__village__in=Region.objects.filter(query_regions(counties))
    ).values("member__household__village_id")
    rows = list(
        Member.objects.filter(query)
        .exclude(household__village_id__in=done)
        .order_by("household__village_id", "pk")
        .values_list("pk", "household__village_id", "birth_date", "pregnant", "disabled")
    )
    if not rows:
        return 0
    key4 = _key_members([r[0] for r in rows])
    old, young = years_before(today, 65), years_before(today, 7)
    key = {
        pk
        for pk, _v, birth, pregnant, disabled in rows
        if birth <= old or birth > young or pregnant or disabled or pk in key4
    }
    share = len(key) / len(rows)
    other_rate = max(0.0, min(1.0, (OVERALL_RATE - share * KEY_GROUP_RATE) / max(1e-9, 1 - share)))

    # village → [(team, leader, staff)]: one team in the demo; where a village has several (a
    # county's own setup), most people sign with the first and the others share the rest.
    covering = list(
        DoctorTeam.villages.through.objects.filter(region_id__in={r[1] for r in rows})
        .order_by("doctorteam_id")
        .values_list("doctorteam_id", "region_id")
    )
    team_ids = {team_id for team_id, _code in covering}
    leaders = dict(DoctorTeam.objects.filter(pk__in=team_ids).values_list("pk", "leader_id"))
    staff: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in (
        DoctorTeam.members.through.objects.filter(doctorteam_id__in=team_ids)
        .order_by("pk")
        .values_list("doctorteam_id", "user_id")
    ):
        staff[team_id].append(user_id)
    team_of: dict[str, list[tuple[int, int, list[int]]]] = defaultdict(list)
    for team_id, code in covering:
        leader = leaders[team_id] or staff[team_id][0]
        team_of[code].append((team_id, leader, staff[team_id] or [leader]))
    renewals: list[tuple[Contract, dict]] = []
    singles: list[Contract] = []
    rng, rng_village = None, None
    for pk, village, _birth, _pregnant, _disabled in rows:
        if village != rng_village:  # one stream per village: the same village, the same data
            rng, rng_village = random.Random(f"contracts-{village}"), village
        teams = team_of.get(village)
        if not teams:
            continue
        if rng.random() >= (KEY_GROUP_RATE if pk in key else other_rate):
            continue
        team_id, leader_id, staff = teams[0] if rng.random() < 0.85 else rng.choice(teams)
        doctors = [u for u in staff if u != leader_id] or [leader_id]
        doctor_id = rng.choice(doctors)
        package = ServicePackage.PERSONALISED if rng.random() < 0.12 else ServicePackage.BASIC
        roll = rng.random()
        if roll < 0.08:  # last year's contract, not yet renewed: expires within 30 days
            signed = today - datetime.timedelta(days=rng.randint(336, 364))
            singles.append(_contract(pk, team_id, doctor_id, signed, package))
        elif roll < 0.14:  # newly signed this year
            signed = today - datetime.timedelta(days=rng.randint(5, 300))
            contract = _contract(pk, team_id, doctor_id, signed, package)
            if rng.random() < 0.05:
                contract.status = ContractStatus.TERMINATED
                contract.terminated_on = min(today, signed + datetime.timedelta(days=60))
                contract.termination_reason = rng.choice(TERMINATION_REASONS)
            singles.append(contract)
        else:  # a renewal: last year's contract, then this year's
            first = today - datetime.timedelta(days=rng.randint(366, 540))
            renewal_from = default_valid_to(first) + datetime.timedelta(days=1)
            current = _contract(pk, team_id, doctor_id, renewal_from, package)
            current.signed_on = renewal_from - datetime.timedelta(days=rng.randint(0, 20))
            renewals.append((current, {"signed": first}))
    created = Contract.objects.bulk_create(
        singles + [c for c, _extra in renewals], batch_size=BATCH
    )
    current_rows = created[len(singles) :]
    previous = []
    for current, (_c, extra) in zip(current_rows, renewals, strict=True):
        contract = _contract(
            current.member_id, current.team_id, current.doctor_id, extra["signed"], current.package
        )
        contract.status = ContractStatus.EXPIRED
        contract.renewed_as_id = current.pk
        previous.append(contract)
    Contract.objects.bulk_create(previous, batch_size=BATCH)
    # Contracts whose year is already over are expired, as the daily task would have it.
    Contract.objects.filter(
        member_id__in=[r[0] for r in rows], status=ContractStatus.ACTIVE, valid_to__lt=today
    ).update(status=ContractStatus.EXPIRED)
    return len(created) + len(previous)


def _contract(member_id, team_id, doctor_id, signed: datetime.date, package: str) -> Contract:
    return Contract(
        member_id=member_id,
        team_id=team_id,
        doctor_id=doctor_id,
        signed_on=signed,
        valid_from=signed,
        valid_to=default_valid_to(signed),
        package=package,
        status=ContractStatus.ACTIVE,
    )


# --- follow-ups -------------------------------------------------------------------------------


def _measurements(rng: random.Random, codes: set[str]) -> dict:
    values: dict = {}
    if "hypertension" in codes:
        values["systolic"] = max(95, min(210, int(rng.gauss(136, 15))))
        values["diastolic"] = max(55, min(values["systolic"] - 25, int(rng.gauss(84, 9))))
    if "t2dm" in codes:
        values["fasting_glucose"] = round(max(4.0, min(18.0, rng.gauss(6.9, 1.4))), 1)
    if values:
        values["heart_rate"] = int(rng.gauss(76, 8))
        values["adherence"] = rng.choices(
            [Adherence.REGULAR, Adherence.INTERMITTENT, Adherence.NONE], weights=[70, 22, 8]
        )[0]
    return values


@transaction.atomic
def seed_followups(counties: set[str], today: datetime.date) -> int:
    """A year of visits for contracted members with scheduled diseases and no visits yet."""
    query = Q()
    for county in counties:
        query |= Q(household__village__code__startswith=county)
    done = FollowUp.objects.filter(
        member__household__village__in=Region.objects.filter(query_regions(counties))
    ).values("member__household__village_id")
    members = Member.objects.filter(query).exclude(household__village_id__in=done)
    start = today - datetime.timedelta(days=364)
    schedules = schedules_for(members, start=start, end=today, today=today)
    if not schedules:
        return 0
    member_ids = list(schedules)
    codes: dict[int, set[str]] = defaultdict(set)
    disease_code: dict[int, str] = {}
    for offset in range(0, len(member_ids), 5000):
        for member_id, disease_id, code in MemberDisease.objects.filter(
            member_id__in=member_ids[offset : offset + 5000]
        ).values_list("member_id", "disease_id", "disease__code"):
            codes[member_id].add(code)
            disease_code[disease_id] = code
    contracts = {}
    for offset in range(0, len(member_ids), 5000):
        for pk, valid_from, doctor_id in Contract.objects.filter(
            member_id__in=member_ids[offset : offset + 5000]
        ).values_list("pk", "valid_from", "doctor_id"):
            contracts[pk] = (valid_from, doctor_id)
    places = [FollowUpPlace.HOME, FollowUpPlace.CLINIC, FollowUpPlace.PHONE]
    objects: list[FollowUp] = []
    rng, rng_village = None, None
    for member_id in sorted(schedules, key=lambda m: (schedules[m].village_id, m)):
        if schedules[member_id].village_id != rng_village:
            rng_village = schedules[member_id].village_id
            rng = random.Random(f"followups-{rng_village}")
        taken: set[datetime.date] = set()
        for window in schedules[member_id].windows:
            if window.status == "upcoming":
                continue
            valid_from, doctor_id = contracts.get(window.contract_id, (window.start, None))
            first = max(window.start, valid_from)
            last = min(window.end, today)
            if first > last:
                continue
            if window.status == "due":
                elapsed = (today - window.start).days / max(1, (window.end - window.start).days)
                if rng.random() >= COMPLETION * min(1.0, elapsed * 1.3):
                    continue
                day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
            elif rng.random() < COMPLETION:
                day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
            elif rng.random() < LATE_SHARE_OF_MISSED:
                day = window.end + datetime.timedelta(days=rng.randint(1, 30))
                if day > today:
                    continue
            else:
                continue
            if day in taken:
                continue
            taken.add(day)
            disease_id = window.disease_ids[0]
            values = _measurements(rng, codes[member_id])
            objects.append(
                FollowUp(
                    member_id=member_id,
                    contract_id=window.contract_id,
                    doctor_id=doctor_id,
                    visited_on=day,
                    disease_id=disease_id,
                    place=rng.choices(places, weights=[55, 35, 10])[0],
                    control_status=control_status_for(
                        disease_codes=codes[member_id],
                        systolic=values.get("systolic"),
                        diastolic=values.get("diastolic"),
                        fasting_glucose=values.get("fasting_glucose"),
                    ),
                    next_visit_on=day
                    + datetime.timedelta(days=90 if window.per_year == 4 else 365),
                    **values,
                )
            )
    FollowUp.objects.bulk_create(objects, batch_size=BATCH)
    return len(objects)


def seed(scale: str, context: dict) -> str:
    """Teams, contracts and follow-ups for the demo; returns a one-line summary."""
    started = time.monotonic()
    follow_up_rules_sync_from_catalogue()
    today = timezone.localdate()
    villages = [v for v in context.get("villages", []) if v.level == RegionLevel.VILLAGE]
    teams = seed_teams(scale, villages)
    counties = _counties(scale, villages)
    contracts = seed_contracts(counties, today)
    follow_ups = seed_followups(counties, today)
    if contracts or follow_ups:
        with transaction.atomic():
            rebuild_owed()
    figures_changed()
    if not (teams or contracts or follow_ups):
        return "contracts already seeded; nothing added"
    return (
        f"{teams} teams, {contracts} contracts, {follow_ups} follow-ups "
        f"in {time.monotonic() - started:.1f}s"
    )
