"""Demo screenings, check-ups, prescriptions, a five-ones campaign and free clinics in 元谋县,
after the households and contracts demos.

``seed(scale, context)``:

* **Free clinics of H1 2019** (seed 002): 21 sessions by the 4 党员服务先锋队 of the county's
  units in 15 villages (the villages about to leave poverty), whose totals are the seed's
  figures exactly: 158 staff person-times, 1,685 people served, 4,908 leaflets, drugs
  8,344.59 yuan, services 41,468 yuan, 49,812.59 in all; and the target list "two rounds in
  each of the 15 villages" for that half year, six of which had both rounds.
* **A five-ones campaign** (seed 000's items and phases, dated around today so that the
  implementation phase has just ended): one work team per township, of the county hospital,
  the TCM hospital or the township health centre, assigned to the township's villages; about
  three households in four got the handbook, two in three a screening in the window and
  close to half a health prescription; contracts and 亲情号码 come from the other demos.
* **Half a year of screenings and check-ups**: screenings of about a quarter of the people
  in the last six months (about one in six with a high blood pressure or glucose, the
  unknown ones on the suspected list), check-ups of about 55% of the people this half year
  and 60% the half before.

Deterministic and idempotent (each part is skipped when its rows are there); bulk inserts.
"""

from __future__ import annotations

import datetime
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from healthaid.models import Institution, Region
from households.choices import Relation
from households.models import Household, Member, MemberDisease
from screening.choices import CampaignTarget, PhaseKind, SuspicionStatus
from screening.models import (
    Campaign,
    CheckUp,
    FreeClinic,
    FreeClinicTarget,
    HouseholdItem,
    IssuedPrescription,
    Prescription,
    Screening,
    Suspicion,
    WorkTeam,
)
from screening.services import (
    active_items,
    bmi_of,
    campaign_create,
    evaluate,
    half_bounds,
    half_of,
    screening_catalogue_sync,
)
from screening.states import rebuild_campaign_states

YUANMOU = "532328"
BATCH = 2000
CAMPAIGN_NAME = "元谋县健康扶贫“五个一”活动"
TARGET_NAME = "2019年上半年预脱贫出列15个贫困村义诊（每村2轮）"

