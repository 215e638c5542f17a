"""Demo data for the shared core: 楚雄州's regions and institutions, and one user per role.

Deterministic: the same scale gives the same rows, and running it twice changes nothing.
Other apps add their own demo data through ``seed_demo``'s list of seeders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import connection, transaction

from healthaid.choices import InstitutionKind, InstitutionLevel, RegionLevel, Role
from healthaid.models import Institution, Region

PROVINCE = ("530000000000", "云南省")
PREFECTURE = ("532300000000", "楚雄彝族自治州")
KUNMING = ("530100000000", "昆明市")
# Outside hospitals of the consortia (seeds 000 and 002): the provincial capital's
# university hospitals and the army hospital a county signed a consortium with.
OUTSIDE_REGIONS = [
    ("610000000000", "陕西省", RegionLevel.PROVINCE, None),
    ("610100000000", "西安市", RegionLevel.PREFECTURE, "610000000000"),
]
YUANMOU = "532328000000"

# County code → (name, townships as (9-digit code, name)). 元谋县 has its ten townships;
# the other counties carry a few each, enough that scoping is visible and the
# prefecture scale has ten counties.
COUNTIES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "532328": (
        "元谋县",
        [
            ("532328101", "元马镇"),
            ("532328102", "黄瓜园镇"),
            ("532328103", "羊街镇"),
            ("532328201", "老城乡"),
            ("532328202", "物茂乡"),
            ("532328203", "江边乡"),
            ("532328204", "新华乡"),
            ("532328205", "平田乡"),
            ("532328206", "凉山乡"),
            ("532328207", "姜驿乡"),
        ],
    ),
    "532301": (
        "楚雄市",
        [("532301001", "鹿城镇"), ("532301101", "东瓜镇"), ("532301102", "吕合镇")],
    ),
    "532322": (
        "双柏县",
        [("532322101", "妥甸镇"), ("532322102", "大庄镇"), ("532322201", "法脿镇")],
    ),
    "532323": (
        "牟定县",
        [("532323101", "共和镇"), ("532323102", "江坡镇"), ("532323201", "凤屯镇")],
    ),
    "532324": (
        "南华县",
        [("532324101", "龙川镇"), ("532324102", "沙桥镇"), ("532324201", "五街镇")],
    ),
    "532325": (
        "姚安县",
        [("532325101", "栋川镇"), ("532325102", "光禄镇"), ("532325201", "前场镇")],
    ),
    "532326": (
        "大姚县",
        [("532326101", "金碧镇"), ("532326102", "石羊镇"), ("532326201", "六苴镇")],
    ),
    "532327": (
        "永仁县",
        [("532327101", "永定镇"), ("532327102", "宜就镇"), ("532327201", "中和镇")],
    ),
    "532329": (
        "武定县",
        [("532329101", "狮山镇"), ("532329102", "高桥镇"), ("532329201", "猫街镇")],
    ),
    "532331": (
        "禄丰市",
        [("532331101", "金山镇"), ("532331102", "仁兴镇"), ("532331201", "碧城镇")],
    ),
}

_VILLAGE_HEADS = "大小上下中新老东西南北"
_VILLAGE_BODIES = [
    "塘",
    "村",
    "营",
    "坝",
    "湾",
    "箐",
    "河",
    "哨",
    "街",
    "沟",
    "坪",
    "庄",
    "屯",
    "冲",
    "坡",
    "甸",
    "山",
    "田",
    "水",
    "平",
    "林",
    "凹",
    "那",
    "能",
    "丙",
]
_VILLAGE_TAILS = ["", "子", "头", "口", "尾", "心", "边", "脚", "底"]

DEMO_PASSWORD = "healthaid-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    region_code: str
    full_name: str
    institution_code: str | None = None


def village_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = (
            rng.choice(_VILLAGE_HEADS)
            + rng.choice(_VILLAGE_BODIES)
            + rng.choice(_VILLAGE_TAILS)
            + "村委会"
        )
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def villages_per_township(scale: str) -> int:
    return {"small": 3, "county": 9, "prefecture": 9}[scale]


@transaction.atomic
def seed_regions(scale: str) -> list[Region]:
    """The tree down to villages; returns the villages, 元谋县's first."""
    rng = random.Random(532328)
    rows: list[Region] = [
        Region(code=PROVINCE[0], name=PROVINCE[1], level=RegionLevel.PROVINCE, parent_id=None),
        Region(
            code=PREFECTURE[0],
            name=PREFECTURE[1],
            level=RegionLevel.PREFECTURE,
            parent_id=PROVINCE[0],
        ),
    ]
    rows.append(
        Region(
            code=KUNMING[0], name=KUNMING[1], level=RegionLevel.PREFECTURE, parent_id=PROVINCE[0]
        )
    )
    rows += [
        Region(code=code, name=name, level=level, parent_id=parent)
        for code, name, level, parent in OUTSIDE_REGIONS
    ]
    paths = {
        PROVINCE[0]: PROVINCE[1],
        PREFECTURE[0]: f"{PROVINCE[1]}/{PREFECTURE[1]}",
        KUNMING[0]: f"{PROVINCE[1]}/{KUNMING[1]}",
        "610000000000": "陕西省",
        "610100000000": "陕西省/西安市",
    }
    per_township = villages_per_township(scale)
    for county6, (county_name, townships) in COUNTIES.items():
        county_code = county6.ljust(12, "0")
        rows.append(
            Region(
                code=county_code,
                name=county_name,
                level=RegionLevel.COUNTY,
                parent_id=PREFECTURE[0],
            )
        )
        paths[county_code] = f"{paths[PREFECTURE[0]]}/{county_name}"
        for township9, township_name in townships:
            township_code = township9.ljust(12, "0")
            rows.append(
                Region(
                    code=township_code,
                    name=township_name,
                    level=RegionLevel.TOWNSHIP,
                    parent_id=county_code,
                )
            )
            paths[township_code] = f"{paths[county_code]}/{township_name}"
            for index, village_name in enumerate(village_names(rng, per_township), start=1):
                village_code = f"{township9}{200 + index:03d}"
                rows.append(
                    Region(
                        code=village_code,
                        name=village_name,
                        level=RegionLevel.VILLAGE,
                        parent_id=township_code,
                    )
                )
                paths[village_code] = f"{paths[township_code]}/{village_name}"
    for region in rows:
        region.path = paths[region.code]
    existing = set(
        Region.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True)
    )
    # Parents first: rows are built top-down, and bulk_create keeps their order.
    Region.objects.bulk_create([r for r in rows if r.code not in existing], batch_size=1000)
    villages = [r for r in rows if r.level == RegionLevel.VILLAGE]
    villages.sort(key=lambda r: (not r.code.startswith("532328"), r.code))
    return villages


