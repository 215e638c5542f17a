"""Latency of the family-doctor worklist and the county view at county scale.

    .venv/bin/python bench/contracts.py [--database-url URL] [--requests 30] [--keep]
        [--scale county|prefecture] [--no-seed]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL, create an empty database first and pass its URL, e.g.::

    psql -h 127.0.0.1 -U postgres -c 'create database bench_contracts'
    .venv/bin/python bench/contracts.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_contracts
    psql -h 127.0.0.1 -U postgres -c 'drop database bench_contracts'

It migrates and seeds the county-scale demo (``seed_demo --scale county``: 元谋县, ~50,000
people, a team for each of its 90 villages, ~41,000 contracted, a year of ~55,000
follow-ups; timed; a database that is already seeded is left as it is), then builds a team
of 元马镇卫生院 covering enough villages to hold about 2,000 contracted people, with a
township doctor on it (a second team over those villages: it holds no contracts). It times:

* the worklist page (``/contracts/worklist/?team=…``) of that team, as its doctor;
* the worklist API (``/api/v1/worklist/?team=…``), the mobile client's call;
* the county view (``/reports/contract-rates/``) as county bureau staff: contract rate and
  completion by township, by team and by disease over the year to date;
* the indicators API (``/api/v1/indicators/contracts/``) for the county;

the county figures both computed on every request (the figures cache off: what the first
view after a new contract or visit costs) and from the cache (repeat views); and the figures
statement alone (``contracts.selectors.contract_figures``, no page around it), 元谋县's and,
at prefecture scale, the whole prefecture's: what a county's figures cost in the database,
to compare between a county-only and a prefecture database.

With ``--scale prefecture`` the database holds 楚雄州's ten counties: the same 元谋县 cases
then say what the county's figures cost in a larger database (they should not grow), and two
more time the supervisor's whole-prefecture indicators, computed and cached. Then the
prefecture's figures as the sum of its counties' (``contracts.selectors.area_figures``, each
county cached under its own version): all ten counties computed, after a change in 元谋县
only (its statement and nine cache reads), all cached; 元谋县's own, changed and cached; and
the supervisor's indicators API after a change in 元谋县. Then the counties kept warm
(``contracts.selectors.warm_area_figures``, the beat task ``contracts.warm_figures``): the
supervisor's indicators API after every county changed, before a warm run (what a request in
the minute after a rule change costs); the prefecture's figures and the supervisor's
indicators API after every county changed and a warm run (untimed) followed, what the
supervisor sees; and the warm run itself, after every county changed (ten statements), after
a change in 元谋县, and with nothing to do. Set ``CACHE_URL`` (e.g.
``redis://127.0.0.1:6379/4``) to time them against Redis, as in production.

Each request is timed whole, in process with Django's test ``Client`` (middleware,
session, scope, queries, rendering), without a network; ``DEBUG`` is switched off after
start-up. It prints p50 and p95 in milliseconds and the SQL queries of one request.
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

TEAM_NAME = "基准测试家庭医生团队"
TEAM_TARGET = 2000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="",
        help="database to use (migrated and seeded); default: a temporary SQLite file",
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument(
        "--scale",
        default="county",
        choices=["county", "prefecture"],
        help="prefecture: the ten counties of 楚雄州 (元谋县 among them), for the county figures'"
        " cost in a larger database and the supervisor's whole-prefecture figures",
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="use the database as it is (migrated, and seeded at least with the registry and"
        " contracts), e.g. to time alternately on two databases seeded before",
    )
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


def bench_team():
    """A team of 元马镇卫生院 over its villages with the most contracted people, ~2,000."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from contracts.models import Contract, DoctorTeam
    from healthaid.choices import Role
    from healthaid.models import Institution, Region, UserProfile

    centre = Institution.objects.get(code="T532328101")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-doctor", defaults={"first_name": "基准医生"}
    )
    UserProfile.objects.get_or_create(
        user=user,
        defaults={"role": Role.TOWNSHIP_DOCTOR, "region": centre.region, "institution": centre},
    )
    DoctorTeam.objects.filter(name=TEAM_NAME).exclude(institution=centre).delete()
    team, created = DoctorTeam.objects.get_or_create(
        institution=centre, name=TEAM_NAME, defaults={"leader": user}
    )
    if created:
        counts = (
            Contract.objects.filter(
                status="active",
                member__household__village__code__startswith=centre.region.prefix,
            )
            .values("member__household__village_id")
            .annotate(n=Count("member_id", distinct=True))
            .order_by("-n")
        )
        chosen, total = [], 0
        for row in counts:
            chosen.append(row["member__household__village_id"])
            total += row["n"]
            if total >= TEAM_TARGET:
                break
        team.villages.set(Region.objects.filter(code__in=chosen))
        team.members.add(user)
    contracted = (
        Contract.objects.filter(status="active", member__household__village__in=team.villages.all())
        .values("member_id")
        .distinct()
        .count()
    )
    return team, user, contracted


def time_requests(client, url: str, n: int) -> tuple[list[float], int]:
    from django.db import connection

    response = client.get(url)  # warm caches (templates, profile, rules)
    assert response.status_code == 200, (url, response.status_code)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        client.get(url)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples, counter.count


def time_figures(prefix: str, n: int) -> list[float]:
    """The figures statement alone (``contracts.selectors.contract_figures``, year to date,
    completion included) for the area ``prefix``: what a computed view spends in the
    database, without the page around it."""
    import datetime

    from django.utils import timezone

    from contracts.selectors import Area, contract_figures

    today = timezone.localdate()
    start = datetime.date(today.year, 1, 1)
    contract_figures(Area(prefix), start=start, end=today, today=today)  # warm
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        contract_figures(Area(prefix), start=start, end=today, today=today)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_calls(call, n: int, before=None) -> tuple[list[float], int]:
    """``call()`` timed ``n`` times, ``before()`` (untimed) ahead of each; and the queries of
    one call."""
    from django.db import connection

    if before:
        before()
    call()  # warm
    counter = QueryCounter()
    if before:
        before()
    with connection.execute_wrapper(counter):
        call()
    samples = []
    for _ in range(n):
        if before:
            before()
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, counter.count


