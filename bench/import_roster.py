"""Benchmark of the roster import at county scale, against plain django-import-export.

    .venv/bin/python bench/import_roster.py [--members 50000] [--changed 300]
        [--baseline-sample 2000] [--databases sqlite,postgres] [--database-url URL]
        [--repeat 3] [--keep]

It writes a county-scale 建档立卡 roster (50,000 members in about 15,000 households, with the
oddities real files carry: a merged title row, full-width digits and spaces in ID numbers, 是/否
and 1/0, years as 2019 / 2019年 / 2019年度, diseases spelled with synonyms and mixed separators,
village names with and without their suffix), then, for each database, in fresh subprocesses
with throwaway databases:

1. ``roster_import``: the service end to end (reading the xlsx included) into an empty registry;
   then what the worker does once such an import has committed (``ANALYZE``, queued by the
   import; not part of the import's time, as the user does not wait for it);
2. the monthly case: the same file with ~300 rows changed, imported again over it;
3. the baseline: a plain ``ModelResource`` import of the same rows into the same models, with
   every derived value (cipher, blind index, mask, birth date, sex, mapped choices) computed
   beforehand so that only django-import-export's own per-row work is timed. It runs on a
   sample (``--baseline-sample`` rows, whole households) and is extrapolated linearly; then it
   re-imports the sample with the same changes (``skip_unchanged = True``).

1 and 2 run ``--repeat`` times (3 by default), each time on a fresh database, and the table
gives the median run and every run's rate: the machine is shared, so single runs vary.
Each subprocess prints one JSON line; the parent prints rows/s, the ratios to the baseline and
the peak memory (``ru_maxrss`` of the subprocess, which includes Django itself).

PostgreSQL: ``psql -h 127.0.0.1 -U postgres -c 'create database bench_import'`` (and
``bench_import_baseline``), dropped afterwards. SQLite: files in a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}
"""Where throwaway PostgreSQL databases are created (``--database-url`` changes it)."""


def _pg_url(name: str) -> str:
    auth = PG_SERVER["user"] + (f":{PG_SERVER['password']}" if PG_SERVER["password"] else "")
    return f"postgres://{auth}@{PG_SERVER['host']}:{PG_SERVER['port']}/{name}"


# --- the county ---------------------------------------------------------------------------------

PROVINCE = ("530000000000", "云南省")
PREFECTURE = ("532300000000", "楚雄彝族自治州")
COUNTY = ("532328000000", "元谋县")
TOWNSHIPS = (
    ("元马镇", "元马"),
    ("黄瓜园镇", "黄瓜园"),
    ("羊街镇", "羊街"),
    ("老城乡", "老城"),
    ("物茂乡", "物茂"),
    ("江边乡", "江边"),
    ("新华乡", "新华"),
    ("平田乡", "平田"),
    ("凉山乡", "凉山"),
    ("姜驿乡", "姜驿"),
)
VILLAGES_PER_TOWNSHIP = 9
_SYLLABLES = "能禹丙间雷宰大庄麻柳丰乐苴林湾保顶竹园甘泉盐井龙街腊甸芝麻朵东西南北中河坝"

SURNAMES = "李王张刘杨陈赵黄周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢"
GIVEN = "文华明国建平秀英玉兰春梅志强海燕红霞丽芳永福德贵成光荣云凤金花小龙婷涛军伟杰磊娟艳"
ETHNICITIES = ("汉族", "汉族", "汉族", "彝族", "彝族", "傈僳族", "苗族", "傣族", "回族", None)
ATTRIBUTES = ("一般贫困户", "一般贫困户", "一般贫困户", "低保贫困户", "低保户", "特困供养贫困户")
CAUSES = ("因病", "因病致贫", "因残", "因学", "缺劳力", "缺技术", "缺资金", "交通条件落后", "因灾")
BOOLS_YES = ("是", "Y", 1, "1", "是")
BOOLS_NO = ("否", "N", 0, "0", "否")
DISEASE_TEXTS = (
    "高血压",
    "高血压病",
    "糖尿病",
    "Ⅱ型糖尿病",
    "2型糖尿病",
    "慢阻肺",
    "冠心病",
    "脑梗",
    "肺结核",
    "精神分裂症",
    "类风湿关节炎",
    "骨关节炎",
    "慢性支气管炎",
    "白内障",
    "尿毒症",
)
SEPARATORS = ("、", "，", ",", "；", "、")
HEADER = (
    "县",
    "乡镇",
    "村",
    "户编号",
    "姓名",
    "性别",
    "证件号码",
    "与户主关系",
    "民族",
    "联系电话",
    "贫困户属性",
    "主要致贫原因",
    "是否因病致贫",
    "脱贫年度",
    "患病情况",
    "慢病卡号",
)
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def county_regions() -> list[tuple[str, str, int, str | None]]:
    """(code, name, level, parent code) of the benchmark county, province first."""
    regions = [
        (PROVINCE[0], PROVINCE[1], 2, None),
        (PREFECTURE[0], PREFECTURE[1], 4, PROVINCE[0]),
        (COUNTY[0], COUNTY[1], 6, PREFECTURE[0]),
    ]
    rng = random.Random(7)
    used: set[str] = set()
    for t, (name, _short) in enumerate(TOWNSHIPS, start=1):
        township = f"532328{100 + t:03d}000"
        regions.append((township, name, 9, COUNTY[0]))
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            while True:
                village = "".join(rng.sample(_SYLLABLES, 2))
                if village not in used:
                    used.add(village)
                    break
            regions.append((f"{township[:9]}{200 + v:03d}", f"{village}村委会", 12, township))
    return regions


def _villages() -> list[tuple[str, str, str, str]]:
    """(village code, county text, township, village) for each benchmark village."""
    regions = county_regions()
    names = {code: name for code, name, _level, _parent in regions}
    return [
        (code, COUNTY[1], names[parent], name)
        for code, name, level, parent in regions
        if level == 12
    ]


# --- the roster ---------------------------------------------------------------------------------


def make_rows(members: int = 50_000, seed: int = 2026) -> list[list[object]]:
    """Roster rows, one per member, in households of 1 to 6 (about 3.3 on average)."""
    from healthaid.idnumbers import make_id_number

    rng = random.Random(seed)
    villages = _villages()
    short_township = dict(TOWNSHIPS)
    rows: list[list[object]] = []
    used_ids: set[str] = set()
    household_seq: dict[str, int] = {}
    card_seq = 0

    def id_number(birth: dt.date, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != male:
                seq = (seq + 1) % 1000
            region = rng.choice(("532328", "532328", "532328", "532301", "532322"))
            number = make_id_number(region, birth, seq)
            if number not in used_ids:
                used_ids.add(number)
                return number

    def birth_between(low: int, high: int) -> dt.date:
        return dt.date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))

    while len(rows) < members:
        code, county, township, village = rng.choice(villages)
        household_seq[code] = household_seq.get(code, 0) + 1
        number = f"{code}{household_seq[code]:04d}"
        size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6)), members - len(rows))
        attribute = rng.choice(ATTRIBUTES)
        cause = rng.choice(CAUSES)
        illness = rng.choice(BOOLS_YES) if cause.startswith("因病") else rng.choice(BOOLS_NO)
        lifted = rng.choice((2016, 2017, 2018, 2019, "2019年", "2020年度", 2020.0, None))
        head_birth = birth_between(1945, 1985)
        surname = rng.choice(SURNAMES)
        for position in range(size):
            if position == 0:
                relation, male, birth = "户主", rng.random() < 0.8, head_birth
            elif position == 1:
                relation, male = "配偶", rng.random() < 0.2
                birth = birth_between(head_birth.year - 3, min(head_birth.year + 3, 1990))
            elif position in (2, 3, 4):
                male = rng.random() < 0.5
                relation = (
                    rng.choice(("之子", "长子", "次子")) if male else rng.choice(("之女", "长女"))
                )
                birth = birth_between(head_birth.year + 20, min(head_birth.year + 35, 2020))
            else:
                male = rng.random() < 0.5
                relation = "之孙子" if male else "之孙女"
                birth = birth_between(2005, 2022)
            given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            name = (surname if position != 1 else rng.choice(SURNAMES)) + given
            number_text: object = id_number(birth, male)
            roll = rng.random()
            if roll < 0.03:
                number_text = str(number_text).translate(_FULLWIDTH)
            elif roll < 0.08:
                text = str(number_text)
                number_text = f"{text[:6]} {text[6:14]} {text[14:]}"
            elif roll < 0.10 and str(number_text).endswith("X"):
                number_text = str(number_text)[:-1] + "x"
            elif roll < 0.12:
                number_text = f" {number_text} "
            diseases: str | None = None
            card = None
            age = 2025 - birth.year
            if age > 40 and rng.random() < 0.35:
                picked = rng.sample(DISEASE_TEXTS, rng.choice((1, 1, 2, 3)))
                diseases = rng.choice(SEPARATORS).join(picked)
                if rng.random() < 0.3:
                    card_seq += 1
                    card = f"MB{532328:06d}{card_seq:06d}"
            elif rng.random() < 0.5:
                diseases = "健康"
            if rng.random() < 0.003:
                diseases = "腰腿疼"  # not in the catalogue: a warning, not an error
            phone: object = None
            if position == 0 or rng.random() < 0.3:
                phone = rng.choice(
                    (
                        int(f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"),
                        f"15{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                        f"0878-{rng.randint(1_000_000, 9_999_999)}",
                    )
                )
            sex = "男" if male else "女"
            if rng.random() < 0.05:
                sex = None
            rows.append(
                [
                    county if rng.random() < 0.9 else county[:-1],
                    township if rng.random() < 0.7 else short_township[township],
                    village if rng.random() < 0.6 else village.removesuffix("村委会") + "村",
                    number,
                    name,
                    sex,
                    number_text,
                    relation,
                    rng.choice(ETHNICITIES),
                    phone,
                    attribute,
                    cause,
                    illness,
                    lifted,
                    diseases,
                    card,
                ]
            )
    return rows


def change_rows(rows: list[list[object]], count: int = 300, seed: int = 9) -> list[list[object]]:
    """A copy of ``rows`` with ``count`` members' phone numbers or diseases changed (the month's
    corrections), as the next export of the national system would carry them."""
    rng = random.Random(seed)
    changed = [list(row) for row in rows]
    for index in rng.sample(range(len(changed)), count):
        row = changed[index]
        if rng.random() < 0.5:
            row[9] = f"18{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        else:
            row[14] = "高血压、2型糖尿病" if row[14] != "高血压、2型糖尿病" else "冠心病"
    return changed


def write_xlsx(path: Path, rows: list[list[object]], title: str) -> None:
    """The roster as county offices hold it: a merged title row, a blank row, the header."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([title])
    sheet.append([])
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(row)
    # Write-only sheets have no merge_cells(); their writer still emits this range list.
    sheet.merged_cells.add("A1:P1")
    book.save(path)


