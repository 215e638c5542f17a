"""Latency of the consortium summary (issue 8) at prefecture scale.

    .venv/bin/python bench/consortium.py [--database-url URL] [--requests 30] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL (the goal's database), create an empty database first and pass its URL::

    psql -h 127.0.0.1 -U postgres -c 'create database bench_consortium'
    .venv/bin/python bench/consortium.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_consortium
    psql -h 127.0.0.1 -U postgres -c 'drop database bench_consortium'

It migrates and seeds 楚雄州 at prefecture scale: the tree, institutions and users of
``healthaid.demo`` and the registry of ``households.demo`` for its ten counties (~150,000
households, ~500,000 people; contracts are not needed and not seeded), the consortium
demo, and a year (last calendar year) of consortium work in every county, written in bulk:

* expert sessions held: three a week at each county's people's and TCM hospitals, one a week
  at each township centre (~5,000);
* referrals: 5,000 up-referrals a county of its registered people (a fifth with a reserved
  slot or bed), in every status, and 1,500 returned down (~65,000);
* reserved capacity: every county hospital and the prefecture's two, every week (~1,100);
* remote consultations: 2,000 a county, by kind (20,000).

A seeded database (one holding last year's bench sessions) is left as it is. It then times
the summary as JSON (``/api/v1/indicators/consortium/``) and as the page
(``/consortium/summary/``) for the whole prefecture as the supervisor, and for 元谋县 as its
county staff, over last year; and the referral list API of the prefecture. Each request is
timed whole, in process with Django's test ``Client`` (middleware, session, scope, queries,
rendering), ``DEBUG`` off. It prints p50 and p95 in milliseconds and the queries of one
request.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

GOAL_P95_MS = 200


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
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


def seed_year(year: int) -> dict[str, int]:
    """A year of consortium work in every county of the prefecture, in bulk."""
    from django.db import transaction

    from healthaid.choices import InstitutionKind
    from healthaid.models import Institution
    from households.models import Member
    from medconsortium.models import ExpertSession, Referral, RemoteConsultation, ReservedCapacity
    from medconsortium.services import week_of

    rng = random.Random(f"bench-consortium-{year}")
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    days = (last - first).days + 1
    prefecture = list(Institution.objects.filter(code__in=["H532300001", "H532300002"]))
    visiting = list(Institution.objects.filter(kind=InstitutionKind.TERTIARY_HOSPITAL))
    counties = sorted(
        {
            c[1:7]
            for c in Institution.objects.filter(code__startswith="H5323").values_list(
                "code", flat=True
            )
        }
        - {"532300"}
    )
    sessions, referrals, capacity, consultations = [], [], [], []
    statuses = [
        "requested",
        "accepted",
        "admitted",
        "seen",
        "discharged",
        "returned",
        "rejected",
        "cancelled",
    ]
    for county in counties:
        hospitals = list(Institution.objects.filter(code__in=[f"H{county}01", f"H{county}02"]))
        centres = list(Institution.objects.filter(kind="township", code__startswith=f"T{county}"))
        for host, per_week in [(h, 3) for h in hospitals] + [(c, 1) for c in centres]:
            for week in range(52):
                for k in range(per_week):
                    day = first + datetime.timedelta(days=week * 7 + k * 2)
                    sessions.append(
                        ExpertSession(
                            host=host,
                            visiting=rng.choice(visiting),
                            date=day,
                            half_day="am" if k % 2 == 0 else "pm",
                            specialty=f"专科{k}",
                            experts=[{"name": "专家", "title": "主任医师"}],
                            expert_count=rng.randint(1, 3),
                            status="held",
                            clinic=rng.random() < 0.9,
                            outpatients=rng.randint(5, 25),
                            teaching_rounds=rng.randint(0, 4),
                            case_discussions=rng.randint(0, 8),
                            surgeries_taught=int(rng.random() < 0.2),
                            trainings=rng.randint(0, 2),
                            people_trained=rng.randint(0, 30),
                        )
                    )
        weeks = {}
        for host in hospitals + prefecture:
            if host.code.startswith("H5323000") and county != counties[0]:
                continue
            for week in range(53):
                start = week_of(first) + datetime.timedelta(days=7 * week)
                row = ReservedCapacity(
                    institution=host,
                    week_start=start,
                    expert_slots=60,
                    beds=150,
                    reserved_slots=12,
                    reserved_beds=15,
                    slots_used=rng.randint(0, 12),
                    beds_used=rng.randint(0, 15),
                )
                capacity.append(row)
                weeks[(host.pk, start)] = row
        members = list(
            Member.objects.filter(household__village__code__startswith=county)
            .order_by("?")
            .values_list("pk", "household__village_id")[:5000]
        )
        by_township = {c.region_id[:9]: c for c in centres}
        for pk, village in members:
            origin = by_township.get(village[:9]) or (centres[0] if centres else hospitals[0])
            to = hospitals[0] if rng.random() < 0.8 else prefecture[0]
            status = rng.choice(statuses)
            requested = first + datetime.timedelta(days=rng.randrange(days))
            reserved = rng.choice(["slot", "bed"]) if rng.random() < 0.2 else ""
            referrals.append(
                Referral(
                    member_id=pk,
                    village_id=village,
                    direction="up",
                    from_institution=origin,
                    to_institution=to,
                    reason="基准数据",
                    requested_on=requested,
                    status=status,
                    reserved=reserved,
                )
            )
            if status == "returned" or (status == "discharged" and rng.random() < 0.5):
                referrals.append(
                    Referral(
                        member_id=pk,
                        village_id=village,
                        direction="down",
                        from_institution=to,
                        to_institution=origin,
                        reason="下转随访",
                        requested_on=requested,
                        status="accepted",
                    )
                )
        for _ in range(2000):
            consultations.append(
                RemoteConsultation(
                    requesting=rng.choice(centres + hospitals),
                    reading=rng.choice(hospitals + prefecture),
                    kind=rng.choice(["consultation", "ecg", "ecg", "imaging"]),
                    date=first + datetime.timedelta(days=rng.randrange(days)),
                )
            )
    with transaction.atomic():
        ExpertSession.objects.bulk_create(sessions, batch_size=2000)
        ReservedCapacity.objects.bulk_create(capacity, batch_size=2000, ignore_conflicts=True)
        Referral.objects.bulk_create(referrals, batch_size=2000)
        RemoteConsultation.objects.bulk_create(consultations, batch_size=2000)
    return {
        "sessions": len(sessions),
        "referrals": len(referrals),
        "capacity weeks": len(capacity),
        "remote consultations": len(consultations),
    }


def time_requests(client, url: str, n: int) -> tuple[list[float], int]:
    from django.db import connection

    response = client.get(url)
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


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench_consortium_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(database_url, workdir)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from healthaid import demo as core_demo
    from households import demo as households_demo
    from households.models import Member
    from medconsortium import demo as consortium_demo
    from medconsortium.models import ExpertSession, Referral

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"machine: {platform.platform()}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    year = timezone.localdate().year - 1
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not ExpertSession.objects.filter(date__year=year).exists():
        context = core_demo.seed("prefecture")
        print("registry:", households_demo.seed("prefecture", context))
        print("consortium demo:", consortium_demo.seed("small", context))
        print("year of work:", seed_year(year))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    print(f"migrate + seed: {time.perf_counter() - started:.1f} s")
    print(
        f"data: {Member.objects.count():,} people, "
        f"{ExpertSession.objects.count():,} sessions, {Referral.objects.count():,} referrals"
    )

    settings.DEBUG = False
    User = get_user_model()
    supervisor, county = Client(), Client()
    supervisor.force_login(User.objects.get(username="supervisor"))
    county.force_login(User.objects.get(username="county"))
    period = f"start={year}-01-01&end={year}-12-31"
    cases = [
        (
            "summary API, prefecture (supervisor)",
            supervisor,
            f"/api/v1/indicators/consortium/?{period}",
        ),
        ("summary page, prefecture (supervisor)", supervisor, f"/consortium/summary/?{period}"),
        ("summary API, 元谋县 (county staff)", county, f"/api/v1/indicators/consortium/?{period}"),
        ("referral list API, prefecture, 50/page", supervisor, f"/api/v1/referrals/?{period}"),
    ]
    print(f"\n{'case':<42} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst = 0.0
    for name, client, url in cases:
        samples, queries = time_requests(client, url, args.requests)
        p95 = percentile(samples, 95)
        if name.startswith("summary"):
            worst = max(worst, p95)
        print(f"{name:<42} {percentile(samples, 50):>8.1f} {p95:>8.1f} {queries:>8}")
    print(f"\ngoal: summary p95 < {GOAL_P95_MS} ms: {'met' if worst < GOAL_P95_MS else 'NOT met'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not args.database_url and not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
