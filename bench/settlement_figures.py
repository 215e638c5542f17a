"""Latency of the settlement figures at county and prefecture scale.

    .venv/bin/python bench/settlement_figures.py [--database-url URL] [--counties 10]
        [--requests 20] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL, create an empty database first and pass its URL, e.g.::

    psql -h 127.0.0.1 -U postgres -c 'create database bench_settlements'
    .venv/bin/python bench/settlement_figures.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_settlements

It migrates, loads the demo regions and institutions (``healthaid.demo``: 楚雄州's ten
counties), then for each county 2,000 registered members (minimal rows, written in bulk) and
seed 002's 元谋 H1 2019 settlements (``medconsortium.settlement_demo.seed_002_rows``:
2,517 inpatient and 45,862 outpatient, 48,379 a county; ten counties 483,790), timing the
load through ``encounter_settlements_upsert_bulk`` (the settlement import's writer). A
database that already holds them is left as it is. Then it times, each request whole through
Django's test ``Client`` (middleware, session, scope, queries, JSON):

* ``/api/v1/indicators/settlements/?start=2019-01-01&end=2019-06-30`` as county staff of
  元谋县 (a county half-year, ~50,000 settlements); goal under 300 ms;
* the same as a supervisor of 楚雄州 (ten counties); goal under 2 s;

and prints p50 and p95 in milliseconds, the SQL queries per request and the figures (the
county's must be seed 002's: 90.36, 9.64, 444.25, 1160.04 万元, ...).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

MEMBERS_PER_COUNTY = 2000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--counties", type=int, default=10, help="counties to load (1-10)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per figure")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    return parser.parse_args(argv)


def setup(database_url: str, workdir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "healthaid.settings"
    os.environ["HEALTHAID_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def load(counties: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from healthaid import demo
    from healthaid.models import Institution, Region
    from households.models import Household, Member
    from medconsortium.models import Encounter
    from medconsortium.settlement_demo import seed_002_rows
    from medconsortium.settlement_services import encounter_settlements_upsert_bulk

    call_command("migrate", verbosity=0)
    demo.seed("county")
    county_codes = sorted(
        Region.objects.filter(parent_id="532300000000", level=6).values_list("code", flat=True)
    )[:counties]
    for county in county_codes:
        prefix = county[:6]
        if Encounter.objects.filter(village__code__startswith=prefix).exists():
            continue
        started = time.perf_counter()
        villages = list(
            Region.objects.filter(code__startswith=prefix, level=12).values_list("code", flat=True)
        )
        members = list(
            Member.objects.filter(household__number__startswith=f"B{prefix}")
            .order_by("pk")
            .values_list("pk", "household__village_id")
        )
        if not members:  # a run stopped after this step keeps its members
            with transaction.atomic():
                households = Household.objects.bulk_create(
                    [
                        Household(
                            number=f"B{prefix}{i:06d}", village_id=villages[i % len(villages)]
                        )
                        for i in range(MEMBERS_PER_COUNTY)
                    ],
                    batch_size=2000,
                )
                created = Member.objects.bulk_create(
                    [
                        Member(
                            household=household,
                            name=f"基准{i}",
                            id_number_cipher=f"bench-{prefix}-{i}",
                            id_number_index=f"bench-{prefix}-{i}",
                            id_number_masked="532328********0000",
                            sex="1",
                            birth_date=datetime.date(1960, 1, 1),
                        )
                        for i, household in enumerate(households)
                    ],
                    batch_size=2000,
                )
            members = [(m.pk, m.household.village_id) for m in created]
        institutions = Institution.objects.filter(region__code__startswith=prefix)
        hospitals = list(
            institutions.filter(kind__in=["county", "tcm"]).values_list("pk", flat=True)
        )
        centres = list(institutions.filter(kind="township").values_list("pk", flat=True))
        rows = seed_002_rows(
            members=members,
            inpatient_institutions=hospitals + centres,
            outpatient_institutions=centres + hospitals,
        )
        built = time.perf_counter()
        encounter_settlements_upsert_bulk(rows=rows, by=None, message="bench")
        done = time.perf_counter()
        print(
            f"  loaded {prefix}: {len(rows)} settlements, write {done - built:.1f} s "
            f"({len(rows) / (done - built):,.0f} rows/s), total {done - started:.1f} s",
            flush=True,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE medconsortium_encounter, medconsortium_settlement, "
                "households_member, households_household"
            )


def user(username, role, region_code):
    from django.contrib.auth import get_user_model

    from healthaid.models import Region, UserProfile

    account, _ = get_user_model().objects.get_or_create(username=username)
    UserProfile.objects.get_or_create(
        user=account, defaults={"role": role, "region": Region.objects.get(code=region_code)}
    )
    return account


def time_requests(client, url: str, n: int):
    from django.db import connection

    client.get(url)  # warm
    times = []
    counter = QueryCounter()
    for i in range(n):
        if i == 0:
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                response = client.get(url)
        else:
            started = time.perf_counter()
            response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, counter.count, response.json()


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench-settlements-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(url, workdir)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from healthaid.choices import Role

    print(f"database: {connection.vendor}; python {platform.python_version()}")
    print(f"load average: {os.getloadavg()}")
    started = time.perf_counter()
    load(args.counties)
    print(f"data ready in {time.perf_counter() - started:.1f} s", flush=True)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    query = "/api/v1/indicators/settlements/?start=2019-01-01&end=2019-06-30"
    for label, username, role, region in [
        ("county (元谋县)", "bench-county", Role.COUNTY_STAFF, "532328000000"),
        ("prefecture (楚雄州)", "bench-prefecture", Role.SUPERVISOR, "532300000000"),
    ]:
        client = Client()
        client.force_login(user(username, role, region))
        p50, p95, queries, data = time_requests(client, query, args.requests)
        i, o = data["inpatient"], data["outpatient"]
        print(
            f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {queries} queries; inpatient "
            f"{i['person_times']} · {i['total_wan']} 万元 · {i['actual_reimbursement_ratio']}% · "
            f"{i['out_of_pocket_ratio']}% · {i['per_capita_out_of_pocket']} 元; outpatient "
            f"{o['visits']} · {o['total_wan']} / {o['pooled_wan']} / {o['out_of_pocket_wan']} 万元",
            flush=True,
        )
    print(f"load average: {os.getloadavg()}")
    if not args.database_url and not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
