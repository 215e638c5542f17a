"""Time and peak memory of the household and member list exports (background jobs).

    .venv/bin/python bench/export_jobs.py [--database-url URL] [--keep]

With no ``--database-url`` it uses a throwaway SQLite file in a temporary directory. It
migrates and seeds the county-scale demo (``seed_demo --scale county``: 元谋县, ~15,000
households, ~50,000 people) in one process, then runs each export job in a fresh process, as
a worker would (``households.tasks.export_task`` as county bureau staff, masked numbers):

* every member of the county, one township's members, and every household;

and prints the rows, the seconds and the process's peak resident memory before and after the
job. The export streams 2,000-row chunks into openpyxl's write-only workbook, so the peak
should grow little with the rows (ten times the rows, a few MB more).
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

CASES = (("member", ""), ("member", "township=532328101000"), ("household", ""))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "QUERY"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def setup(database_url: str, workdir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "healthaid.settings"
    os.environ["HEALTHAID_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def measure(kind: str, query: str) -> None:
    """One export job in this (fresh) process."""
    import resource

    from django.contrib.auth import get_user_model

    from healthaid.models import Job
    from households.exports import EXPORT_KINDS
    from households.tasks import export_task

    user = get_user_model().objects.get(username="county")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    job = Job.objects.create(
        kind=EXPORT_KINDS[kind],
        created_by=user,
        region_code=user.profile.region_id,
        params={"query": query, "full_ids": False},
    )
    started = time.perf_counter()
    export_task(job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"{kind:<9} {query or 'the county':<24} {job.result['rows']:>7,} rows "
        f"{seconds:>6.1f} s   peak RSS {before} → {after} MB   "
        f"file {job.result_file.size / 1e6:.1f} MB"
    )
    job.result_file.delete(save=False)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.measure:
        setup(os.environ["DATABASE_URL"], os.environ["HEALTHAID_VAR_DIR"])
        measure(*args.measure)
        return 0
    workdir = tempfile.mkdtemp(prefix="bench_exports_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "healthaid.settings",
        "HEALTHAID_VAR_DIR": workdir,
        "DATABASE_URL": database_url,
    }
    print(f"database: {database_url}")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    # Seeding runs in its own process: Linux keeps a process's peak RSS across exec, so the
    # measuring processes are started from this small one, not from a seeded one.
    started = time.perf_counter()
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env)
    subprocess.run(
        [*manage, "seed_demo", "--scale", "county"], check=True, env=env, stdout=subprocess.DEVNULL
    )
    print(f"migrate + seed_demo --scale county: {time.perf_counter() - started:.1f} s")
    for kind, query in CASES:
        subprocess.run([sys.executable, __file__, "--measure", kind, query], check=True, env=env)
    if not args.keep and not args.database_url:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
