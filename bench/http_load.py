"""Throughput and latency of the hot pages over HTTP, served by gunicorn as the Dockerfile runs it.

    .venv/bin/python bench/http_load.py --database-url postgres://postgres@127.0.0.1:5432/bench_http
    .venv/bin/python bench/http_load.py --database-url URL --skip-seed   # reuse a seeded database

With no ``--database-url`` it uses a throwaway SQLite file (the figures that matter are
PostgreSQL's). It migrates and seeds the demo at ``--scale`` (county: 元谋县, ~15,000
households and ~50,000 people), collects the static files, then starts gunicorn with the
Dockerfile's own command line (read from the Dockerfile, bound to 127.0.0.1 on a free port)
and ``DEBUG=0`` with throwaway secrets; ``--cache-url`` gives it production's Redis cache
(docker-compose.yml) instead of the embedded file cache. It logs in through the real login form, as a browser
does (GET the form, POST it with the CSRF token), once per demo account it needs.

For each page it opens ``--connections`` keep-alive connections to 127.0.0.1 and sends
requests on each, one after another, for ``--seconds`` (after a short warm-up), bounded in
time and in count. The load generator is a small asyncio client in this file: it parses only
the status line and the body's length, so it costs the server's two cores little. The same
run measures a bare Django list page (50 rows of one table, a two-line template, the same
middleware) served by the same gunicorn: the anchor that says what this machine can do right
now, so pages compare as a ratio even when the machine's speed drifts.

It prints, per page: requests a second, p50 and p95 in milliseconds, errors, and the ratio
of the anchor's throughput to the page's. With ``--rounds N`` it drives every page in turn
N times and prints each page's medians over the rounds, each round's pages against that
round's anchor: on a shared machine one page's 15 seconds can fall in a slow spell. With
``--paired`` the anchor is driven again just before each page, and each page is compared
with that: the two share whatever the machine was doing in those seconds. Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "healthaid-demo-2026"

# (label, demo account, path). The anchor comes first and last, so a drift shows.
PAGES = [
    ("bare Django list page (anchor)", "county", "/bench/bare/"),
    ("household list", "county", "/households/"),
    ("member list", "county", "/households/members/"),
    ("members API, 50 a page", "county", "/api/v1/members/?page_size=50"),
    ("worklist page (township)", "township", "/contracts/worklist/"),
    ("worklist API (township)", "township", "/api/v1/worklist/"),
    ("county view, figures cached", "county", "/reports/contract-rates/"),
    ("indicators API, cached", "county", "/api/v1/indicators/contracts/"),
    # The newer apps' main lists.
    ("screening list", "county", "/screening/"),
    ("referral list", "county", "/consortium/referrals/"),
    ("settlement list (encounters)", "county", "/settlements/encounters/"),
    ("rectification list", "county", "/rectification/"),
    ("approval list", "county", "/approvals/"),
    ("bare Django list page (anchor, again)", "county", "/bench/bare/"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--scale", default="county", choices=["small", "county", "prefecture"])
    parser.add_argument("--skip-seed", action="store_true", help="the database is seeded already")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per page")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds per page")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--max-requests", type=int, default=20000, help="upper bound of requests per page"
    )
    parser.add_argument("--only", default="", help="comma-separated substrings of page labels")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="drive every page this many times, in turn; print each page's medians",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="drive the anchor just before each page and compare the two (a slow spell of a "
        "shared machine then falls on both)",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("CACHE_URL", ""),
        help="the server's cache, as production sets it (docker-compose.yml: Redis), e.g. "
        "redis://127.0.0.1:6379/3; default: CACHE_URL, else the embedded file cache",
    )
    parser.add_argument("--json", default="", help="also write the figures to this file")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dockerfile_gunicorn(port: int) -> list[str]:
    """The Dockerfile's CMD, bound to 127.0.0.1:port instead of 0.0.0.0:8000."""
    text = (BASE_DIR / "Dockerfile").read_text()
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    if not match:
        raise SystemExit("no CMD [...] line in the Dockerfile")
    command = json.loads(match.group(1))
    if command[:2] == ["sh", "-c"]:
        # ``sh -c "collectstatic ... && exec gunicorn ..."``: the gunicorn part (this script
        # collects the static files itself before starting the server).
        command = shlex.split(command[2].split("&&")[-1].strip().removeprefix("exec "))
    if command[0] != "gunicorn":
        raise SystemExit(f"the Dockerfile's CMD does not start gunicorn: {command}")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    if "--access-logfile" in command:  # a log line per request would measure the terminal
        index = command.index("--access-logfile")
        del command[index : index + 2]
    return [str(Path(PYTHON).with_name("gunicorn")), *command[1:]]


