"""Latency of the registry's list pages and API lists at county scale.

    .venv/bin/python bench/list_pages.py [--database-url URL] [--requests 50] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL, create an empty database first and pass its URL, e.g.::

    psql -h 127.0.0.1 -U postgres -c 'create database bench_lists'
    .venv/bin/python bench/list_pages.py --database-url postgres://postgres@127.0.0.1:5432/bench_lists
    psql -h 127.0.0.1 -U postgres -c 'drop database bench_lists'

It migrates, seeds the county-scale demo data (元谋县: ~15,000 households, ~50,000 people,
timed), logs in as county bureau staff (the widest scope of a county) with Django's test
``Client`` and times N requests of each page: the household and member lists (HTML, 50 and
200 rows a page) and their API lists (50 and 500 rows a page), walking through pages 1..N so
that OFFSET grows, plus a filtered list, an exact-ID search and a household page. It prints
p50 and p95 in milliseconds and the number of SQL queries one request runs.

The whole request is timed in process (middleware, session, scope, filters, queries,
template or JSON rendering), without a network or a WSGI server. ``settings.DEBUG`` is
switched off after start-up so queries are not logged and templates are not in debug mode.
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="",
        help="database to use (it is migrated and filled); default: a temporary SQLite file",
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--scale", default="county", choices=["small", "county", "prefecture"])
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


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench_lists_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(database_url, workdir)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from healthaid import demo as core_demo
    from healthaid.idnumbers import decrypt_id_number
    from households import demo
    from households.models import Household, Member

    vendor = connection.vendor
    print(f"database: {vendor} ({database_url.split('@')[-1]})", flush=True)
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.monotonic() - started:.1f} s", flush=True)

    started = time.monotonic()
    context = core_demo.seed(args.scale)
    core_seconds = time.monotonic() - started
    started = time.monotonic()
    summary = demo.seed(args.scale, context)
    registry_seconds = time.monotonic() - started
    print(f"seed: core {core_seconds:.1f} s; registry {registry_seconds:.1f} s ({summary})")
    print(f"rows: {Household.objects.count()} households, {Member.objects.count()} members")

    settings.DEBUG = False  # no query log, no template debug: what production runs
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="county"))

    sample = Member.objects.order_by("id")[Member.objects.count() // 2]
    some_id = decrypt_id_number(sample.id_number_cipher)
    household_pk = sample.household_id
    township = "532328101000"
    cases = [
        ("household list, 50/page", reverse("households:household-list"), {"page_size": 50}),
        ("household list, 200/page", reverse("households:household-list"), {"page_size": 200}),
        ("member list, 50/page", reverse("households:member-list"), {"page_size": 50}),
        ("member list, 200/page", reverse("households:member-list"), {"page_size": 200}),
        (
            "member list, township + hypertension, 50/page",
            reverse("households:member-list"),
            {"page_size": 50, "township": township, "disease": "hypertension"},
        ),
        (
            "household list, exact ID search",
            reverse("households:household-list"),
            {"q": some_id, "paged": False},
        ),
        ("household page", reverse("households:household-detail", args=[household_pk]), None),
        ("API households, 50/page", "/api/v1/households/", {"page_size": 50}),
        ("API households, 500/page", "/api/v1/households/", {"page_size": 500}),
        ("API members, 50/page", "/api/v1/members/", {"page_size": 50}),
        ("API members, 500/page", "/api/v1/members/", {"page_size": 500}),
    ]

    def params_for(params, index, rows):
        if params is None:
            return None
        params = dict(params)
        if params.pop("paged", True):
            pages = max(1, -(-rows // params.get("page_size", 50)))
            params["page"] = index % min(pages, args.requests) + 1
        return params

    households = Household.objects.count()
    members = Member.objects.count()
    filtered = Member.objects.filter(
        household__village__code__startswith=township[:9],
        member_diseases__disease__code="hypertension",
    ).count()
    results = []
    for label, url, params in cases:
        rows = filtered if "township" in label else members if "member" in label else households
        for index in range(2):  # warm caches and the session
            response = client.get(url, params_for(params, index, rows))
            assert response.status_code == 200, (label, response.status_code)
        # Counted with an execute wrapper: it survives the connection being closed at the
        # end of each request (SQLite runs with CONN_MAX_AGE=0, as it would in production).
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(url, params_for(params, 0, rows))
        timings = []
        for index in range(args.requests):
            query = params_for(params, index, rows)
            begin = time.perf_counter()
            response = client.get(url, query)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            else:
                _ = response.content
            timings.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (label, query, response.status_code)
        results.append((label, statistics.median(timings), percentile(timings, 95), counter.count))
        print(f"  {label:<48} done", flush=True)

    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, p50, p95, count in results:
        print(f"{label:<48} {p50:>8.1f} {p95:>8.1f} {count:>8d}")

    connection.close()
    if not args.database_url and not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    elif not args.database_url:
        print(f"kept: {workdir}/bench.sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
