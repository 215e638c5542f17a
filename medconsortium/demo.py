"""Demo consortia, expert sessions, capacity and referrals, after the registry and contracts.

``seed(scale, context)``:

* **Consortia the seeds name**: 元谋县人民医院's 军民融合医疗联合体 with 唐都医院 (seed 000,
  signed 24 October 2016); 楚雄市人民医院's 1+10 and 楚雄市中医医院's 1+5 医共体 over
  楚雄市's 15 township health centres (seed 002); the 医联体 of 昆医附一院 with both, the
  teams of 省第二人民医院 (胡竹林) and 昆医附二院 (李炯明), the 心电、影像诊疗平台 and the
  眼科、妇产科专科联盟 (seed 002). Township centres 楚雄市 has beyond the demo tree's three
  townships are created at the county's region.
* **The 2019 H1 term** (seed 002): 40 held sessions of those three hospitals at
  楚雄市人民医院 and 楚雄市中医医院 whose totals are the briefing's: 54 experts, 36
  outpatient sessions, 500 patients, 112 teaching-round and 215 case-discussion
  person-times, 10 surgeries taught, 77 trainings (the briefing gives no people-trained
  figure for them: 0), and some remote ECG and imaging reads.
* **A timetable** (seed 001 asks for it): the next four weeks of 楚雄州人民医院's experts at
  each seeded county's people's hospital, 唐都医院's at 元谋县人民医院, and the county
  hospital's at 元马镇卫生院; and this year's held sessions so far.
* **Reserved capacity** at the seeded counties' hospitals and 楚雄州人民医院, from four weeks
  back to four weeks ahead (20% of expert appointments, 10% of beds), and **referrals** of
  元马镇's people through the services: requested with a reserved slot or bed, accepted,
  admitted, seen, discharged, returned down, rejected.

Deterministic and idempotent: consortia by name, sessions by (host, visiting, date,
half-day, specialty), capacity by (institution, week), referrals only where none exist.
"""

from __future__ import annotations

import datetime
import itertools
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from healthaid.choices import InstitutionKind, InstitutionLevel
from healthaid.models import Institution
from households.models import Member
from medconsortium import services
from medconsortium.choices import HalfDay, ReservedKind, SessionStatus
from medconsortium.models import (
    Consortium,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
)

CHUXIONG = "532301"
YUANMOU = "532328"
TANGDU = "H610100001"
KMMU1 = "H530100001"  # 昆明医科大学第一附属医院
YN2 = "H530100002"  # 云南省第二人民医院
KM_MCH = "H530100003"  # 昆明市妇幼保健院
KMMU2 = "H530100004"  # 昆明医科大学第二附属医院 (created here)
PREFECTURE_HOSPITAL = "H532300001"
CX_PEOPLE = "H53230101"
CX_TCM = "H53230102"
# 楚雄市's 15 townships: 1+10 with the people's hospital, 1+5 with the TCM hospital.
CX_TOWNSHIPS_PEOPLE = [
    "东瓜镇",
    "吕合镇",
    "紫溪镇",
    "东华镇",
    "子午镇",
    "苍岭镇",
    "三街镇",
    "八角镇",
    "中山镇",
    "新村镇",
]
CX_TOWNSHIPS_TCM = ["鹿城镇", "树苴乡", "大过口乡", "大地基乡", "西舍路镇"]
H1_2019 = (datetime.date(2019, 1, 1), datetime.date(2019, 6, 30))
# The briefing's figures for the term, which the generated sessions add up to.
TERM_TOTALS = {
    "experts": 54,
    "sessions": 36,
    "outpatients": 500,
    "teaching_rounds": 112,
    "case_discussions": 215,
    "surgeries_taught": 10,
    "trainings": 77,
}
TERM_SESSIONS = 40
SPECIALTIES = ["心血管内科", "神经内科", "眼科", "妇产科", "骨科", "消化内科", "呼吸内科", "儿科"]
EXPERTS = {
    KMMU1: [
        ("王建国", "主任医师"),
        ("李红梅", "副主任医师"),
        ("赵永刚", "主任医师"),
        ("孙丽", "副主任医师"),
    ],
    YN2: [("胡竹林", "教授"), ("杨晓东", "主任医师"), ("周敏", "副主任医师")],
    KMMU2: [("李炯明", "教授"), ("陈志华", "主任医师"), ("刘芳", "副主任医师")],
    PREFECTURE_HOSPITAL: [("普建华", "主任医师"), ("鲁春梅", "副主任医师"), ("施德林", "主任医师")],
    TANGDU: [("钱济先", "教授"), ("马伟", "主任医师")],
}