# --- the worker: one phase in a fresh process against one database -----------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthaid.settings")
    import django

    django.setup()


def _seed_county() -> object:
    """The benchmark county's regions and one county staff user; returns the user."""
    from django.contrib.auth import get_user_model

    from healthaid.choices import Role
    from healthaid.models import Region, UserProfile

    if not Region.objects.filter(code=COUNTY[0]).exists():
        Region.objects.bulk_create(
            [
                Region(code=code, name=name, level=level, parent_id=parent, path="")
                for code, name, level, parent in county_regions()
            ]
        )
        for region in Region.objects.all():  # derive the full names as save() does
            region.save()
    user, created = get_user_model().objects.get_or_create(username="bench-county")
    if created:
        UserProfile.objects.create(user=user, role=Role.COUNTY_STAFF, region_id=COUNTY[0])
    return user


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_service(path: str) -> dict:
    """``roster_import`` end to end on ``path``: reading, checking, writing, auditing."""
    _setup_django()
    user = _seed_county()
    from households.importing import service
    from households.importing.service import roster_import

    stages = _time_stages(service)
    started = time.perf_counter()
    result = roster_import(source=path, filename=Path(path).name, by=user)
    elapsed = time.perf_counter() - started
    if not result.applied:
        raise SystemExit(f"import refused: {result.file_error or result.errors[:3]}")
    return {
        "rows": result.total_rows,
        "seconds": elapsed,
        "households": result.households.as_dict(),
        "members": result.members.as_dict(),
        "warnings": len(result.warnings),
        "maxrss_mb": _maxrss_mb(),
        "stages": stages,
    }