def server_env(database_url: str, workdir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.http_settings",
            "DATABASE_URL": database_url,
            "HEALTHAID_VAR_DIR": workdir,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ID_NUMBER_ENCRYPTION_KEY": os.environ.get(
                "ID_NUMBER_ENCRYPTION_KEY", "development-only-id-number-encryption-key"
            ),
            "ID_NUMBER_INDEX_KEY": os.environ.get(
                "ID_NUMBER_INDEX_KEY", "development-only-id-number-index-key"
            ),
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


# --- a small HTTP/1.1 keep-alive client -------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"][0]))
    elif "chunked" in ",".join(headers.get("transfer-encoding", [])):
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
    flat = {name: values[-1] for name, values in headers.items()}
    flat["set-cookie"] = "\n".join(headers.get("set-cookie", []))
    return status, flat, body


def request_bytes(method: str, port: int, path: str, cookies: str, body: bytes = b"", extra=()):
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Accept-Language: zh-hans",
        "Connection: keep-alive",
    ]
    if cookies:
        lines.append(f"Cookie: {cookies}")
    lines.extend(extra)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def one_request(port, method, path, cookies="", body=b"", extra=()):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request_bytes(method, port, path, cookies, body, extra))
        await writer.drain()
        return await read_response(reader)
    finally:
        writer.close()


def cookies_from(set_cookie: str, jar: dict[str, str]) -> dict[str, str]:
    for line in filter(None, set_cookie.split("\n")):
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


async def login(port: int, username: str) -> str:
    """Log in through the login form as a browser would; returns the Cookie header."""
    status, headers, body = await one_request(port, "GET", "/accounts/login/")
    if status != 200:
        raise SystemExit(f"login form answered {status}")
    jar = cookies_from(headers["set-cookie"], {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": DEMO_PASSWORD}
    ).encode()
    status, headers, _ = await one_request(
        port,
        "POST",
        "/accounts/login/",
        cookie_header(jar),
        form,
        (
            "Content-Type: application/x-www-form-urlencoded",
            f"Referer: http://127.0.0.1:{port}/accounts/login/",
            f"Origin: http://127.0.0.1:{port}",
        ),
    )
    jar = cookies_from(headers["set-cookie"], jar)
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"logging in as {username} failed: {status}")
    return cookie_header(jar)