def _institution_rows() -> list[Institution]:
    rows = [
        Institution(
            code="H530000001",
            name="云南省第一人民医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id=PROVINCE[0],
            phone="0871-63638000",
        ),
        Institution(
            code="H530100001",
            name="昆明医科大学第一附属医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id=KUNMING[0],
            phone="0871-65324888",
        ),
        Institution(
            code="H530100002",
            name="云南省第二人民医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id=KUNMING[0],
            phone="0871-65156650",
        ),
        Institution(
            code="H530100003",
            name="昆明市妇幼保健院",
            kind=InstitutionKind.MATERNAL_CHILD,
            level=InstitutionLevel.GRADE_3A,
            region_id=KUNMING[0],
            phone="0871-63112741",
        ),
        Institution(
            code="H610100001",
            name="空军军医大学第二附属医院（唐都医院）",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id="610100000000",
            phone="029-84777114",
        ),
        Institution(
            code="H532300001",
            name="楚雄州人民医院",
            kind=InstitutionKind.TERTIARY_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id=PREFECTURE[0],
            phone="0878-3122047",
        ),
        Institution(
            code="H532300002",
            name="楚雄州中医医院",
            kind=InstitutionKind.TCM_HOSPITAL,
            level=InstitutionLevel.GRADE_3A,
            region_id=PREFECTURE[0],
            phone="0878-3125171",
        ),
    ]
    for county6, (county_name, townships) in COUNTIES.items():
        county_code = county6.ljust(12, "0")
        rows += [
            Institution(
                code=f"H{county6}01",
                name=f"{county_name}人民医院",
                kind=InstitutionKind.COUNTY_HOSPITAL,
                level=InstitutionLevel.GRADE_2A,
                region_id=county_code,
                phone=f"0878-{county6[-3:]}1120",
            ),
            Institution(
                code=f"H{county6}02",
                name=f"{county_name}中医医院",
                kind=InstitutionKind.TCM_HOSPITAL,
                level=InstitutionLevel.GRADE_2A,
                region_id=county_code,
                phone=f"0878-{county6[-3:]}1230",
            ),
            Institution(
                code=f"B{county6}",
                name=f"{county_name}卫生健康局",
                kind=InstitutionKind.HEALTH_BUREAU,
                region_id=county_code,
                phone=f"0878-{county6[-3:]}1000",
            ),
        ]
        for township9, township_name in townships:
            rows.append(
                Institution(
                    code=f"T{township9}",
                    name=f"{township_name}卫生院",
                    kind=InstitutionKind.TOWNSHIP_CENTRE,
                    level=InstitutionLevel.GRADE_1,
                    region_id=township9.ljust(12, "0"),
                    phone=f"0878-{township9[-4:]}120",
                )
            )
    return rows