def _time_stages(service) -> dict[str, float]:
    """Wrap the import's stages (read, normalise, plan, write) to time each, in seconds.

    The wrappers cost a few calls in all; ``write`` includes its audit rows and ANALYZE.
    """
    stages: dict[str, float] = {}

    def timed(name, fn):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - started

        return call

    service.open_table = timed("read", service.open_table)
    for name in ("normalise", "plan", "write"):
        setattr(service.RosterImport, name, timed(name, getattr(service.RosterImport, name)))
    return stages


def _baseline_resources():
    from import_export import fields, resources, widgets

    from healthaid.models import Region
    from households.models import Disease, Household, Member

    class PlainHouseholdResource(resources.ModelResource):
        village = fields.Field(
            attribute="village",
            column_name="village",
            widget=widgets.ForeignKeyWidget(Region, "code"),
        )

        class Meta:
            model = Household
            fields = (
                "number",
                "village",
                "poverty_attribute",
                "status",
                "lifted_year",
                "poverty_cause",
                "illness_caused",
            )
            import_id_fields = ("number",)
            skip_unchanged = True

    class PlainMemberResource(resources.ModelResource):
        household = fields.Field(
            attribute="household",
            column_name="household",
            widget=widgets.ForeignKeyWidget(Household, "number"),
        )
        diseases = fields.Field(
            attribute="diseases",
            column_name="diseases",
            widget=widgets.ManyToManyWidget(Disease, field="code", separator=","),
        )

        class Meta:
            model = Member
            fields = (
                "household",
                "name",
                "id_number_cipher",
                "id_number_index",
                "id_number_masked",
                "sex",
                "birth_date",
                "relation",
                "ethnicity",
                "phone",
                "health_status",
                "diseases",
            )
            import_id_fields = ("id_number_index",)
            skip_unchanged = True

    return PlainHouseholdResource, PlainMemberResource


