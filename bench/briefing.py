"""Time to write a county's half-year briefing (xlsx and docx), against bare XlsxWriter.

    .venv/bin/python bench/briefing.py [--database-url URL] [--scale county|prefecture]
        [--runs 5]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. For
PostgreSQL, create an empty database first and pass its URL, e.g.::

    psql -h 127.0.0.1 -U postgres -c 'create database bench_briefing'
    .venv/bin/python bench/briefing.py \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_briefing

It migrates and seeds ``seed_demo --scale county`` (元谋县: 15,241 households, 49,708
people, contracts, a year of follow-ups, screenings and check-ups, a five-ones campaign, seed
002's 48,379 H1 2019 settlements, major-disease cases; a seeded database is left as it is),
runs ``VACUUM ANALYZE`` on PostgreSQL, then times, each ``--runs`` times (figures cache off:
every run computes every figure):

* the briefing of 元谋县 for H1 2019 (the settlements' half year: 2,517 inpatient and
  45,862 outpatient settlements) and for the last whole half year (contracts, follow-ups,
  screenings): ``build_document`` (the figures: every section, the table by township) and
  ``write_xlsx`` + ``write_docx`` (the files), as the job runs them;
* bare XlsxWriter (``constant_memory``) writing the same sheets' rows (every table row and
  raw figure of the briefing) with one native chart a sheet and nothing else: the floor for
  the writing part;

and prints the median and the worst run in seconds, the SQL queries of one run, and the peak
Python memory (``tracemalloc``) of the writers. With ``--scale prefecture`` it seeds 楚雄州's
ten counties and times the prefecture's briefing (a table by county) as well.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--scale", choices=["county", "prefecture"], default="county")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="time a database seeded before, without migrating or seeding it",
    )
    return parser.parse_args(argv)


def setup(database_url: str, workdir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "healthaid.settings"
    os.environ["HEALTHAID_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.conf import settings

    # every run computes every figure (no cached figures of an earlier run)
    settings.CONTRACT_FIGURES_CACHE_SECONDS = 0
    settings.SCREENING_PROGRESS_CACHE_SECONDS = 0


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bare_xlsx(document, out) -> None:
    """The briefing's rows with bare XlsxWriter: one sheet a section, one chart a sheet."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    for n, section in enumerate(document.sections):
        sheet = book.add_worksheet(f"s{n}")
        sheet.write_row(0, 0, section.headers)
        for r, row in enumerate(section.rows, start=1):
            sheet.write_row(r, 0, row)
        if section.chart and section.chart.categories:
            base = len(section.rows) + 2
            for j, category in enumerate(section.chart.categories):
                sheet.write_row(base + j, 0, [category, *[s[1][j] for s in section.chart.series]])
            chart = book.add_chart({"type": "column"})
            last = base + len(section.chart.categories) - 1
            for k in range(len(section.chart.series)):
                chart.add_series(
                    {
                        "categories": [f"s{n}", base, 0, last, 0],
                        "values": [f"s{n}", base, k + 1, last, k + 1],
                    }
                )
            sheet.insert_chart(base, 5, chart)
    raw = book.add_worksheet("raw")
    r = 0
    for section in document.sections:
        for f in section.figures:
            raw.write_row(
                r, 0, [section.title, f.label, f.value, f.definition, f.numerator, f.denominator]
            )
            r += 1
    book.close()


def time_case(label: str, briefing, runs: int) -> None:
    from django.db import connection

    from reports.briefings.docx import write_docx
    from reports.briefings.services import build_document
    from reports.briefings.xlsx import write_xlsx

    figures, writing, bare, totals = [], [], [], []
    queries = 0
    peak_writer = peak_bare = 0
    document = None
    for _run in range(runs):
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            document = build_document(briefing)
        built = time.perf_counter()
        tracemalloc.start()
        write_xlsx(document, io.BytesIO())
        write_docx(document, io.BytesIO())
        written = time.perf_counter()
        peak_writer = max(peak_writer, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        tracemalloc.start()
        bare_started = time.perf_counter()
        bare_xlsx(document, io.BytesIO())
        bare.append(time.perf_counter() - bare_started)
        peak_bare = max(peak_bare, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        figures.append(built - started)
        writing.append(written - built)
        totals.append(written - started)
        queries = counter.count
    rows = sum(len(s.rows) for s in document.sections)
    print(
        f"{label}: {len(document.sections)} sections, {rows} table rows, {queries} queries; "
        f"total median {statistics.median(totals):.2f} s (worst {max(totals):.2f}); "
        f"figures {statistics.median(figures):.2f} s, xlsx+docx {statistics.median(writing):.2f} s "
        f"(peak {peak_writer / 2**20:.1f} MiB); bare XlsxWriter {statistics.median(bare) * 1000:.0f} ms "
        f"(peak {peak_bare / 2**20:.1f} MiB)",
        flush=True,
    )
    settlements = next((s for s in document.sections if s.key == "settlements"), None)
    if settlements is not None:
        print(f"  settlements: {settlements.narrative}", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench-briefing-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    setup(url, workdir)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from healthaid.models import Region
    from reports.models import Briefing

    print(f"database: {connection.vendor}; python {platform.python_version()}")
    print(f"load average: {os.getloadavg()}")
    started = time.perf_counter()
    if not args.no_seed:
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as devnull:
            call_command("seed_demo", scale=args.scale, verbosity=0, stdout=devnull)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"migrate + seed_demo --scale {args.scale}: {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    half = 1 if today.month > 6 else 7
    year = today.year if half == 1 else today.year - 1
    last_half = (
        datetime.date(year, half, 1),
        datetime.date(year, half + 5, 30 if half == 1 else 31),
    )
    county = Region.objects.get(code="532328000000")
    cases = [
        ("元谋县 H1 2019", county, datetime.date(2019, 1, 1), datetime.date(2019, 6, 30)),
        (f"元谋县 {last_half[0]}–{last_half[1]}", county, *last_half),
    ]
    if args.scale == "prefecture":
        prefecture = Region.objects.get(code="532300000000")
        cases += [
            ("楚雄州 H1 2019", prefecture, datetime.date(2019, 1, 1), datetime.date(2019, 6, 30)),
            (f"楚雄州 {last_half[0]}–{last_half[1]}", prefecture, *last_half),
        ]
    for label, region, start, end in cases:
        time_case(label, Briefing(publisher=region, kind="work", start=start, end=end), args.runs)
    print(f"load average: {os.getloadavg()}")
    if not args.database_url:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
