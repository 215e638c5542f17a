"""Run every speed script in bench/ in turn and print their figures (``make bench``).

Each script prints its own figures and records nothing itself; copy them into
docs/BENCHMARKS.md with the command and the machine. Pass ``--database-url`` through to
measure on PostgreSQL, e.g. ``make bench BENCH_ARGS=--database-url=postgres://...``.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    # Scripts only: modules such as the HTTP bench's settings and URLs are imported, not run.
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        if p.name != "run_all.py" and '__name__ == "__main__"' in p.read_text()
    )
    failed = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parent)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