def _spread(total: int, parts: int, high_first: bool = True) -> list[int]:
    """``total`` over ``parts`` as evenly as whole numbers go (the larger ones first)."""
    base, extra = divmod(total, parts)
    values = [base + 1] * extra + [base] * (parts - extra)
    return values if high_first else values[::-1]


def term_sessions() -> list[dict]:
    """The 40 sessions of 楚雄市's 2019 H1 term, whose figures add up to ``TERM_TOTALS``."""
    n = TERM_SESSIONS
    clinics = [True] * TERM_TOTALS["sessions"] + [False] * (n - TERM_TOTALS["sessions"])
    outpatients = _spread(TERM_TOTALS["outpatients"], TERM_TOTALS["sessions"]) + [0] * (
        n - TERM_TOTALS["sessions"]
    )
    experts = _spread(TERM_TOTALS["experts"], n)
    rounds = _spread(TERM_TOTALS["teaching_rounds"], n)
    discussions = _spread(TERM_TOTALS["case_discussions"], n, high_first=False)
    surgeries = [1] * TERM_TOTALS["surgeries_taught"] + [0] * (n - TERM_TOTALS["surgeries_taught"])
    trainings = _spread(TERM_TOTALS["trainings"], n)
    visiting = [KMMU1, YN2, KMMU2]
    hosts = [CX_PEOPLE, CX_PEOPLE, CX_TCM]
    day = datetime.date(2019, 1, 8)
    rows = []
    for index in range(n):
        team = visiting[index % 3]
        names = EXPERTS[team]
        rows.append(
            {
                "visiting": team,
                "host": hosts[index % 3],
                "date": day,
                "half_day": HalfDay.MORNING if index % 2 == 0 else HalfDay.AFTERNOON,
                "specialty": SPECIALTIES[index % len(SPECIALTIES)],
                "experts": [
                    {
                        "name": names[(index + k) % len(names)][0],
                        "title": names[(index + k) % len(names)][1],
                    }
                    for k in range(experts[index])
                ],
                "expert_count": experts[index],
                "clinic": clinics[index],
                "outpatients": outpatients[index],
                "teaching_rounds": rounds[index],
                "case_discussions": discussions[index],
                "surgeries_taught": surgeries[index],
                "trainings": trainings[index],
            }
        )
        day += datetime.timedelta(days=4)  # 40 sessions from 8 January to 13 June
    return rows


def _institutions() -> dict[str, Institution]:
    Institution.objects.get_or_create(
        code=KMMU2,
        defaults={
            "name": "昆明医科大学第二附属医院",
            "kind": InstitutionKind.TERTIARY_HOSPITAL,
            "level": InstitutionLevel.GRADE_3A,
            "region_id": "530100000000",
            "phone": "0871-63402000",
        },
    )
    existing = {i.name: i for i in Institution.objects.filter(code__startswith=f"T{CHUXIONG}")}
    for index, township in enumerate(CX_TOWNSHIPS_PEOPLE + CX_TOWNSHIPS_TCM, start=1):
        name = f"{township}卫生院"
        if name not in existing:
            # Beyond the demo tree's townships: the centre sits at the county's region.
            Institution.objects.create(
                code=f"T{CHUXIONG}9{index:02d}",
                name=name,
                kind=InstitutionKind.TOWNSHIP_CENTRE,
                level=InstitutionLevel.GRADE_1,
                region_id=f"{CHUXIONG}000000",
            )
    return {i.code: i for i in Institution.objects.all() if not i.code.startswith("V")}


def _consortium(name, kind, lead, members, signed_on, items):
    if Consortium.objects.filter(lead=lead, name=name).exists():
        return Consortium.objects.get(lead=lead, name=name)
    return services.consortium_create(
        name=name,
        kind=kind,
        lead=lead,
        signed_on=signed_on,
        members=[{"institution": m, "joined_on": signed_on, "items": items} for m in members],
        by=None,
    )