def _baseline_datasets(path: str, user) -> tuple[object, object]:
    """The sample's rows as plain datasets, every derived value computed beforehand (untimed):
    the same normalisation the service does, so both import the same values."""
    import tablib

    from healthaid.idnumbers import encrypt_id_number
    from households.importing.columns import read_roster
    from households.importing.service import ImportResult, RosterImport

    roster = RosterImport(read_roster(path), by=user, result=ImportResult())
    roster.normalise()
    roster.plan()
    households = tablib.Dataset(
        headers=[
            "number",
            "village",
            "poverty_attribute",
            "status",
            "lifted_year",
            "poverty_cause",
            "illness_caused",
        ]
    )
    for plan in roster.plan_households:
        v = plan["values"]
        households.append(
            [
                plan["number"],
                v["village_id"],
                v["poverty_attribute"],
                v["status"],
                v["lifted_year"],
                v["poverty_cause"],
                v["illness_caused"],
            ]
        )
    members = tablib.Dataset(
        headers=[
            "household",
            "name",
            "id_number_cipher",
            "id_number_index",
            "id_number_masked",
            "sex",
            "birth_date",
            "relation",
            "ethnicity",
            "phone",
            "health_status",
            "diseases",
        ]
    )
    for plan in roster.plan_members:
        row, v = plan["row"], plan["values"]
        members.append(
            [
                row.household_number,
                v["name"],
                encrypt_id_number(row.id_number),
                row.index,
                row.masked,
                v["sex"],
                v["birth_date"].isoformat(),
                v["relation"],
                v["ethnicity"],
                v.get("phone", ""),
                v.get("health_status", "healthy"),
                ",".join(row.diseases or ()),
            ]
        )
    return households, members