# Seed 002: 元谋县, first half of 2019.
SEED_002 = {
    "sessions": 21,
    "staff_times": 158,
    "served": 1685,
    "leaflets": 4908,
    "drug_value": Decimal("8344.59"),
    "service_value": Decimal("41468.00"),
}
UNITS = (
    "元谋县人民医院党员服务先锋队",
    "元谋县中医医院党员服务先锋队",
    "元谋县妇幼保健院党员服务先锋队",
    "元谋县疾病预防控制中心党员服务先锋队",
)


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` in whole parts by ``weights``, largest remainders first: the parts sum to it."""
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def free_clinic_rows(villages: list[Region]) -> list[dict]:
    """The 21 free clinics of H1 2019 over 15 villages (6 of them twice), with the seed's
    totals; deterministic. ``villages`` are the 15 (or fewer, reused) target villages."""
    rng = random.Random("free-clinics-2019h1")
    n = SEED_002["sessions"]
    weights = [rng.uniform(0.7, 1.3) for _ in range(n)]
    staff = split(SEED_002["staff_times"], weights)
    served = split(SEED_002["served"], [w * rng.uniform(0.9, 1.1) for w in weights])
    leaflets = split(SEED_002["leaflets"], [w * rng.uniform(0.9, 1.1) for w in weights])
    drugs = split(int(SEED_002["drug_value"] * 100), [w * rng.uniform(0.8, 1.2) for w in weights])
    services = split(int(SEED_002["service_value"] * 100), weights)
    rows = []
    for i in range(n):
        first_round = i < 15
        village = (
            villages[i % len(villages)] if first_round else villages[(i - 15) * 2 % len(villages)]
        )
        day = (
            datetime.date(2019, 1, 8) + datetime.timedelta(days=5 * i)
            if first_round
            else datetime.date(2019, 4, 10) + datetime.timedelta(days=9 * (i - 15))
        )
        rows.append(
            {
                "held_on": day,
                "village": village,
                "unit_name": UNITS[i % 4].removesuffix("党员服务先锋队"),
                "team_name": "党员服务先锋队",
                "staff_times": staff[i],
                "served": served[i],
                "leaflets": leaflets[i],
                "drug_value": Decimal(drugs[i]) / 100,
                "service_value": Decimal(services[i]) / 100,
                # Service value counted at round yuan, as the units report it.
                "notes": "测血压、血糖，健康咨询，发放宣传材料和常用药品",
            }
        )
    return rows


def _county_user():
    return get_user_model().objects.filter(username="county").first()


def seed_free_clinics(villages: list[Region], by) -> int:
    county = Region.objects.filter(code=f"{YUANMOU}000000").first()
    ours = sorted((v for v in villages if v.code.startswith(YUANMOU)), key=lambda v: v.code)
    if county is None or not ours:
        return 0
    # The 15 villages about to leave poverty: spread over the townships.
    targets = ours[:: max(1, len(ours) // 15)][:15]
    added = 0
    if not FreeClinic.objects.filter(
        village__code__startswith=YUANMOU,
        held_on__range=(datetime.date(2019, 1, 1), datetime.date(2019, 6, 30)),
    ).exists():
        rows = free_clinic_rows(targets)
        FreeClinic.objects.bulk_create([FreeClinic(created_by=by, **row) for row in rows])
        added = len(rows)
    if not FreeClinicTarget.objects.filter(name=TARGET_NAME).exists():
        target = FreeClinicTarget.objects.create(
            name=TARGET_NAME,
            county=county,
            starts_on=datetime.date(2019, 1, 1),
            ends_on=datetime.date(2019, 6, 30),
            rounds=2,
            created_by=by,
        )
        target.villages.set(targets)
    return added


def _targeted(county_prefix: str):
    return Household.objects.filter(village__code__startswith=county_prefix).filter(
        Q(illness_caused=True) | Q(illness_returned=True)
    )


def seed_campaign(today: datetime.date, by) -> tuple[int, int]:
    """The campaign, its teams and the marks; returns (teams, marks) created."""
    county = Region.objects.filter(code=f"{YUANMOU}000000").first()
    if county is None or Campaign.objects.filter(name=CAMPAIGN_NAME, county=county).exists():
        return 0, 0
    start = today - datetime.timedelta(days=40)
    implement_end = today - datetime.timedelta(days=10)
    campaign = campaign_create(
        name=CAMPAIGN_NAME,
        county=county,
        target=CampaignTarget.ILLNESS,
        phases=[
            (PhaseKind.MOBILISE, start, start + datetime.timedelta(days=1)),
            (PhaseKind.IMPLEMENT, start + datetime.timedelta(days=1), implement_end),
            (
                PhaseKind.SUMMARISE,
                implement_end + datetime.timedelta(days=1),
                today + datetime.timedelta(days=5),
            ),
        ],
        by=by,
    )
    townships = list(Region.objects.filter(code__startswith=YUANMOU, level=9).order_by("code"))
    villages_of: dict[str, list[str]] = {}
    for code in Region.objects.filter(code__startswith=YUANMOU, level=12).values_list(
        "code", flat=True
    ):
        villages_of.setdefault(code[:9], []).append(code)
    institutions = {i.code: i for i in Institution.objects.filter(code__contains=YUANMOU)}
    doctors = {u.username: u for u in get_user_model().objects.filter(username="township")}
    teams = []
    for index, township in enumerate(townships):
        if index == 0:
            unit = institutions.get(f"H{YUANMOU}01")
            name = "县医院工作队"
        elif index == 1:
            unit = institutions.get(f"H{YUANMOU}02")
            name = "县中医医院工作队"
        else:
            unit = institutions.get(f"T{township.code[:9]}")
            name = f"{township.name}卫生院工作队"
        team = WorkTeam.objects.create(
            campaign=campaign,
            name=name,
            unit=unit,
            unit_name=unit.name if unit else f"{township.name}卫生院",
            phone=unit.phone if unit else "",
            created_by=by,
        )
        team.villages.set(villages_of.get(township.code[:9], []))
        if township.code.startswith("532328101") and "township" in doctors:
            team.members.add(doctors["township"])
            team.leader = doctors["township"]
            team.save(update_fields=["leader"])
        teams.append(team)

    items = {item.order: item for item in campaign.items.all()}
    rng = random.Random("five-ones-demo")
    window = (campaign.starts_on, implement_end)
    span = (window[1] - window[0]).days
    households = list(_targeted(YUANMOU).order_by("pk").values_list("pk", flat=True))
    heads = dict(
        Member.objects.filter(household_id__in=households, relation=Relation.HEAD)
        .order_by("household_id", "pk")
        .values_list("household_id", "pk")
    )
    diseases = {}
    for member_id, code in MemberDisease.objects.filter(
        member__household_id__in=households
    ).values_list("member_id", "disease__code"):
        diseases.setdefault(member_id, code)
    prescriptions = {p.disease.code: p for p in Prescription.objects.select_related("disease")}
    default_rx = prescriptions.get("hypertension")
    marks, screenings, issued = [], [], []
    items_list = active_items()
    for household_id in households:
        day = window[0] + datetime.timedelta(days=rng.randint(0, span))
        if rng.random() < 0.75:
            marks.append(
                HouseholdItem(
                    campaign=campaign,
                    household_id=household_id,
                    item=items[1],
                    done_on=day,
                    done_by=by,
                    evidence="健康手册签收表",
                    created_by=by,
                )
            )
        head = heads.get(household_id)
        if head is None:
            continue
        if rng.random() < 0.66:
            screenings.append(_screening(rng, head, day, items_list, by))
        if default_rx is not None and rng.random() < 0.46:
            rx = prescriptions.get(diseases.get(head, ""), default_rx)
            issued.append(
                IssuedPrescription(
                    member_id=head, prescription=rx, issued_on=day, doctor=by, created_by=by
                )
            )
    HouseholdItem.objects.bulk_create(marks, batch_size=BATCH)
    _save_screenings(screenings)
    IssuedPrescription.objects.bulk_create(issued, batch_size=BATCH)
    return len(teams), len(marks)


def _screening(rng: random.Random, member_id: int, day, items, by) -> Screening:
    high = rng.random() < 0.16
    systolic = rng.randint(142, 178) if high and rng.random() < 0.7 else rng.randint(102, 136)
    diastolic = min(systolic - 30, rng.randint(92, 104) if systolic >= 140 else rng.randint(64, 86))
    glucose = (
        Decimal(rng.randint(71, 115)) / 10
        if high and rng.random() < 0.4
        else Decimal(rng.randint(42, 64)) / 10
    )
    height = Decimal(rng.randint(148, 176))
    weight = Decimal(rng.randint(42, 70))
    bmi = bmi_of(height, weight)
    values = {"systolic": systolic, "diastolic": diastolic, "fasting_glucose": glucose, "bmi": bmi}
    abnormal = evaluate(values, items)
    return Screening(
        member_id=member_id,
        screened_on=day,
        place="村卫生室",
        doctor=by,
        systolic=systolic,
        diastolic=diastolic,
        fasting_glucose=glucose,
        height=height,
        weight=weight,
        bmi=bmi,
        abnormal_items=abnormal,
        abnormal=bool(abnormal),
        advice="低盐低脂饮食，一月后复查" if abnormal else "",
        created_by=by,
    )


def _save_screenings(screenings: list[Screening]) -> None:
    """Insert the screenings and open a suspicion for each abnormal item's disease the member
    does not have (one per member and disease), as ``screening.services`` does one by one."""
    created = Screening.objects.bulk_create(screenings, batch_size=BATCH)
    items = {i.code: i.disease_id for i in active_items() if i.disease_id}
    abnormal = [s for s in created if s.abnormal]
    known = set(
        MemberDisease.objects.filter(member_id__in={s.member_id for s in abnormal}).values_list(
            "member_id", "disease_id"
        )
    )
    open_ = set(
        Suspicion.objects.filter(status=SuspicionStatus.TO_CONFIRM).values_list(
            "member_id", "disease_id"
        )
    )
    rows = []
    for screening in abnormal:
        for code in screening.abnormal_items:
            key = (screening.member_id, items.get(code))
            if key[1] is None or key in known or key in open_:
                continue
            open_.add(key)
            rows.append(
                Suspicion(
                    member_id=screening.member_id,
                    screening=screening,
                    disease_id=key[1],
                    created_by=screening.created_by,
                )
            )
    Suspicion.objects.bulk_create(rows, batch_size=BATCH)


def seed_screenings(today: datetime.date, by) -> tuple[int, int]:
    """Half a year of screenings and two halves of check-ups in 元谋县."""
    members = Member.objects.filter(household__village__code__startswith=YUANMOU)
    if (
        Screening.objects.filter(
            member__household__village__code__startswith=YUANMOU,
            screened_on__lt=today - datetime.timedelta(days=41),
        ).exists()
        or CheckUp.objects.filter(member__household__village__code__startswith=YUANMOU).exists()
    ):
        return 0, 0
    ids = list(members.order_by("pk").values_list("pk", flat=True))
    rng = random.Random("screenings-demo")
    items = active_items()
    screenings = [
        _screening(rng, member_id, today - datetime.timedelta(days=rng.randint(41, 182)), items, by)
        for member_id in ids
        if rng.random() < 0.25
    ]
    _save_screenings(screenings)
    year, half = half_of(today)
    previous = (year, 1) if half == 2 else (year - 1, 2)
    check_ups = []
    for (y, h), share in (((year, half), 0.55), (previous, 0.60)):
        first, last = half_bounds(y, h)
        last = min(last, today)
        days = (last - first).days
        for member_id in ids:
            if rng.random() >= share:
                continue
            systolic = rng.randint(100, 160)
            check_ups.append(
                CheckUp(
                    member_id=member_id,
                    year=y,
                    half=h,
                    checked_on=first + datetime.timedelta(days=rng.randint(0, days)),
                    doctor=by,
                    systolic=systolic,
                    diastolic=min(systolic - 30, rng.randint(60, 95)),
                    fasting_glucose=Decimal(rng.randint(40, 90)) / 10,
                    heart_rate=rng.randint(60, 96),
                    blood_routine="normal",
                    urine_routine="normal",
                    ecg="normal" if rng.random() < 0.9 else "abnormal",
                    conclusion="未见明显异常" if systolic < 140 else "血压偏高，建议复查",
                    created_by=by,
                )
            )
    CheckUp.objects.bulk_create(check_ups, batch_size=BATCH)
    return len(screenings), len(check_ups)


def seed(scale: str, context: dict) -> str:
    """Screening demo data in 元谋县; returns a one-line summary."""
    started = time.monotonic()
    screening_catalogue_sync()
    today = timezone.localdate()
    by = _county_user()
    villages = [v for v in context.get("villages", []) if v.level == 12]
    with transaction.atomic():
        clinics = seed_free_clinics(villages, by)
        teams, marks = seed_campaign(today, by)
        screenings, check_ups = seed_screenings(today, by)
        # The records above were written in bulk, past the services: derive the item
        # states of every campaign once, at the end.
        for campaign in Campaign.objects.select_related("county"):
            rebuild_campaign_states(campaign)
    if not (clinics or teams or screenings or check_ups):
        return "screening already seeded; nothing added"
    return (
        f"{clinics} free clinics, campaign with {teams} work teams and {marks} handbook marks, "
        f"{screenings} screenings, {check_ups} check-ups in {time.monotonic() - started:.1f}s"
    )
