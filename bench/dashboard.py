"""Latency of the dashboards (/dashboard/) at county scale.

    .venv/bin/python bench/dashboard.py [--database-url URL] [--requests 20] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory; for
PostgreSQL pass an empty database's URL. It migrates and seeds the county-scale demo
(``seed_demo --scale county``: 元谋县, ~15,000 households and ~50,000 people, a year of
contracts and follow-ups relative to today, the settlements, referrals and consortium work of
H1 2019; a database already seeded is left as it is) and times, as the demo's users:

* the county dashboard (county staff, 元谋县 by township) for this year (contracts and
  follow-ups) and for H1 2019 (settlements and referrals);
* the township dashboard (a township doctor of 元马镇, by village and team);
* the prefecture dashboard (the supervisor, 楚雄州 by county);
* the hospital dashboard (元谋县人民医院's staff), H1 2019;

each with the figures computed on every request (the contract figures' and the five-ones
progress caches off: what the first view after a change costs) and from those caches
(repeat views). Each request is timed whole in process with Django's test ``Client``,
``DEBUG`` off; it prints p50 and p95 in milliseconds and the SQL queries of one request.
"""

from __future__ import annotations

import argparse
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

H1_2019 = "period=custom&start=2019-01-01&end=2019-06-30"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
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


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def time_requests(client, url: str, n: int, *, cached: bool) -> tuple[list[float], int]:
    from django.core.cache import cache
    from django.db import connection

    response = client.get(url)  # warm the templates, the profile, the rules
    assert response.status_code == 200, (url, response.status_code)
    if not cached:
        cache.clear()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        client.get(url)
    samples = []
    for _ in range(n):
        if not cached:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples, counter.count


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench_dashboard_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(database_url, workdir)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from households.models import Household, Member
    from medconsortium.models import Referral, Settlement

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, shared")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", scale="county", verbosity=0, stdout=devnull)
    print(f"migrate + seed_demo --scale county: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"data: {Household.objects.count():,} households, {Member.objects.count():,} people, "
        f"{Settlement.objects.count():,} settlements, {Referral.objects.count():,} referrals"
    )
    settings.DEBUG = False
    users = get_user_model().objects

    def client_for(username):
        client = Client()
        client.force_login(users.get(username=username))
        return client

    county, township = client_for("county"), client_for("township")
    supervisor, hospital = client_for("supervisor"), client_for("hospital")
    cases = [
        ("county, this year", county, "/dashboard/?period=year"),
        ("county, H1 2019", county, f"/dashboard/?{H1_2019}"),
        ("township, this year", township, "/dashboard/?period=year"),
        ("prefecture, this year", supervisor, "/dashboard/?period=year"),
        ("hospital, H1 2019", hospital, f"/dashboard/?{H1_2019}"),
    ]
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\n{'case':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for cached in (False, True):
        seconds = 600 if cached else 0
        settings.CONTRACT_FIGURES_CACHE_SECONDS = seconds
        settings.SCREENING_PROGRESS_CACHE_SECONDS = seconds
        for label, client, url in cases:
            samples, queries = time_requests(client, url, args.requests, cached=cached)
            name = f"{label}, {'cached' if cached else 'computed'}"
            print(
                f"{name:<34} {statistics.median(samples):>8.1f} "
                f"{percentile(samples, 95):>8.1f} {queries:>8}"
            )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if not args.database_url and not args.keep:
        import shutil

        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