def seed_consortia(inst: dict[str, Institution]) -> dict[str, Consortium]:
    by_name = {i.name: i for i in inst.values()}
    people = [by_name[f"{t}卫生院"] for t in CX_TOWNSHIPS_PEOPLE]
    tcm = [by_name[f"{t}卫生院"] for t in CX_TOWNSHIPS_TCM]
    return {
        "tangdu": _consortium(
            "军民融合医疗联合体",
            "alliance",
            inst[TANGDU],
            [inst[f"H{YUANMOU}01"]],
            datetime.date(2016, 10, 24),
            ["expert_sessions", "training", "referral"],
        ),
        "cx_people": _consortium(
            "楚雄市人民医院医共体",
            "community",
            inst[CX_PEOPLE],
            people,
            datetime.date(2018, 12, 28),
            ["expert_sessions", "training", "referral", "remote_ecg"],
        ),
        "cx_tcm": _consortium(
            "楚雄市中医医院医共体",
            "community",
            inst[CX_TCM],
            tcm,
            datetime.date(2018, 12, 28),
            ["expert_sessions", "training", "referral"],
        ),
        "kmmu1": _consortium(
            "昆医附一院医联体",
            "alliance",
            inst[KMMU1],
            [inst[CX_PEOPLE], inst[CX_TCM]],
            datetime.date(2018, 6, 1),
            ["expert_sessions", "remote_consultation", "training", "referral"],
        ),
        "yn2": _consortium(
            "省第二人民医院胡竹林教授团队帮扶",
            "alliance",
            inst[YN2],
            [inst[CX_PEOPLE]],
            datetime.date(2018, 9, 1),
            ["expert_sessions", "training"],
        ),
        "kmmu2": _consortium(
            "昆医附二院李炯明教授团队帮扶",
            "alliance",
            inst[KMMU2],
            [inst[CX_PEOPLE], inst[CX_TCM]],
            datetime.date(2018, 9, 1),
            ["expert_sessions", "training"],
        ),
        "platform": _consortium(
            "楚雄市心电、影像诊疗平台",
            "telemedicine",
            inst[CX_PEOPLE],
            [inst[KMMU1], inst[YN2], inst[KM_MCH], inst[PREFECTURE_HOSPITAL]],
            datetime.date(2018, 10, 1),
            ["remote_ecg", "remote_imaging", "remote_consultation"],
        ),
        "specialty": _consortium(
            "楚雄市眼科、妇产科专科联盟",
            "specialty",
            inst[CX_PEOPLE],
            [inst[KM_MCH], inst[PREFECTURE_HOSPITAL]],
            datetime.date(2018, 10, 1),
            ["specialty_alliance", "training"],
        ),
    }


def _new_sessions(rows: list[ExpertSession]) -> int:
    """Insert the sessions not there yet (by host, visiting, date, half-day, specialty)."""
    if not rows:
        return 0
    dates = [r.date for r in rows]
    existing = set(
        ExpertSession.objects.filter(date__gte=min(dates), date__lte=max(dates)).values_list(
            "host_id", "visiting_id", "date", "half_day", "specialty"
        )
    )
    todo = [
        r
        for r in rows
        if (r.host_id, r.visiting_id, r.date, r.half_day, r.specialty) not in existing
    ]
    ExpertSession.objects.bulk_create(todo, batch_size=1000)
    return len(todo)


def seed_term(inst, consortia) -> int:
    by_visiting = {KMMU1: consortia["kmmu1"], YN2: consortia["yn2"], KMMU2: consortia["kmmu2"]}
    return _new_sessions(
        [
            ExpertSession(
                consortium=by_visiting[row["visiting"]],
                visiting=inst[row.pop("visiting")],
                host=inst[row.pop("host")],
                status=SessionStatus.HELD,
                **row,
            )
            for row in term_sessions()
        ]
    )


