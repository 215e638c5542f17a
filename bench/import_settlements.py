"""Benchmark of the settlement import (结算明细): a county's half-year file.

    .venv/bin/python bench/import_settlements.py [--rows 50000] [--members 20000]
        [--databases sqlite,postgres] [--database-url URL] [--repeat 3] [--keep]

Goal (issue 9): about 50,000 rows at 10,000 rows/s or more on PostgreSQL and SQLite, under
500 MB.  For each database, in fresh subprocesses with a throwaway database: migrate, seed the
benchmark county of ``bench/import_roster.py`` (its regions, a roster of ``--members`` people
imported with the roster import, the county hospital and a township health centre per
township), then time ``settlement_import`` end to end (reading the xlsx included) into an
empty table, then the same file again (the idempotent re-import: everything unchanged) with
``--changed`` rows corrected.  Each subprocess prints one JSON line; the parent prints rows/s
and the peak memory (``ru_maxrss`` of the subprocess, Django included).

The file is what a county sends: a title row above the header, 80 % outpatient visits at the
township centres (named with the common variants: 元马卫生院, 元马镇中心卫生院, ...), 20 %
inpatient stays at the county hospital, money as Excel numbers, 是/否 flags.

PostgreSQL: a database ``bench_import_settlements`` is created and dropped on the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench import import_roster as roster  # noqa: E402

HEADER = (
    "医疗机构",
    "就诊类型",
    "姓名",
    "证件号码",
    "入院日期",
    "出院日期",
    "总费用",
    "基本医保统筹支付",
    "大病保险",
    "医疗救助",
    "其他保障",
    "个人自付",
    "目录外费用",
    "一站式结算",
    "先诊疗后付费",
)
HOSPITAL = "元谋县人民医院"


def _fen(rng: random.Random, low: int, high: int) -> int:
    return rng.randrange(low * 100, high * 100)


def make_rows(people: list[tuple[str, str]], count: int, seed: int = 17) -> list[list[object]]:
    """``count`` settlement rows for ``people`` (name, ID number): distinct encounters."""
    rng = random.Random(seed)
    townships = [short for _name, short in roster.TOWNSHIPS]
    start = dt.date(2019, 1, 1)
    rows = []
    for n in range(count):
        name, number = people[n % len(people)]
        day = start + dt.timedelta(days=(n // len(people)) * 7 + rng.randrange(0, 7))
        if rng.random() < 0.8:
            short = rng.choice(townships)
            variant = rng.choice(("{}卫生院", "{}镇卫生院", "{}中心卫生院", "元谋县{}卫生院"))
            institution = variant.format(short)
            if short in ("老城", "物茂", "江边", "新华", "平田", "凉山", "姜驿"):
                institution = institution.replace("镇卫生院", "乡卫生院")
            kind, admitted, discharged = "门诊", day, None
            total = _fen(rng, 20, 400)
            pooled = total * rng.randrange(30, 60) // 100
            critical = assistance = other = 0
        else:
            institution, kind = HOSPITAL, "住院"
            admitted, discharged = day, day + dt.timedelta(days=rng.randrange(1, 15))
            total = _fen(rng, 2000, 40000)
            pooled = total * rng.randrange(55, 70) // 100
            critical = total * rng.randrange(0, 10) // 100
            assistance = total * rng.randrange(5, 15) // 100
            other = total * rng.randrange(0, 5) // 100
        out = total - pooled - critical - assistance - other
        rows.append(
            [
                institution,
                kind,
                name if rng.random() < 0.9 else None,
                number,
                admitted,
                discharged,
                total / 100,
                pooled / 100,
                critical / 100,
                assistance / 100,
                other / 100,
                out / 100,
                (total * rng.randrange(0, 8) // 100) / 100,
                rng.choice(("是", "是", "否")),
                rng.choice(("是", "否", "否")),
            ]
        )
    return rows


def change_rows(rows: list[list[object]], count: int, seed: int = 5) -> list[list[object]]:
    """Corrections: ``count`` rows move 1.00 yuan from 个人自付 to 医疗救助."""
    rng = random.Random(seed)
    changed = [list(row) for row in rows]
    for index in rng.sample(range(len(rows)), count):
        row = changed[index]
        if row[11] >= 1:
            row[9] = round(row[9] + 1, 2)
            row[11] = round(row[11] - 1, 2)
    return changed


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("结算明细")
    sheet.append(["元谋县2019年上半年建档立卡贫困人口结算明细"])
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(row)
    book.save(path)


# --- the worker ---------------------------------------------------------------------------------


def worker_seed(roster_path: str) -> dict:
    roster._setup_django()
    user = roster._seed_county()
    from healthaid.choices import InstitutionKind
    from healthaid.models import Institution, Region
    from households.importing.service import roster_import

    result = roster_import(source=roster_path, filename="roster.xlsx", by=user)
    if not result.applied:
        raise SystemExit(f"roster refused: {result.file_error or result.errors[:3]}")
    Institution.objects.create(
        code="H53232801", name=HOSPITAL, kind=InstitutionKind.COUNTY_HOSPITAL,
        region_id=roster.COUNTY[0],
    )  # fmt: skip
    for code, name in Region.objects.filter(level=9).values_list("code", "name"):
        Institution.objects.create(
            code=f"T{code[:9]}", name=f"{name}卫生院", kind=InstitutionKind.TOWNSHIP_CENTRE,
            region_id=code,
        )  # fmt: skip
    return {"members": result.members.created}


def worker_import(path: str) -> dict:
    roster._setup_django()
    from django.contrib.auth import get_user_model

    from medconsortium import settlement_importing as service

    user = get_user_model().objects.get(username="bench-county")
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
    for name in ("normalise", "plan"):
        method = getattr(service.SettlementImport, name)
        setattr(service.SettlementImport, name, timed(name, method))
    service.encounter_settlements_upsert_bulk = timed(
        "write", service.encounter_settlements_upsert_bulk
    )
    started = time.perf_counter()
    result = service.settlement_import(source=path, filename=Path(path).name, by=user)
    elapsed = time.perf_counter() - started
    if not result.applied:
        raise SystemExit(f"import refused: {result.file_error or result.errors[:3]}")
    return {
        "rows": result.total_rows,
        "seconds": elapsed,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "warnings": len(result.warnings),
        "maxrss_mb": roster._maxrss_mb(),
        "stages": stages,
    }


def _worker_main(argv: list[str]) -> None:
    phase, path = argv
    out = worker_seed(path) if phase == "seed" else worker_import(path)
    print(json.dumps(out))


# --- the driver ---------------------------------------------------------------------------------


def run_engine(engine, roster_path, file, changed, tmp, repeat) -> dict:
    script = str(Path(__file__).resolve())
    runs: dict[str, list[dict]] = {"import": [], "reimport": []}
    for attempt in range(repeat):
        with roster._Database(engine, "bench_import_settlements", tmp) as url:
            env = roster._env(url, str(tmp / f"var-{engine}-{attempt}"))
            roster._run(["manage.py", "migrate", "--no-input", "-v0"], env)
            roster._run([script, "--worker", "seed", str(roster_path)], env)
            runs["import"].append(roster._run([script, "--worker", "import", str(file)], env))
            runs["reimport"].append(roster._run([script, "--worker", "import", str(changed)], env))
    results: dict = {"engine": engine}
    for key, measured in runs.items():
        ordered = sorted(measured, key=lambda run: run["seconds"])
        results[key] = dict(ordered[len(ordered) // 2])
        results[key]["all_seconds"] = [run["seconds"] for run in measured]
    return results


def _report(results: list[dict]) -> str:
    lines = [f"{'database':10} {'case':32} {'rows':>6} {'seconds':>8} {'rows/s':>8} {'peak MB':>8}"]
    for result in results:
        for key, label in (("import", "settlement_import, empty"), ("reimport", "re-import")):
            run = result[key]
            lines.append(
                f"{result['engine']:10} {label:32} {run['rows']:>6} {run['seconds']:>8.2f} "
                f"{run['rows'] / run['seconds']:>8.0f} {run['maxrss_mb']:>8.0f}"
            )
            rates = "  ".join(f"{run['rows'] / s:.0f}" for s in run["all_seconds"])
            stages = "  ".join(f"{k} {v:.2f}" for k, v in run["stages"].items())
            lines.append(f"{'':10} {'  runs, rows/s':32} {rates}")
            lines.append(f"{'':10} {'  stages (s)':32} {stages}")
            lines.append(
                f"{'':10} {'  created/updated/unchanged':32} "
                f"{run['created']}/{run['updated']}/{run['unchanged']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _worker_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=300)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if args.database_url:
        from urllib.parse import urlsplit

        url = urlsplit(args.database_url)
        if url.scheme.startswith("postgres"):
            roster.PG_SERVER.update(
                host=url.hostname or roster.PG_SERVER["host"],
                port=url.port or roster.PG_SERVER["port"],
                user=url.username or roster.PG_SERVER["user"],
                password=url.password or "",
            )
            args.databases = "postgres"
        else:
            args.databases = "sqlite"

    import os
    import shutil

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthaid.settings")
    tmp = Path(tempfile.mkdtemp(prefix="bench-settlements-"))
    try:
        from healthaid.idnumbers import normalize_id_number

        people_rows = roster.make_rows(args.members)
        roster_path = tmp / "roster.xlsx"
        roster.write_xlsx(roster_path, people_rows, "元谋县建档立卡贫困人口花名册")
        people = [(row[4], normalize_id_number(row[6])) for row in people_rows]
        rows = make_rows(people, args.rows)
        file, changed = tmp / "settlements.xlsx", tmp / "settlements-changed.xlsx"
        write_xlsx(file, rows)
        write_xlsx(changed, change_rows(rows, args.changed))
        print(
            f"settlements: {len(rows)} rows for {len(people)} members, "
            f"{file.stat().st_size / 1e6:.1f} MB xlsx; {args.changed} rows corrected for the "
            "re-import",
            flush=True,
        )
        results = []
        for engine in args.databases.split(","):
            print(f"running on {engine} ...", flush=True)
            results.append(run_engine(engine, roster_path, file, changed, tmp, args.repeat))
        print(_report(results))
        print(json.dumps(results))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