@transaction.atomic
def seed_institutions(villages: list[Region]) -> None:
    rows = _institution_rows()
    rows += [
        Institution(
            code=f"V{village.code}",
            name=f"{village.name.removesuffix('村委会')}村卫生室",
            kind=InstitutionKind.VILLAGE_CLINIC,
            region_id=village.code,
        )
        for village in villages
    ]
    existing = set(Institution.objects.values_list("code", flat=True))
    Institution.objects.bulk_create([r for r in rows if r.code not in existing], batch_size=1000)


def demo_users(first_village: Region) -> list[DemoUser]:
    return [
        DemoUser("county", Role.COUNTY_STAFF, YUANMOU, "朱艳", "B532328"),
        DemoUser("township", Role.TOWNSHIP_DOCTOR, "532328101000", "李建华", "T532328101"),
        DemoUser(
            "village", Role.VILLAGE_DOCTOR, first_village.code, "张秀英", f"V{first_village.code}"
        ),
        DemoUser("hospital", Role.HOSPITAL_STAFF, YUANMOU, "王志强", "H53232801"),
        DemoUser("supervisor", Role.SUPERVISOR, PREFECTURE[0], "杨文"),
    ]


def seed_users(villages: list[Region]) -> list[DemoUser]:
    from healthaid.services import user_provision

    first_village = next(v for v in villages if v.code.startswith("532328101"))
    users = demo_users(first_village)
    institutions = {
        i.code: i
        for i in Institution.objects.filter(
            code__in=[u.institution_code for u in users if u.institution_code]
        )
    }
    regions = {r.code: r for r in Region.objects.filter(code__in=[u.region_code for u in users])}
    from django.contrib.auth import get_user_model

    existing = set(
        get_user_model()
        .objects.filter(username__in=[u.username for u in users])
        .values_list("username", flat=True)
    )
    for user in users:
        if user.username in existing:
            continue
        user_provision(
            username=user.username,
            role=user.role,
            region=regions[user.region_code],
            institution=institutions.get(user.institution_code or ""),
            password=DEMO_PASSWORD,
            full_name=user.full_name,
            check_password=False,
        )
    return users


def seed(scale: str, stdout=None) -> dict:
    villages = seed_regions(scale)
    seed_institutions(villages)
    users = seed_users(villages)
    return {"villages": villages, "users": users}


def analyze_database() -> None:
    """Refresh PostgreSQL's planner statistics and visibility maps once the demo is loaded.

    The apps' demos bulk-load encounters, settlements, screenings and contracts after the
    registry; until autovacuum comes round the planner takes those tables for nearly empty
    and, for instance, joined and sorted a county's 48,379 encounters to show a page of 20;
    the visibility maps let counts read narrow indexes instead of the tables (a county's
    49,708 members: 23 → 14 ms).  About 1.5 s at county scale.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (a test's, or a caller's atomic block).
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