def worker_baseline(path: str, changed_path: str) -> dict:
    """Plain django-import-export: a household then a member ModelResource, then a re-import."""
    _setup_django()
    user = _seed_county()
    household_resource, member_resource = _baseline_resources()
    households, members = _baseline_datasets(path, user)
    _unused, members_changed = _baseline_datasets(changed_path, user)

    started = time.perf_counter()
    first = household_resource().import_data(households, raise_errors=True)
    second = member_resource().import_data(members, raise_errors=True)
    elapsed = time.perf_counter() - started
    if first.has_errors() or second.has_errors() or second.has_validation_errors():
        raise SystemExit("baseline import failed")

    # The monthly case: the same rows again with a few changed. The ciphers differ each time a
    # number is encrypted, so the re-import keeps the stored ones (the change is elsewhere).
    from households.models import Member

    stored = dict(Member.objects.values_list("id_number_index", "id_number_cipher"))
    index_col = members_changed.headers.index("id_number_index")
    cipher_col = members_changed.headers.index("id_number_cipher")
    rows = []
    for row in members_changed:
        row = list(row)
        row[cipher_col] = stored.get(row[index_col], row[cipher_col])
        rows.append(row)
    members_changed = type(members_changed)(*rows, headers=members_changed.headers)
    started = time.perf_counter()
    again = member_resource().import_data(members_changed, raise_errors=True)
    reimport = time.perf_counter() - started
    return {
        "rows": len(members),
        "households": len(households),
        "seconds": elapsed,
        "reimport_seconds": reimport,
        "reimport_updated": again.totals.get("update", 0),
        "maxrss_mb": _maxrss_mb(),
    }


def _worker_main(argv: list[str]) -> None:
    phase, *paths = argv
    if phase == "service":
        out = worker_service(paths[0])
    elif phase == "analyze":
        _setup_django()
        from households.tasks import analyze_registry

        analyze_registry()
        out = {}
    elif phase == "baseline":
        out = worker_baseline(paths[0], paths[1])
    else:
        raise SystemExit(f"unknown phase {phase}")
    print(json.dumps(out))


# --- the driver ---------------------------------------------------------------------------------


