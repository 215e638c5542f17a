"""Latency of the five-ones progress pages and the screening figures at county scale.

    .venv/bin/python bench/screening.py [--database-url URL] [--requests 30] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL pass an empty (or already seeded) database's URL, e.g.::

    psql -h 127.0.0.1 -U postgres -c 'create database hx_h3'
    .venv/bin/python bench/screening.py --database-url postgres://postgres@127.0.0.1:5432/hx_h3

It migrates and seeds the county-scale demo (``seed_demo --scale county``: 元谋县, ~15,000
households, ~50,000 people, contracts, 亲情号码, the screening demo's campaign, screenings,
check-ups and free clinics; timed; a seeded database is left as it is), then adds a second
campaign over *all* the county's registered households (the demo's campaign targets the
illness-caused ones only), with the same work teams, so the progress is computed over the
full 15,000. It times, as county bureau staff unless said otherwise:

* the campaign page (``/screening/campaigns/ID/``): progress by item, township, village and
  work team, overdue per team — for the demo campaign and for the all-households one;
* the five-ones indicator API (``/api/v1/indicators/five-ones/?campaign=ID``), both campaigns;
* the campaign page as a township doctor (their township's households);
* the households-and-items page of one village (30 households a page);
* the check-up coverage page and the screening indicator API;
* the free-clinic totals page.

The computed campaign cases run twice, alternating in the same run: "before" (every
household's items recomputed from the members' records on each view, the code before the
derived item states, kept in ``bench/screening_before.py``) and "after" (read from
``HouseholdItemState``). Then it times a campaign's rebuild of its states and one
household's refresh (the cost the writers now pay) and checks the states against the
records.

Each request is timed whole, in process with Django's test ``Client``, without a network;
``DEBUG`` is switched off after start-up. It prints p50 and p95 in milliseconds and the SQL
queries of one request.
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

ALL_CAMPAIGN = "基准测试：全部建档立卡户“五个一”"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
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


def all_households_campaign(demo_campaign):
    """A copy of the demo campaign over every registered household, with the same teams."""
    from screening.choices import CampaignTarget
    from screening.models import Campaign, WorkTeam
    from screening.services import campaign_create

    existing = Campaign.objects.filter(name=ALL_CAMPAIGN).first()
    if existing is not None:
        return existing
    campaign = campaign_create(
        name=ALL_CAMPAIGN,
        county=demo_campaign.county,
        target=CampaignTarget.ALL,
        phases=[(p.kind, p.starts_on, p.ends_on) for p in demo_campaign.phases.all()],
        by=None,
    )
    for team in WorkTeam.objects.filter(campaign=demo_campaign).prefetch_related("villages"):
        copy = WorkTeam.objects.create(
            campaign=campaign, name=team.name, unit=team.unit, unit_name=team.unit_name
        )
        copy.villages.set(team.villages.all())
    # A county this size has its states rebuilt by the worker (none runs here): now, then.
    from screening.states import rebuild_campaign_states

    rebuild_campaign_states(campaign)
    return campaign


def time_requests(client, url: str, n: int) -> tuple[list[float], int]:
    from django.db import connection

    response = client.get(url)  # warm caches (templates, profile)
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
    workdir = tempfile.mkdtemp(prefix="bench_screening_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(database_url, workdir)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench import screening_before as before
    from households.models import Household, Member
    from screening import selectors, states
    from screening.models import Campaign, CheckUp, Screening

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", scale="county", verbosity=0, stdout=devnull)
    print(f"migrate + seed_demo --scale county: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    demo = Campaign.objects.exclude(name=ALL_CAMPAIGN).order_by("pk").first()
    full = all_households_campaign(demo)
    county = get_user_model().objects.get(username="county")
    township = get_user_model().objects.get(username="township")
    print(
        f"data: {Household.objects.count():,} households, {Member.objects.count():,} people, "
        f"{Screening.objects.count():,} screenings, {CheckUp.objects.count():,} check-ups"
    )
    for campaign in (demo, full):
        progress = selectors.compute_progress(campaign, county)
        print(
            f"campaign {campaign.pk} ({campaign.get_target_display()}): "
            f"{progress.total.targeted:,} households targeted, {len(progress.teams)} teams, "
            f"{progress.total.all_done:,} all done, {progress.total.overdue:,} overdue"
        )
    village = (
        Household.objects.filter(village__code__startswith="532328101")
        .values_list("village_id", flat=True)
        .order_by("village_id")
        .first()
    )

    settings.DEBUG = False
    county_client = Client()
    county_client.force_login(county)
    township_client = Client()
    township_client.force_login(township)
    demo_page = f"/screening/campaigns/{demo.pk}/"
    full_page = f"/screening/campaigns/{full.pk}/"
    demo_api = f"/api/v1/indicators/five-ones/?campaign={demo.pk}"
    full_api = f"/api/v1/indicators/five-ones/?campaign={full.pk}"
    # The last column: seconds the progress is cached (0: computed on every request, what
    # the first view after a change costs; 600: repeat views).
    cases = [
        ("campaign page, illness-caused", county_client, demo_page, 0),
        ("campaign page, all 15,000", county_client, full_page, 0),
        ("five-ones API, illness-caused", county_client, demo_api, 0),
        ("five-ones API, all 15,000", county_client, full_api, 0),
        ("campaign page, township doctor", township_client, full_page, 0),
        ("campaign page, all, cached", county_client, full_page, 600),
        ("five-ones API, all, cached", county_client, full_api, 600),
        (
            "households and items, one village",
            township_client,
            f"/screening/campaigns/{full.pk}/households/?village={village}",
            0,
        ),
        ("check-up coverage page", county_client, "/screening/check-ups/coverage/", 0),
        ("screening indicator API", county_client, "/api/v1/indicators/screening/", 0),
        ("free-clinic totals page", county_client, "/screening/free-clinics/totals/", 0),
    ]
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\n{'case':<44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, client, url, cache_seconds in cases:
        settings.SCREENING_PROGRESS_CACHE_SECONDS = cache_seconds
        # The computed cases twice, alternating: before (every household's items from the
        # records, as the code did before the derived item states) and after (the states).
        modes = ["before", "after"] if cache_seconds == 0 and "campaign" in url else ["after"]
        medians = {}
        for mode in modes:
            (before.use_records if mode == "before" else before.use_states)()
            samples, queries = time_requests(client, url, args.requests)
            medians[mode] = statistics.median(samples)
            name = f"{label} ({mode})" if len(modes) > 1 else label
            print(
                f"{name:<44} {statistics.median(samples):>8.1f} "
                f"{percentile(samples, 95):>8.1f} {queries:>8}"
            )
        before.use_states()
        if len(medians) > 1:
            print(f"{'':<44} before/after p50: {medians['before'] / medians['after']:.1f}x")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    # What the derived states cost their writers: a campaign's rebuild, and one household's
    # refresh (what a screening, a prescription or a mark adds to its request).
    household = Household.objects.filter(village_id=village).order_by("pk").first()
    for label, work in (
        ("rebuild all-households campaign", lambda: states.rebuild_campaign_states(full)),
        ("refresh one household (2 campaigns)", lambda: states.refresh_states([household.pk])),
    ):
        samples = []
        for _ in range(3 if "rebuild" in label else args.requests):
            started = time.perf_counter()
            work()
            samples.append((time.perf_counter() - started) * 1000)
        print(f"{label:<44} {statistics.median(samples):>8.1f} ms median")
    for campaign in (demo, full):
        missing, stale = states.campaign_state_differences(campaign)
        print(
            f"campaign {campaign.pk} states against the records: {len(missing)} missing, "
            f"{len(stale)} stale"
        )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if not args.database_url and not args.keep:
        import shutil

        connection.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