def seed_timetable(inst, consortia, counties: list[str], today: datetime.date) -> int:
    """Four weeks ahead (planned) and this year so far (held)."""
    rng = random.Random(f"medconsortium-timetable-{today.isoformat()}")
    monday = services.week_of(today)
    rows = []
    for county in counties:
        hospital = inst.get(f"H{county}01")
        if hospital is None:
            continue
        for week in range(-8, 4):
            start = monday + datetime.timedelta(days=7 * week)
            for weekday, half_day, visiting in (
                (1, "am", PREFECTURE_HOSPITAL),
                (3, "pm", PREFECTURE_HOSPITAL),
            ):
                day = start + datetime.timedelta(days=weekday)
                if day.year != today.year and day < today:
                    continue
                names = EXPERTS[visiting]
                expert = names[(week + weekday) % len(names)]
                held = day < today
                rows.append(
                    ExpertSession(
                        host=hospital,
                        visiting=inst[visiting],
                        date=day,
                        half_day=half_day,
                        specialty=SPECIALTIES[(week * 2 + weekday) % len(SPECIALTIES)],
                        experts=[{"name": expert[0], "title": expert[1]}],
                        expert_count=1,
                        status=SessionStatus.HELD if held else SessionStatus.PLANNED,
                        outpatients=rng.randint(8, 20) if held else 0,
                        teaching_rounds=rng.randint(1, 4) if held else 0,
                        case_discussions=rng.randint(2, 6) if held else 0,
                        trainings=1 if held and weekday == 3 else 0,
                        people_trained=rng.randint(15, 30) if held and weekday == 3 else 0,
                    )
                )
    yuanmou_hospital = inst[f"H{YUANMOU}01"]
    for week in range(0, 4, 2):
        day = monday + datetime.timedelta(days=7 * week + 2)
        rows.append(
            ExpertSession(
                consortium=consortia["tangdu"],
                host=yuanmou_hospital,
                visiting=inst[TANGDU],
                date=day,
                half_day="am",
                specialty="骨科",
                experts=[{"name": n, "title": t} for n, t in EXPERTS[TANGDU]],
                expert_count=2,
            )
        )
    for week in range(4):
        rows.append(
            ExpertSession(
                host=inst[f"T{YUANMOU}101"],
                visiting=yuanmou_hospital,
                date=monday + datetime.timedelta(days=7 * week + 4),
                half_day="am",
                specialty="全科",
                experts=[{"name": "樊柳龙", "title": "主任医师"}],
                expert_count=1,
            )
        )
    return _new_sessions([r for r in rows if r.date >= datetime.date(today.year, 1, 1)])


def seed_consultations(inst) -> int:
    if RemoteConsultation.objects.filter(requesting=inst[CX_PEOPLE]).exists():
        return 0
    rows = []
    day = datetime.date(2019, 1, 3)
    for index, kind in enumerate(
        itertools.islice(itertools.cycle(["ecg", "ecg", "imaging", "consultation"]), 60)
    ):
        rows.append(
            RemoteConsultation(
                requesting=inst[CX_PEOPLE] if index % 3 else inst[CX_TCM],
                reading=inst[KMMU1] if kind == "consultation" else inst[PREFECTURE_HOSPITAL],
                kind=kind,
                date=day + datetime.timedelta(days=index * 3),
                summary="",
            )
        )
    RemoteConsultation.objects.bulk_create(rows)
    return len(rows)


def seed_capacity(inst, counties: list[str], today: datetime.date) -> int:
    monday = services.week_of(today)
    hosts = [inst[f"H{c}01"] for c in counties if f"H{c}01" in inst] + [inst[PREFECTURE_HOSPITAL]]
    existing = set(ReservedCapacity.objects.values_list("institution_id", "week_start"))
    rows = []
    for host in hosts:
        slots, beds = (120, 300) if host.code == PREFECTURE_HOSPITAL else (60, 150)
        for week in range(-4, 5):
            start = monday + datetime.timedelta(days=7 * week)
            if (host.pk, start) in existing:
                continue
            rows.append(
                ReservedCapacity(
                    institution=host,
                    week_start=start,
                    expert_slots=slots,
                    beds=beds,
                    reserved_slots=slots // 5,
                    reserved_beds=beds // 10,
                )
            )
    ReservedCapacity.objects.bulk_create(rows)
    return len(rows)


