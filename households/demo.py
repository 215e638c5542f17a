"""Demo registry: 建档立卡 households and members that look like 元谋县's.

``seed(scale, context)`` is called by ``manage.py seed_demo`` after the core's demo data.

* small: about 300 households in 元谋县's first villages;
* county: about 15,000 households and 50,000 people across 元谋县's villages;
* prefecture: the same for each of 楚雄州's ten counties.

Deterministic (one ``random.Random`` per county, seeded from its code) and idempotent:
villages that already have households are left alone. Fast: rows are built in memory and
written with ``bulk_create``, one county per transaction. The figures follow the seeds:
about a quarter of adults with hypertension, 8% with diabetes, a few with tuberculosis and
severe mental disorders, illness as the cause of about 40% of households' poverty, most
households lifted out in 2016–2020.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction

from healthaid.idnumbers import make_id_number, protect_id_number
from healthaid.models import Institution, Region
from households.catalogue import ANNUAL, DISEASES, KEY4, MAJOR, SPECIAL_OUTPATIENT
from households.choices import (
    ContactKind,
    HealthStatus,
    PovertyAttribute,
    PovertyCause,
    PovertyStatus,
    Relation,
    Sex,
)
from households.models import (
    Disease,
    Household,
    HouseholdContact,
    Member,
    MemberDisease,
    SpecialCard,
)
from households.signals import members_changed

YUANMOU = "532328"
# Ages are computed as of this day so the data do not change with the calendar.
AS_OF = datetime.date(2025, 1, 1)
HOUSEHOLDS_PER_COUNTY = 15_000
SMALL_HOUSEHOLDS = 300
SMALL_VILLAGES = 6

# Household sizes 1–7, mean ≈ 3.3 (the seeds: 17,365 contracted poor people, ~5,300 households).
SIZE_WEIGHTS = {1: 12, 2: 22, 3: 25, 4: 20, 5: 12, 6: 6, 7: 3}

# Surnames: 汉族 and 彝族 distributions of 楚雄 (彝族 carry 李, 罗, 杨, 普, 毕, 者, 起, 鲁 ...).
HAN_SURNAMES = {
    "李": 12, "王": 8, "张": 8, "杨": 7, "刘": 5, "陈": 5, "赵": 4, "周": 3, "黄": 3,
    "吴": 2, "徐": 2, "孙": 2, "胡": 2, "朱": 2, "高": 2, "何": 2, "郭": 2, "马": 2,
    "罗": 3, "苏": 2, "唐": 1, "董": 1, "段": 1, "鲁": 1, "施": 1, "谢": 1, "龙": 1,
}  # fmt: skip
YI_SURNAMES = {
    "李": 14, "罗": 10, "杨": 8, "普": 7, "毕": 5, "者": 4, "起": 4, "鲁": 4, "张": 4,
    "自": 3, "施": 3, "苏": 2, "龙": 2, "番": 2, "沙": 2, "字": 2, "王": 3, "陈": 2,
}  # fmt: skip
MALE_CHARS = "国华建明文军志强永光德林海平金云学成荣兴福贵顺发忠祥伟勇俊杰斌才正春"
FEMALE_CHARS = "秀英兰芳玉珍桂花丽琼美红梅凤霞艳萍琴燕娟敏芬翠菊仙莲香春慧莉"
ETHNICITY_WEIGHTS = {"汉族": 62, "彝族": 32, "傈僳族": 3, "苗族": 2, "傣族": 1}

ATTRIBUTE_WEIGHTS = {
    PovertyAttribute.GENERAL: 70,
    PovertyAttribute.DIBAO: 24,
    PovertyAttribute.TEKUN: 6,
}
CAUSE_WEIGHTS = {
    PovertyCause.ILLNESS: 40,
    PovertyCause.DISABILITY: 12,
    PovertyCause.LABOUR: 12,
    PovertyCause.SKILLS: 10,
    PovertyCause.FUNDS: 8,
    PovertyCause.EDUCATION: 7,
    PovertyCause.DISASTER: 3,
    PovertyCause.TRANSPORT: 3,
    PovertyCause.LAND: 2,
    PovertyCause.WATER: 1,
    PovertyCause.MOTIVATION: 1,
    PovertyCause.OTHER: 1,
}
LIFTED_YEAR_WEIGHTS = {2016: 10, 2017: 20, 2018: 30, 2019: 30, 2020: 10}

# (code, probability by age band: under 18, 18–34, 35–59, 60+)
DISEASE_RATES: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("hypertension", (0.0, 0.06, 0.24, 0.46)),
    ("t2dm", (0.0, 0.02, 0.085, 0.14)),
    ("tb", (0.0005, 0.003, 0.003, 0.004)),
    ("smi", (0.001, 0.007, 0.007, 0.004)),
    ("cerebrovascular", (0.0, 0.0, 0.015, 0.06)),
    ("chd", (0.0, 0.0, 0.012, 0.05)),
    ("copd", (0.0, 0.0, 0.01, 0.05)),
    ("chronic_bronchitis", (0.0, 0.005, 0.02, 0.04)),
    ("ra", (0.0, 0.005, 0.015, 0.02)),
    ("oa", (0.0, 0.0, 0.02, 0.07)),
    ("child_chd", (0.002, 0.0, 0.0, 0.0)),
)
SPECIAL_RATE = (0.002, 0.01, 0.02, 0.025)  # one outpatient special chronic disease
MAJOR_RATE = (0.0005, 0.002, 0.004, 0.006)  # one major disease of special treatment
CARD_RATE = 0.35  # share of people with a card-eligible disease who hold a 慢病卡


@dataclass
class _Person:
    relation: str
    sex: str
    age: int
    surname: str
    ethnicity: str
    diseases: list[str] = field(default_factory=list)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _given_name(rng: random.Random, sex: str) -> str:
    chars = MALE_CHARS if sex == Sex.MALE else FEMALE_CHARS
    if rng.random() < 0.15:
        return rng.choice(chars)
    return rng.choice(chars) + rng.choice(chars)


def _surname(rng: random.Random, ethnicity: str) -> str:
    return _weighted(rng, YI_SURNAMES if ethnicity == "彝族" else HAN_SURNAMES)


def _band(age: int) -> int:
    return 0 if age < 18 else 1 if age < 35 else 2 if age < 60 else 3


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _household_people(rng: random.Random, size: int) -> list[_Person]:
    """A plausible rural family of ``size``: head, spouse, children, in-laws, grandchildren."""
    ethnicity = _weighted(rng, ETHNICITY_WEIGHTS)
    head_sex = Sex.MALE if rng.random() < 0.85 else Sex.FEMALE
    head_age = min(90, max(24, int(rng.gauss(52, 13))))
    surname = _surname(rng, ethnicity)
    people = [_Person(Relation.HEAD, head_sex, head_age, surname, ethnicity)]

    def other(sex: str) -> str:
        return Sex.FEMALE if sex == Sex.MALE else Sex.MALE

    if size >= 2 and rng.random() < 0.85:
        spouse_ethnicity = ethnicity if rng.random() < 0.9 else _weighted(rng, ETHNICITY_WEIGHTS)
        people.append(
            _Person(
                Relation.SPOUSE,
                other(head_sex),
                max(20, head_age + rng.randint(-6, 4)),
                _surname(rng, spouse_ethnicity),
                spouse_ethnicity,
            )
        )
    if len(people) < size and head_age < 58 and rng.random() < 0.3:
        mother_age = head_age + rng.randint(22, 32)
        if mother_age <= 92:
            people.append(
                _Person(
                    Relation.MOTHER, Sex.FEMALE, mother_age, _surname(rng, ethnicity), ethnicity
                )
            )
    while len(people) < size:
        child_age = head_age - rng.randint(21, 36)
        if child_age < 0:
            child_age = rng.randint(0, max(0, head_age - 20))
        child_sex = rng.choice((Sex.MALE, Sex.FEMALE))
        relation = Relation.SON if child_sex == Sex.MALE else Relation.DAUGHTER
        people.append(_Person(relation, child_sex, child_age, surname, ethnicity))
        # An adult son brings his wife and children into the household.
        if relation == Relation.SON and child_age >= 24 and size - len(people) >= 2:
            people.append(
                _Person(
                    Relation.DAUGHTER_IN_LAW,
                    Sex.FEMALE,
                    max(20, child_age + rng.randint(-4, 2)),
                    _surname(rng, ethnicity),
                    ethnicity,
                )
            )
            while len(people) < size and rng.random() < 0.8:
                grandchild_sex = rng.choice((Sex.MALE, Sex.FEMALE))
                people.append(
                    _Person(
                        Relation.GRANDSON if grandchild_sex == Sex.MALE else Relation.GRANDDAUGHTER,
                        grandchild_sex,
                        rng.randint(0, max(0, child_age - 20)),
                        surname,
                        ethnicity,
                    )
                )
    return people[:size]


class _Generator:
    """Builds one county's households; ID numbers unique within the county's region code."""

    def __init__(self, county6: str, taken_indexes: set[str]):
        self.county6 = county6
        self.rng = random.Random(int(county6))
        self.taken = taken_indexes
        self.next_seq: dict[tuple[datetime.date, str], int] = defaultdict(int)
        self.card_seq = 0
        diseases = list(DISEASES)
        self.special = [d.code for d in diseases if d.category == SPECIAL_OUTPATIENT]
        self.major = [
            d.code for d in diseases if d.category == MAJOR and not d.code.startswith("child_")
        ]
        self.card_eligible = {d.code for d in diseases if d.category in (KEY4, ANNUAL)} | set(
            self.special
        )

    def id_number(self, sex: str, birth: datetime.date) -> tuple[str, str, str, datetime.date]:
        """(cipher, index, masked, birth date) of a fresh number of ``sex`` born about ``birth``.

        The birth date moves to the next day in the rare case the day's 500 numbers of that
        sex are used up, so the number and the stored birth date always agree.
        """
        parity = 1 if sex == Sex.MALE else 0
        while True:
            n = self.next_seq[(birth, sex)]
            self.next_seq[(birth, sex)] = n + 1
            seq = 2 * n + parity
            if seq > 999:  # this day is full for this sex: use the next day
                birth += datetime.timedelta(days=1)
                continue
            cipher, index, masked = protect_id_number(make_id_number(self.county6, birth, seq))
            if index not in self.taken:
                self.taken.add(index)
                return cipher, index, masked, birth

    def birth_date(self, age: int) -> datetime.date:
        year = AS_OF.year - age - 1
        return datetime.date(year, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 364))

    def diseases(self, person: _Person) -> list[str]:
        rng, band = self.rng, _band(person.age)
        codes = [code for code, rates in DISEASE_RATES if rng.random() < rates[band]]
        if rng.random() < SPECIAL_RATE[band]:
            codes.append(rng.choice(self.special))
        if rng.random() < MAJOR_RATE[band]:
            if band == 0:
                codes.append(rng.choice(("child_leukemia", "child_cancer")))
            else:
                codes.append(rng.choice(self.major))
        return list(dict.fromkeys(codes))

    def card_number(self) -> str:
        self.card_seq += 1
        return f"MB{self.county6}{self.card_seq:06d}"


def _village_contacts(rng: random.Random, village: Region, centres: dict[str, str]):
    doctor = _surname(rng, "汉族") + _given_name(rng, rng.choice((Sex.MALE, Sex.FEMALE)))
    family_doctor = _surname(rng, "汉族") + _given_name(rng, rng.choice((Sex.MALE, Sex.FEMALE)))
    township = village.code[:9]
    return [
        (ContactKind.VILLAGE_DOCTOR, doctor, _phone(rng)),
        (ContactKind.CONTRACTED_DOCTOR, family_doctor, _phone(rng)),
        (
            ContactKind.HEALTH_CENTRE,
            centres.get(township, ("", ""))[0],
            centres.get(township, ("", ""))[1] or f"0878-{township[-4:]}120",
        ),
        (ContactKind.EMERGENCY, "", "120"),
    ]


def _seed_county(county6: str, plan: list[tuple[Region, int]]) -> tuple[int, int]:
    """Households for each (village, count) of one county; returns (households, members)."""
    taken = set(
        Member.objects.filter(id_number_masked__startswith=county6).values_list(
            "id_number_index", flat=True
        )
    )
    gen = _Generator(county6, taken)
    gen.card_seq = SpecialCard.objects.filter(number__startswith=f"MB{county6}").count()
    rng = gen.rng
    diseases = {d.code: d.pk for d in Disease.objects.all()}
    centres = {
        inst.code[1:]: (inst.name, inst.phone)
        for inst in Institution.objects.filter(code__startswith=f"T{county6}")
    }
    households: list[Household] = []
    people_of: list[list[_Person]] = []
    contacts_of: list[list[tuple[str, str, str]]] = []
    for village, count in plan:
        contacts = _village_contacts(rng, village, centres)
        short = village.name.removesuffix("村委会")
        for index in range(1, count + 1):
            people = _household_people(rng, _weighted(rng, SIZE_WEIGHTS))
            for person in people:
                person.diseases = gen.diseases(person)
            cause = _weighted(rng, CAUSE_WEIGHTS)
            if cause == PovertyCause.ILLNESS and not any(p.diseases for p in people):
                people[0].diseases = [rng.choice(("hypertension", "t2dm", *gen.special[:8]))]
            roll = rng.random()
            if roll < 0.88:
                status, year = PovertyStatus.LIFTED, _weighted(rng, LIFTED_YEAR_WEIGHTS)
            elif roll < 0.97:
                status, year = PovertyStatus.MONITORED, _weighted(rng, LIFTED_YEAR_WEIGHTS)
            else:
                status, year = PovertyStatus.REGISTERED, None
            illness = cause == PovertyCause.ILLNESS or rng.random() < 0.04
            households.append(
                Household(
                    number=f"{village.code}{index:04d}",
                    village_id=village.code,
                    address=f"{short}{rng.randint(1, 12)}组{rng.randint(1, 99)}号",
                    poverty_attribute=_weighted(rng, ATTRIBUTE_WEIGHTS),
                    status=status,
                    lifted_year=year,
                    poverty_cause=cause,
                    illness_caused=illness,
                    illness_returned=status == PovertyStatus.MONITORED
                    and illness
                    and rng.random() < 0.5,
                )
            )
            people_of.append(people)
            contacts_of.append(contacts)
    Household.objects.bulk_create(households, batch_size=1000)

    members: list[Member] = []
    member_diseases: list[tuple[int, list[str]]] = []
    for household, people in zip(households, people_of, strict=True):
        for person in people:
            birth = gen.birth_date(person.age)
            cipher, index, masked, birth = gen.id_number(person.sex, birth)
            sick = person.diseases
            if any(code in gen.major or code.startswith("child_") for code in sick):
                health = HealthStatus.SERIOUS
            elif sick:
                health = HealthStatus.CHRONIC
            elif rng.random() < 0.04:
                health = HealthStatus.DISABLED
            else:
                health = HealthStatus.HEALTHY
            adult = person.age >= 18
            members.append(
                Member(
                    household_id=household.pk,
                    name=person.surname + _given_name(rng, person.sex),
                    id_number_cipher=cipher,
                    id_number_index=index,
                    id_number_masked=masked,
                    sex=person.sex,
                    birth_date=birth,
                    relation=person.relation,
                    ethnicity=person.ethnicity,
                    phone=_phone(rng)
                    if adult and (person.relation == Relation.HEAD or rng.random() < 0.3)
                    else "",
                    insured=rng.random() < 0.995,
                    health_status=health,
                    disabled=health == HealthStatus.DISABLED,
                    pregnant=person.sex == Sex.FEMALE
                    and 20 <= person.age <= 38
                    and rng.random() < 0.03,
                )
            )
            member_diseases.append((len(members) - 1, sick))
    Member.objects.bulk_create(members, batch_size=1000)

    diagnosis_rows: list[MemberDisease] = []
    cards: list[SpecialCard] = []
    for position, codes in member_diseases:
        member = members[position]
        for code in codes:
            diagnosis_rows.append(
                MemberDisease(
                    member_id=member.pk,
                    disease_id=diseases[code],
                    diagnosed_on=datetime.date(rng.randint(2008, 2023), rng.randint(1, 12), 1),
                )
            )
        eligible = [code for code in codes if code in gen.card_eligible]
        if eligible and rng.random() < CARD_RATE:
            cards.append(
                SpecialCard(
                    member_id=member.pk,
                    number=gen.card_number(),
                    disease_id=diseases[eligible[0]],
                    issued_on=datetime.date(rng.randint(2016, 2024), rng.randint(1, 12), 15),
                )
            )
    MemberDisease.objects.bulk_create(diagnosis_rows, batch_size=2000)
    SpecialCard.objects.bulk_create(cards, batch_size=1000)
    HouseholdContact.objects.bulk_create(
        [
            HouseholdContact(household_id=household.pk, kind=kind, name=name, phone=phone)
            for household, contacts in zip(households, contacts_of, strict=True)
            for kind, name, phone in contacts
        ],
        batch_size=2000,
    )
    members_changed.send(sender=Member, member_ids=[member.pk for member in members])
    return len(households), len(members)


def _plan(scale: str, villages: list[Region]) -> dict[str, list[tuple[Region, int]]]:
    """County code → [(village, households to create)], for the villages of the scale."""
    if scale == "small":
        chosen = [v for v in villages if v.code.startswith(YUANMOU)][:SMALL_VILLAGES]
        per_village = SMALL_HOUSEHOLDS // max(1, len(chosen))
        return {YUANMOU: [(v, per_village) for v in chosen]}
    if scale == "county":
        villages = [v for v in villages if v.code.startswith(YUANMOU)]
    by_county: dict[str, list[Region]] = defaultdict(list)
    for village in villages:
        by_county[village.code[:6]].append(village)
    plan = {}
    for county6, county_villages in by_county.items():
        rng = random.Random(int(county6) * 7)
        mean = HOUSEHOLDS_PER_COUNTY / len(county_villages)
        plan[county6] = [(v, round(mean * rng.uniform(0.85, 1.15))) for v in county_villages]
    return plan


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load.

    Without them the planner takes the freshly filled tables for empty ones and picks nested
    loops that make the first list pages ~20 times slower, until autovacuum catches up.
    """
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (Household, Member, MemberDisease, SpecialCard, HouseholdContact)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def seed(scale: str, context: dict) -> str:
    """Create the demo registry for ``scale``; returns a one-line summary."""
    from households.services import disease_catalogue_sync

    started = time.monotonic()
    disease_catalogue_sync()
    plan = _plan(scale, list(context["villages"]))
    codes = [v.code for county in plan.values() for v, _count in county]
    filled = set(
        Household.objects.filter(village_id__in=codes).values_list("village_id", flat=True)
    )
    households = members = 0
    for county6, county_plan in plan.items():
        todo = [(v, n) for v, n in county_plan if v.code not in filled]
        if not todo:
            continue
        with transaction.atomic():
            h, m = _seed_county(county6, todo)
        households += h
        members += m
    if households:
        _analyze()
    elapsed = time.monotonic() - started
    if not households:
        return "registry already seeded; nothing added"
    return f"{households} households, {members} members in {elapsed:.1f}s"