async def drive(port, path, cookies, connections, seconds, max_requests) -> Result:
    result = Result()
    deadline = time.monotonic() + seconds
    budget = {"left": max_requests}
    payload = request_bytes("GET", port, path, cookies)

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline and budget["left"] > 0:
                budget["left"] -= 1
                begin = time.perf_counter()
                writer.write(payload)
                await writer.drain()
                status, headers, _ = await read_response(reader)
                result.latencies.append((time.perf_counter() - begin) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status != 200:
                    result.errors += 1
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return result


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start listening")


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="bench_http_")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    env = server_env(database_url, workdir)
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    cache_shown = args.cache_url.split("@")[-1] if args.cache_url else "file cache (embedded)"
    print(f"database: {database_url.split('@')[-1]}; scale {args.scale}", flush=True)
    print(f"cache: {cache_shown}", flush=True)
    if not args.skip_seed:
        started = time.monotonic()
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "seed_demo", "--scale", args.scale)
        if database_url.startswith("postgres"):
            subprocess.run(
                ["psql", database_url, "-qc", "VACUUM ANALYZE"], check=False, env=os.environ
            )
        print(f"migrate + seed: {time.monotonic() - started:.0f} s", flush=True)
    manage(env, "collectstatic", "--no-input", "-v", "0")

    port = free_port()
    command = dockerfile_gunicorn(port)
    print("server:", shlex.join(command), flush=True)
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    figures = []
    try:
        wait_for(port, server)
        pages = PAGES
        if args.only:
            wanted = [w.strip() for w in args.only.split(",") if w.strip()]
            pages = [p for p in PAGES if "anchor" in p[0] or any(w in p[0] for w in wanted)]
        sessions = {}
        for _, user, _ in pages:
            if user not in sessions:
                sessions[user] = asyncio.run(login(port, user))

        def timed(path, user, seconds):
            """Drive ``path`` as ``user`` for ``seconds``: the result and the time taken."""
            begin = time.monotonic()
            result = asyncio.run(
                drive(port, path, sessions[user], args.connections, seconds, args.max_requests)
            )
            return result, time.monotonic() - begin

        load_before = os.getloadavg()
        for round_number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_number} of {args.rounds}", flush=True)
            for label, user, path in pages:
                paired = None
                if args.paired and "anchor" not in label:
                    _, anchor_user, anchor_path = pages[0]
                    anchor, anchor_elapsed = timed(anchor_path, anchor_user, args.seconds)
                    paired = len(anchor.latencies) / anchor_elapsed
                timed(path, user, args.warmup)
                result, elapsed = timed(path, user, args.seconds)
                samples = result.latencies or [0.0]
                figures.append(
                    {
                        "round": round_number,
                        "page": label,
                        "path": path,
                        "requests": len(result.latencies),
                        "rps": len(result.latencies) / elapsed,
                        "p50_ms": statistics.median(samples),
                        "p95_ms": percentile(samples, 95),
                        "errors": result.errors,
                        "statuses": result.statuses,
                    }
                )
                if paired is not None:
                    figures[-1]["paired_anchor_rps"] = paired
                print(
                    f"  {label}: {figures[-1]['rps']:.0f} req/s"
                    + (f" (anchor just before: {paired:.0f})" if paired is not None else ""),
                    flush=True,
                )
        load_after = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    # Each round's pages against that round's anchor (the machine's speed drifts within a
    # run: a page measured while a neighbour took the CPU would look slow against the
    # run's anchor); with several rounds, a page's medians over the rounds.
    for number in {f["round"] for f in figures}:
        rows = [f for f in figures if f["round"] == number]
        anchors = [f["rps"] for f in rows if "anchor" in f["page"]]
        anchor = statistics.median(anchors) if anchors else 0.0
        for item in rows:
            reference = item.get("paired_anchor_rps", anchor)
            item["anchor_ratio"] = reference / item["rps"] if item["rps"] else float("inf")
    print()
    print(
        f"machine: {os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {args.connections} connections, {args.seconds:.0f} s a page"
        + (f", {args.rounds} rounds (medians; req/s of each round)" if args.rounds > 1 else "")
        + ("; each page against the anchor driven just before it" if args.paired else "")
    )
    print(f"{'page':<40} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'anchor÷':>8}")
    for label, _, _ in pages:
        runs = [f for f in figures if f["page"] == label]
        rps = statistics.median(f["rps"] for f in runs)
        line = (
            f"{label:<40} {rps:>7.0f} {statistics.median(f['p50_ms'] for f in runs):>8.1f} "
            f"{statistics.median(f['p95_ms'] for f in runs):>8.1f} "
            f"{sum(f['errors'] for f in runs):>7d} "
            f"{statistics.median(f['anchor_ratio'] for f in runs):>8.2f}"
        )
        if len(runs) > 1:
            line += "   " + " / ".join(f"{f['rps']:.0f}" for f in runs)
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    failed = [f["page"] for f in figures if f["errors"]]
    if failed:
        print("pages that answered other than 200:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