def prefecture_cases(supervisor_client, n: int) -> list[tuple[str, list[float], int]]:
    """The whole prefecture's figures as the sum of its ten counties' (``area_figures``, each
    county's rows cached under its version): all ten computed (every version moved), after a
    change in one county (元谋县's version moved: its statement, nine cache reads), and all
    from the cache; then the supervisor's indicators API after a change in one county (the
    view's own cache entry is gone with the version, the county entries of the other nine
    are not). Then the same after a warm run (``warm_area_figures``), and the warm run."""
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from contracts.selectors import Area, area_figures, figures_changed, warm_area_figures

    today = timezone.localdate()
    start = datetime.date(today.year, 1, 1)
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 600

    def prefecture():
        area_figures(Area("5323"), start=start, end=today, today=today, cache_seconds=600)

    def county():
        area_figures(Area("532328"), start=start, end=today, today=today, cache_seconds=600)

    def everything_changed():
        figures_changed()

    def yuanmou_changed():
        figures_changed(["532328000000"])

    def api():
        response = supervisor_client.get("/api/v1/indicators/contracts/")
        assert response.status_code == 200

    def warm():
        return warm_area_figures(today)

    def everything_changed_then_warmed():
        figures_changed()
        assert len(warm()) == 10

    def warm_ten():
        assert len(warm()) == 10

    cases = [
        ("楚雄州 by county, ten computed", prefecture, everything_changed),
        ("楚雄州 by county, 元谋县 changed", prefecture, yuanmou_changed),
        ("楚雄州 by county, all cached", prefecture, None),
        ("元谋县 figures, changed", county, yuanmou_changed),
        ("元谋县 figures, cached", county, None),
        ("prefecture indicators, 元谋县 changed", api, yuanmou_changed),
        ("prefecture indicators, cached", api, None),
        ("prefecture indicators, all changed, no warm run", api, everything_changed),
        (
            "楚雄州 by county, warm run after all changed",
            prefecture,
            everything_changed_then_warmed,
        ),
        ("prefecture indicators, warm run after all", api, everything_changed_then_warmed),
        ("warm run, all ten changed", warm_ten, everything_changed),
        ("warm run, 元谋县 changed", warm, yuanmou_changed),
        ("warm run, nothing to do", warm, None),
    ]
    return [(label, *time_calls(call, n, before)) for label, call, before in cases]


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench_contracts_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(database_url, workdir)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from contracts.models import Contract, FollowUp
    from households.models import Member

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    started = time.perf_counter()
    if not args.no_seed:
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as devnull:
            call_command("seed_demo", scale=args.scale, verbosity=0, stdout=devnull)
        print(f"migrate + seed_demo --scale {args.scale}: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql" and not args.no_seed:
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"data: {Member.objects.count():,} people, {Contract.objects.count():,} contracts, "
        f"{FollowUp.objects.count():,} follow-ups"
    )
    team, doctor, contracted = bench_team()
    print(f"team: {team.name}, {team.villages.count()} villages, {contracted:,} contracted")

    settings.DEBUG = False
    doctor_client = Client()
    doctor_client.force_login(doctor)
    county_client = Client()
    county_client.force_login(get_user_model().objects.get(username="county"))
    cases = [
        (
            "worklist page (team of ~2,000)",
            doctor_client,
            f"/contracts/worklist/?team={team.pk}",
            0,
        ),
        ("worklist API (same team)", doctor_client, f"/api/v1/worklist/?team={team.pk}", 0),
        ("county view, computed", county_client, "/reports/contract-rates/", 0),
        ("indicators API, computed", county_client, "/api/v1/indicators/contracts/", 0),
        ("county view, cached figures", county_client, "/reports/contract-rates/", 600),
        ("indicators API, cached figures", county_client, "/api/v1/indicators/contracts/", 600),
    ]
    if args.scale == "prefecture":
        supervisor_client = Client()
        supervisor_client.force_login(get_user_model().objects.get(username="supervisor"))
        cases += [
            (
                "prefecture indicators, computed",
                supervisor_client,
                "/api/v1/indicators/contracts/",
                0,
            ),
            (
                "prefecture indicators, cached",
                supervisor_client,
                "/api/v1/indicators/contracts/",
                600,
            ),
        ]
    # Other work on the machine shows in the figures: the load average says how much.
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\n{'case':<46} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, client, url, cache_seconds in cases:
        # 0: every request computes the county figures (what the first view after a new
        # contract or visit costs); 600: the figures come from the cache (repeat views).
        settings.CONTRACT_FIGURES_CACHE_SECONDS = cache_seconds
        samples, queries = time_requests(client, url, args.requests)
        print(
            f"{label:<46} {statistics.median(samples):>8.1f} "
            f"{percentile(samples, 95):>8.1f} {queries:>8}"
        )
    statements = [("figures statement, 元谋县", "532328")]
    if args.scale == "prefecture":
        statements.append(("figures statement, 楚雄州", "5323"))
    for label, prefix in statements:
        samples = time_figures(prefix, args.requests)
        print(
            f"{label:<46} {statistics.median(samples):>8.1f} {percentile(samples, 95):>8.1f} {1:>8}"
        )
    if args.scale == "prefecture":
        for label, samples, queries in prefecture_cases(supervisor_client, args.requests):
            print(
                f"{label:<46} {statistics.median(samples):>8.1f} "
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
