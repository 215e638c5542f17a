"""CPU time of one request of each hot page, single-threaded, in process (issue 13).

    .venv/bin/python bench/page_cpu.py --database-url postgres://postgres@127.0.0.1:5432/DB
    .venv/bin/python bench/page_cpu.py --database-url URL --profile "household list"

The database must be seeded already (``seed_demo --scale county``; ``bench/http_load.py``
seeds one). The pages are ``bench/http_load.py``'s, requested through Django's test
``Client`` as the demo accounts, with ``DEBUG`` off and the real middleware (sessions,
locale, CSP). Each page gets a few warm-up requests, then ``--requests`` timed ones; it prints
the median CPU time of the process (``time.process_time``: what the server's cores pay, and
much less noisy than wall time on a shared machine), the median wall time and
the queries of one request. On a shared machine compare CPU times of one run, or the ratio to
the bare anchor page.

``--profile LABEL`` runs cProfile over the timed requests of the pages whose label contains
LABEL and prints the 25 functions with the most cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
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
    parser.add_argument("--database-url", default="", help="a seeded database (required)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--only", default="", help="comma-separated substrings of page labels")
    parser.add_argument("--profile", default="", help="profile the pages whose label has this")
    parser.add_argument("--language", default="zh-hans")
    parser.add_argument(
        "--sql", action="store_true", help="print each statement of one request with its time"
    )
    return parser.parse_args(argv)


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.timings = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append(((time.perf_counter() - begin) * 1000, sql))


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.database_url:
        # ``make bench`` runs every script; this one measures a database seeded already.
        print("page_cpu.py: skipped, it needs --database-url of a seeded database")
        return 0
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.http_settings"
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("HEALTHAID_VAR_DIR", tempfile.mkdtemp(prefix="bench_cpu_"))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from bench.http_load import PAGES

    settings.DEBUG = False
    pages = [page for page in PAGES if "again" not in page[0]]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        pages = [p for p in pages if "anchor" in p[0] or any(w in p[0] for w in wanted)]
    clients = {}
    for _, username, _ in pages:
        if username not in clients:
            client = Client(HTTP_ACCEPT_LANGUAGE=args.language)
            client.force_login(get_user_model().objects.get(username=username))
            clients[username] = client

    gc.freeze()  # the start-up's objects out of the collector's way, as a server would
    print(f"{'page':<40} {'cpu ms':>8} {'wall ms':>8} {'queries':>8} {'÷anchor':>8}")
    anchor = None
    for label, username, path in pages:
        client = clients[username]
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == 200, (label, response.status_code)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(path)
        profiler = cProfile.Profile() if args.profile and args.profile in label else None
        cpu, wall = [], []
        for _ in range(args.requests):
            begin_cpu, begin_wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            response = client.get(path)
            _ = response.content
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - begin_cpu) * 1000)
            wall.append((time.perf_counter() - begin_wall) * 1000)
        cpu_ms = statistics.median(cpu)
        if anchor is None:
            anchor = cpu_ms
        print(
            f"{label:<40} {cpu_ms:>8.1f} {statistics.median(wall):>8.1f} "
            f"{counter.count:>8d} {cpu_ms / anchor:>8.2f}",
            flush=True,
        )
        if args.sql:
            for ms, sql in counter.timings:
                print(f"    {ms:7.2f} ms  {sql[:160]}")
        if profiler:
            stats = pstats.Stats(profiler).strip_dirs()
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.requests} requests a page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