def seed_referrals(inst, today: datetime.date) -> int:
    """Referrals of 元马镇's people through the services, so quotas, audit and the derived
    states are those real use makes."""
    if Referral.objects.exists():
        return 0
    User = get_user_model()
    doctor = User.objects.filter(username="township").first()
    hospital_user = User.objects.filter(username="hospital").first()
    if doctor is None or hospital_user is None:
        return 0
    members = list(
        Member.objects.filter(household__village__code__startswith=f"{YUANMOU}101")
        .select_related("household")
        .order_by("pk")[:12]
    )
    if len(members) < 12:
        return 0
    county_hospital, prefecture = inst[f"H{YUANMOU}01"], inst[PREFECTURE_HOSPITAL]
    monday = services.week_of(today)
    plans = [
        # (destination, reserved, appointment in days from Monday, steps)
        (county_hospital, ReservedKind.SLOT, 7, []),
        (county_hospital, ReservedKind.SLOT, 8, []),
        (county_hospital, ReservedKind.BED, 9, ["accept"]),
        (county_hospital, ReservedKind.NONE, None, ["accept", "admit"]),
        (county_hospital, ReservedKind.SLOT, 10, ["accept", "seen"]),
        (county_hospital, ReservedKind.NONE, None, ["accept", "admit", "return_down"]),
        (county_hospital, ReservedKind.NONE, None, ["accept", "seen", "discharge"]),
        (county_hospital, ReservedKind.NONE, None, ["reject"]),
        (prefecture, ReservedKind.SLOT, 7, []),
        (prefecture, ReservedKind.BED, 14, ["accept"]),
        (prefecture, ReservedKind.NONE, None, ["cancel"]),
        (county_hospital, ReservedKind.NONE, None, ["accept", "admit", "return_down", "receive"]),
    ]
    reasons = [
        "高血压控制不佳，需专科评估",
        "2型糖尿病血糖控制差",
        "胸闷气短待查",
        "慢阻肺急性加重",
        "腰椎间盘突出需手术评估",
        "脑卒中后康复评估",
    ]
    count = 0
    for index, (member, (to, reserved, offset, steps)) in enumerate(
        zip(members, plans, strict=True)
    ):
        with transaction.atomic():
            referral = services.referral_request(
                member=member,
                to_institution=to,
                reason=reasons[index % len(reasons)],
                reserved=reserved,
                appointment_date=monday + datetime.timedelta(days=offset) if offset else None,
                requested_on=today,
                by=doctor,
            )
            receiver = hospital_user if to == county_hospital else None
            for step in steps:
                if step == "accept":
                    services.referral_accept(referral=referral, by=receiver)
                elif step == "admit":
                    services.referral_admit(referral=referral, inpatient=True, by=receiver)
                elif step == "seen":
                    services.referral_admit(referral=referral, inpatient=False, by=receiver)
                elif step == "discharge":
                    services.referral_discharge(
                        referral=referral, outcome="好转出院，回社区继续服药", by=receiver
                    )
                elif step == "return_down":
                    referral = services.referral_return_down(
                        referral=referral, outcome="病情稳定，转回乡镇卫生院随访管理", by=receiver
                    )
                elif step == "receive":
                    services.referral_accept(referral=referral, by=doctor)
                elif step == "reject":
                    services.referral_reject(
                        referral=referral, reason="非本院收治范围，建议转州医院", by=receiver
                    )
                elif step == "cancel":
                    services.referral_cancel(
                        referral=referral, reason="患者决定暂缓就诊", by=doctor
                    )
        count += 1
    return count


def seed(scale: str, context: dict) -> str:
    today = timezone.localdate()
    counties = (
        [YUANMOU, CHUXIONG]
        if scale != "prefecture"
        else sorted({v.code[:6] for v in context["villages"]})
    )
    with transaction.atomic():
        inst = _institutions()
        consortia = seed_consortia(inst)
        term = seed_term(inst, consortia)
        planned = seed_timetable(inst, consortia, counties, today)
        consultations = seed_consultations(inst)
        capacity = seed_capacity(inst, counties, today)
    referrals = seed_referrals(inst, today)
    if not (term or planned or consultations or capacity or referrals):
        return "consortia already seeded; nothing added"
    return (
        f"{len(consortia)} consortia, {term} sessions of 楚雄市's 2019 H1 term, {planned} "
        f"timetable sessions, {consultations} remote consultations, {capacity} capacity weeks, "
        f"{referrals} referrals"
    )