def _env(database_url: str, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "HEALTHAID_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "healthaid.settings",
            # Production mode: no SQL debug log kept in memory.
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "s" * 40,
            "ID_NUMBER_ENCRYPTION_KEY": "bench-" + "e" * 40,
            "ID_NUMBER_INDEX_KEY": "bench-" + "i" * 40,
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            # A prefecture's roster (500,000 rows, 43 MB of xlsx whose sheet inflates to some
            # 450 MB) is over the web upload's defaults; the command line raises them so.
            "ROSTER_MAX_BYTES": str(128 * 1024 * 1024),
            "IMPORT_MAX_UNCOMPRESSED_BYTES": str(1024 * 1024 * 1024),
            "IMPORT_MAX_ROWS": str(1_000_000),
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> dict | None:
    completed = subprocess.run(
        [sys.executable, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def _psql(sql: str) -> None:
    env = dict(os.environ)
    if PG_SERVER["password"]:
        env["PGPASSWORD"] = PG_SERVER["password"]
    subprocess.run(
        [
            "psql",
            "-q",
            "-h",
            PG_SERVER["host"],
            "-p",
            str(PG_SERVER["port"]),
            "-U",
            PG_SERVER["user"],
            "-d",
            "postgres",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        env=env,
    )


class _Database:
    """A throwaway database: a SQLite file in the temporary directory, or a PostgreSQL one."""

    def __init__(self, engine: str, name: str, tmp: Path) -> None:
        self.engine, self.name, self.tmp = engine, name, tmp
        if engine == "sqlite":
            self.url = f"sqlite:///{tmp / (name + '.sqlite3')}"
        else:
            self.url = _pg_url(name)

    def __enter__(self) -> str:
        self._drop()
        if self.engine == "postgres":
            _psql(f"create database {self.name}")
        return self.url

    def __exit__(self, *exc) -> None:
        self._drop()

    def _drop(self) -> None:
        if self.engine == "postgres":
            _psql(f"drop database if exists {self.name}")
            return
        path = self.tmp / (self.name + ".sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_engine(
    engine: str,
    roster: Path,
    changed: Path,
    sample: Path,
    sample_changed: Path,
    tmp: Path,
    repeat: int = 3,
) -> dict:
    script = str(Path(__file__).resolve())
    results: dict = {"engine": engine}
    runs: dict[str, list[dict]] = {"import": [], "reimport": []}
    for attempt in range(repeat):
        with _Database(engine, "bench_import", tmp) as url:
            env = _env(url, str(tmp / f"var-{engine}-{attempt}"))
            _run(["manage.py", "migrate", "--no-input", "-v0"], env)
            runs["import"].append(_run([script, "--worker", "service", str(roster)], env))
            # What the worker does once the import has committed (the import queues it).
            _run([script, "--worker", "analyze"], env)
            runs["reimport"].append(_run([script, "--worker", "service", str(changed)], env))
    for run in runs["import"]:  # every first import starts from an empty registry
        if run["members"]["created"] != run["rows"]:
            raise SystemExit(f"{engine}: the first import did not start from an empty registry")
    for key, measured in runs.items():
        ordered = sorted(measured, key=lambda run: run["seconds"])
        results[key] = dict(ordered[len(ordered) // 2])  # the median run, stages and all
        results[key]["all_seconds"] = [run["seconds"] for run in measured]
    with _Database(engine, "bench_import_baseline", tmp) as url:
        env = _env(url, str(tmp / f"var-{engine}-baseline"))
        _run(["manage.py", "migrate", "--no-input", "-v0"], env)
        results["baseline"] = _run(
            [script, "--worker", "baseline", str(sample), str(sample_changed)], env
        )
    return results


def _report(results: list[dict], members: int) -> str:
    lines = [
        f"{'database':<10} {'case':<34} {'rows':>7} {'seconds':>8} {'rows/s':>8} {'peak MB':>8}",
    ]
    for res in results:
        imp, again, base = res["import"], res["reimport"], res["baseline"]
        base_rate = base["rows"] / base["seconds"]
        base_again = base["rows"] / base["reimport_seconds"]
        rate = imp["rows"] / imp["seconds"]
        again_rate = again["rows"] / again["seconds"]
        rows = [
            ("roster_import, empty registry", imp["rows"], imp["seconds"], rate, imp["maxrss_mb"]),
            (
                "roster_import, monthly re-import",
                again["rows"],
                again["seconds"],
                again_rate,
                again["maxrss_mb"],
            ),
            (
                f"plain ModelResource ({base['rows']} rows)",
                base["rows"],
                base["seconds"],
                base_rate,
                base["maxrss_mb"],
            ),
            (
                "plain ModelResource, re-import",
                base["rows"],
                base["reimport_seconds"],
                base_again,
                base["maxrss_mb"],
            ),
        ]
        for case, n, seconds, per_second, mb in rows:
            lines.append(
                f"{res['engine']:<10} {case:<34} {n:>7} {seconds:>8.2f} {per_second:>8.0f} {mb:>8.0f}"
            )
        for case, key in (("import", "import"), ("re-import", "reimport")):
            spread = sorted(res[key].get("all_seconds") or [res[key]["seconds"]])
            lines.append(
                f"{res['engine']:<10} {case + ' runs, rows/s (median above)':<34} "
                + "  ".join(f"{res[key]['rows'] / seconds:.0f}" for seconds in spread)
            )
        lines.append(
            f"{res['engine']:<10} {'ratio import / baseline':<34} {'':>7} {'':>8} "
            f"{rate / base_rate:>7.1f}x"
        )
        lines.append(
            f"{res['engine']:<10} {'ratio re-import / baseline':<34} {'':>7} {'':>8} "
            f"{again_rate / base_again:>7.1f}x"
        )
        lines.append(
            f"{res['engine']:<10} {'baseline extrapolated to ' + str(members):<34} {'':>7} "
            f"{members / base_rate:>8.1f}"
        )
        lines.append(
            f"{res['engine']:<10} {'households, members created':<34} "
            f"{imp['households']['created']:>7} {imp['members']['created']:>8}"
        )
        for case, key in (("import", "import"), ("re-import", "reimport")):
            stages = res[key].get("stages") or {}
            lines.append(
                f"{res['engine']:<10} {'stages, ' + case + ' (s)':<34} "
                + "  ".join(f"{name} {seconds:.2f}" for name, seconds in stages.items())
            )
        lines.append(
            f"{res['engine']:<10} {'re-import: members updated':<34} "
            f"{again['members']['updated']:>7} {again['members']['unchanged']:>8} (unchanged)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _worker_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--changed", type=int, default=300)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--database-url",
        help="measure on this kind of database only; for PostgreSQL, the server on which the "
        "throwaway databases are created (as make bench passes it)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="import and re-import this many times, each on a fresh database; the table gives "
        "the median run and every run's rate (the machine is shared, runs vary)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.database_url:
        from urllib.parse import urlsplit

        url = urlsplit(args.database_url)
        if url.scheme.startswith("postgres"):
            PG_SERVER.update(
                host=url.hostname or PG_SERVER["host"],
                port=url.port or PG_SERVER["port"],
                user=url.username or PG_SERVER["user"],
                password=url.password or "",
            )
            args.databases = "postgres"
        else:
            args.databases = "sqlite"

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthaid.settings")
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        rows = make_rows(args.members)
        changed_rows = change_rows(rows, args.changed)
        sample_size = min(args.baseline_sample, len(rows))
        # The sample ends on a household boundary so no household is cut in two.
        while 0 < sample_size < len(rows) and rows[sample_size][3] == rows[sample_size - 1][3]:
            sample_size += 1
        title = "元谋县建档立卡贫困人口花名册"
        paths = {
            "roster": tmp / "roster.xlsx",
            "changed": tmp / "roster-changed.xlsx",
            "sample": tmp / "sample.xlsx",
            "sample_changed": tmp / "sample-changed.xlsx",
        }
        write_xlsx(paths["roster"], rows, title)
        write_xlsx(paths["changed"], changed_rows, title)
        write_xlsx(paths["sample"], rows[:sample_size], title)
        write_xlsx(paths["sample_changed"], changed_rows[:sample_size], title)
        print(
            f"roster: {len(rows)} members in {len({r[3] for r in rows})} households, "
            f"{paths['roster'].stat().st_size / 1e6:.1f} MB xlsx; {args.changed} rows changed "
            f"for the re-import; baseline sample {sample_size} rows",
            flush=True,
        )
        results = []
        for engine in args.databases.split(","):
            print(f"running on {engine} ...", flush=True)
            results.append(
                run_engine(
                    engine,
                    paths["roster"],
                    paths["changed"],
                    paths["sample"],
                    paths["sample_changed"],
                    tmp,
                    repeat=args.repeat,
                )
            )
        print(_report(results, len(rows)))
        print(json.dumps(results))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
