#!/usr/bin/env python3
"""Benchmarks, in one command:   python3 bench/run.py

Starts gunicorn the production way (gunicorn.conf.py, 4 sync workers) on 127.0.0.1,
drives it with wrk (32 connections, loopback only, every run bounded by --duration),
and prints, for SQLite and PostgreSQL, each figure beside the ceiling of the same stack
measured in the same run (a trivial endpoint, a bare ORM insert, and the signing floor:
the signing path's two requests and rows without its form library, page or rate limits):

  - the full signing path (GET the form and its token, POST it: validation, rate limits,
    the insert, tally and outbox), as signatures/s, p50/p99, 5xx and "database is locked"
  - the count endpoint (200 and 304), embed.js (and its size as served, gzipped)
  - the count endpoint with 0, 100k, 1M and 10M signatures seeded (--sizes)
  - the dashboard (overview, a petition's charts, the breakdown) at each seeded size, and
    the streamed CSV export of every signature at the largest size (rows/s, worker RSS)
  - peak RSS of the gunicorn workers, and their private memory (USS), read at the end of
    every run (recycled workers take their peak with them, so the end of the bench alone
    would see only young workers), beside the memory floor: the same gunicorn settings
    serving bench/stack_floor.py, this project's libraries with nothing of the app
  - for each run, how many workers gunicorn restarted during it (max_requests recycling)

Options: --backends sqlite,postgres  --duration 10  --burst 60  --sizes 0,100000,...
         --quick (5 s runs, a 10 s burst, sizes 0 and 100k). Results are also written to
bench/results/<time>.md. Needs wrk (installed with apt when missing and run as root).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "lua"
CONNECTIONS = 32
WORKERS = 4
PETITION, PARTNER = "bench", "bench-partner"
FLOOR = "signing floor: token page + POST, no form, page or limits (ceiling)"
OPERATOR, OPERATOR_PASSWORD = "operator@bench.example", "bench-operator-password"
DASHBOARD_PAGES = (
    ("dashboard overview", "/dashboard/"),
    ("dashboard petition charts", f"/dashboard/petitions/{PETITION}"),
    ("dashboard breakdown", f"/dashboard/petitions/{PETITION}/breakdown"),
)
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def ensure_environment() -> None:
    """Run inside the project's venv (created by dev.py), with wrk available."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        sys.path.insert(0, str(ROOT))
        import dev  # the README's setup: creates .venv and installs the project

        dev.ensure_venv()
        dev.compile_translations()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    if shutil.which("wrk"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return
    sys.exit("wrk is needed (Debian/Ubuntu: apt-get install wrk).")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- databases -------------------------------------------------------------------------


@dataclass
class Database:
    name: str
    url: str
    drop: callable = field(default=lambda: None)


def sqlite_database() -> Database:
    path = RESULTS / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Database("SQLite", f"sqlite:///{path}")


def postgres_database() -> Database:
    import psycopg

    name = f"widget_bench_{uuid.uuid4().hex[:8]}"
    admin = PG_SERVER.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return Database("PostgreSQL", f"{PG_SERVER.rpartition('/')[0]}/{name}", drop)


def app_env(database: Database) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database.url,
        "SECRET_KEY": secrets.token_hex(16),
        "PUBLIC_URL": "http://127.0.0.1",
        # A load generator fills forms in microseconds and from one address: the time trap
        # and the rate limits still run on every request, but must not refuse it.
        "FORM_MIN_SECONDS": "0",
        "RATE_LIMIT_PER_IP": "100000000/minute",
        "RATE_LIMIT_PER_PARTNER": "100000000/minute",
    }


def flask(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(env: dict) -> int:
    flask(env, "db", "upgrade")
    flask(
        env, "petition", "create", PETITION, "--title", "Benchmark", "--goal", "20000000", "--open"
    )
    flask(
        env,
        "partner",
        "add",
        PARTNER,
        "--name",
        "Bench partner",
        "--origin",
        "https://partner.bench.example",
        "--country",
        "DE",
    )
    flask(env, "user", "create-operator", OPERATOR, "--name", "Bench", "--password",
          OPERATOR_PASSWORD)  # fmt: skip
    out = subprocess.run(
        [
            str(VENV_PYTHON),
            "-c",
            "from widget import create_app; from widget.campaign.petitions import get_petition\n"
            "app = create_app()\nwith app.app_context(): print(get_petition('bench').id)",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


# --- gunicorn --------------------------------------------------------------------------


class Gunicorn:
    def __init__(
        self, env: dict, log: Path, app: str = "bench.app:app", config: str = "gunicorn.conf.py"
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", config, app],
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": str(WORKERS),
                "GUNICORN_ACCESS_LOG": "",
                "GUNICORN_LOG_LEVEL": "warning",
            },
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/bench/hello", timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn did not start; see {log}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def peak_rss_mb(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return peaks

    def private_mb(self) -> list[float]:
        """Each worker's memory that no other process shares (USS: what one more worker
        costs), as opposed to RSS, which also counts shared libraries and the pages the
        workers share."""
        private = []
        for pid in self.worker_pids():
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            found = re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+) kB", rollup, re.M)
            kb = sum(int(n) for n in found)
            private.append(kb / 1024)
        return private

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# --- wrk -------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    rps: float
    p50: float
    p99: float
    non_2xx: int
    socket_errors: int
    max_ms: float = 0.0
    extra: dict = field(default_factory=dict)
    restarted: int = 0  # workers gunicorn replaced during the run (max_requests)
    rss_mb: float = 0.0  # the highest peak RSS among the workers alive at the end
    uss_mb: float = 0.0  # the highest private memory among them


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    url: str,
    duration: int,
    *,
    script: str | None = None,
    args: tuple = (),
    headers: tuple = (),
    warmup: int = 2,
    server: Gunicorn | None = None,
) -> Run:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", "--timeout", "10s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(LUA / script)]

    def script_args() -> list[str]:
        # A fresh nonce for every wrk run keeps generated emails unique across runs.
        nonce = uuid.uuid4().hex[:8]
        return ["--", *(a.replace("{nonce}", nonce) for a in args)] if args else []

    if warmup:
        subprocess.run(
            [*command, f"-d{warmup}s", url, *script_args()],
            capture_output=True,
            timeout=warmup + 30,
        )
    workers = set(server.worker_pids()) if server else set()
    out = subprocess.run(
        [*command, f"-d{duration}s", url, *script_args()],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    extra = {}
    sign = re.search(r"^SIGN (\{.*\})$", out, re.M)
    if sign:
        extra = json.loads(sign.group(1))
    return Run(
        name=name,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        p99=_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        max_ms=_ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)),
        non_2xx=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        socket_errors=sum(int(x) for x in errors.groups()) if errors else 0,
        extra=extra,
        restarted=len(set(server.worker_pids()) - workers) if server else 0,
        rss_mb=max(server.peak_rss_mb(), default=0.0) if server else 0.0,
        uss_mb=max(server.private_mb(), default=0.0) if server else 0.0,
    )


# --- the dashboard ---------------------------------------------------------------------


def dashboard_cookie(base: str) -> str:
    """Log the bench operator in, as a browser would (CSRF token, then the form); return
    the session cookie as a Cookie header for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/dashboard/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "email": OPERATOR, "password": OPERATOR_PASSWORD}
    ).encode()
    landed = opener.open(base + "/dashboard/login", body)
    if not landed.geturl().rstrip("/").endswith("/dashboard"):
        sys.exit(f"bench operator could not log in (landed on {landed.geturl()})")
    return "Cookie: " + "; ".join(f"{c.name}={c.value}" for c in jar)


def bench_dashboard(server: Gunicorn, cookie: str, size: int, duration: int) -> list[Run]:
    return [
        wrk(
            f"{name}, {size:,} seeded",
            server.url + path,
            duration,
            headers=(cookie,),
            server=server,
        )
        for name, path in DASHBOARD_PAGES
    ]


def bench_export(base: str, cookie: str, server: Gunicorn) -> dict:
    """Stream every signature as CSV once; the body is counted, never kept."""
    request = urllib.request.Request(
        f"{base}/dashboard/petitions/{PETITION}/signatures.csv",
        headers={cookie.split(": ", 1)[0]: cookie.split(": ", 1)[1]},
    )
    started = time.monotonic()
    first_byte = None
    size = lines = 0
    complete = True
    with urllib.request.urlopen(request, timeout=3600) as response:
        try:
            while chunk := response.read(1 << 16):
                first_byte = first_byte or time.monotonic() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        except http.client.IncompleteRead as cut:  # the worker was stopped mid-download
            lines += cut.partial.count(b"\n")
            complete = False
    took = time.monotonic() - started
    return {
        "rows": lines - 1,  # the header line
        "bytes": size,
        "seconds": took,
        "first_byte_ms": (first_byte or 0) * 1000,
        "complete": complete,
        "rss": server.peak_rss_mb(),
    }


# --- the benchmark ---------------------------------------------------------------------


def bench_memory_floor(env: dict, duration: int) -> Run:
    """The memory floor: bench/stack_floor.py (this project's libraries, set up as the app
    sets them up, serving one route) under the same gunicorn settings, driven as long as
    any other run. No worker of the app can need less than these workers."""
    from widget.core.settings import sqlalchemy_url

    server = Gunicorn(
        {**env, "DATABASE_URL": sqlalchemy_url(env["DATABASE_URL"])},
        RESULTS / "gunicorn-floor.log",
        app="bench.stack_floor:app",
        config="bench/stack_floor_gunicorn.py",
    )
    try:
        return wrk("memory floor", server.url + "/bench/hello", duration, server=server)
    finally:
        server.stop()


def bench_backend(database: Database, opts, lines: list[str]) -> None:
    env = app_env(database)
    petition_id = prepare(env)
    memory_floor = bench_memory_floor(env, opts.duration)
    log = RESULTS / f"gunicorn-{database.name.lower()}.log"
    server = Gunicorn(env, log)
    try:
        d = opts.duration
        # Warm every worker up (imports, templates, caches) before anything is measured.
        for path in (
            "/bench/hello",
            f"/embed/{PETITION}?partner={PARTNER}",
            "/embed.js",
            f"/api/v1/petitions/{PETITION}",
        ):
            wrk("warm-up", server.url + path, 3, warmup=0)
        hello = wrk("trivial endpoint (ceiling)", server.url + "/bench/hello", d, server=server)
        runs = [hello]
        runs.append(
            wrk(
                "bare ORM insert (ceiling)",
                server.url + "/bench/insert",
                d,
                server=server,
                script="insert.lua",
                args=(str(petition_id), "{nonce}"),
            )
        )
        form_path = f"/embed/{PETITION}?partner={PARTNER}"
        sign = wrk(
            "full signing path: GET form + POST",
            server.url + form_path,
            opts.burst,
            server=server,
            script="sign.lua",
            args=(form_path, server.url, "{nonce}"),
        )
        runs.append(sign)
        # The same two requests and the same rows with the web layer taken away (no form
        # library, no page rendered, no rate limit): what no change to the views can beat.
        floor_path = f"/bench/sign/{PETITION}?partner={PARTNER}"
        runs.append(
            wrk(
                FLOOR,
                server.url + floor_path,
                d,
                server=server,
                script="sign.lua",
                args=(floor_path, server.url, "{nonce}"),
            )
        )
        # The POST alone: one form token (they are not single-use) reused for every POST.
        form = urllib.request.urlopen(server.url + form_path).read().decode()
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', form).group(1)
        runs.append(
            wrk(
                "signing POST only (validation, limits, insert, tally, outbox)",
                server.url + form_path,
                d,
                server=server,
                script="post.lua",
                args=(form_path, server.url, "{nonce}", token),
            )
        )
        count_url = f"{server.url}/api/v1/petitions/{PETITION}"
        runs.append(wrk("count endpoint (200)", count_url, d, server=server))
        etag = urllib.request.urlopen(count_url).headers["ETag"]
        runs.append(
            wrk(
                "count endpoint (304, If-None-Match)",
                count_url,
                d,
                server=server,
                headers=(f"If-None-Match: {etag}",),
            )
        )
        embed = wrk("embed.js", server.url + "/embed.js", d, server=server)
        source = urllib.request.urlopen(server.url + "/embed.js").read()
        embed.extra = {"bytes": len(source), "gzipped": len(gzip.compress(source, 9))}
        runs.append(embed)
        # The ceiling again at the end: a machine that got busier shows up as a gap.
        hello_again = wrk(
            "trivial endpoint (ceiling, again)", server.url + "/bench/hello", d, server=server
        )
        runs.append(hello_again)
        ceiling = (hello.rps + hello_again.rps) / 2
        verify = flask(env, "count", "verify", PETITION).strip()
        log_text = log.read_text()
        locked = log_text.count("database is locked")
        tracebacks = log_text.count("Traceback")
        seeded = []
        dashboard: list[Run] = []
        export = None
        cookie = dashboard_cookie(server.url)
        current = 0
        for size in opts.sizes:
            if size > current:
                started = time.monotonic()
                flask(env, "count", "seed", PETITION, "--signatures", str(size - current))
                current = size
                took = time.monotonic() - started
            else:
                took = 0.0
            run = wrk(f"count endpoint, {size:,} seeded", count_url, d, server=server)
            seeded.append((size, run, took))
            dashboard += bench_dashboard(server, cookie, size, d)
        if seeded:
            # Once, at the largest size: a download outlasts GUNICORN_TIMEOUT while it
            # moves (widget/core/progress.py), so ten million rows come out in one request.
            export = bench_export(server.url, cookie, server)
    finally:
        server.stop()
        database.drop()
    report(
        database.name, ceiling, runs, seeded, locked, tracebacks, verify, memory_floor, opts, lines
    )
    report_dashboard(ceiling, dashboard, export, lines)


def report_dashboard(ceiling: float, dashboard: list[Run], export: dict | None, lines: list[str]):
    start = len(lines)
    lines.append(
        "\n| dashboard page (logged-in operator) | req/s | × trivial | p50 ms | p99 ms "
        "| max ms | non-2xx/3xx |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for run in dashboard:
        lines.append(
            f"| {run.name} | {run.rps:,.0f} | {run.rps / ceiling:.2f} | {run.p50:.1f} "
            f"| {run.p99:.1f} | {run.max_ms:.0f} | {run.non_2xx} |"
        )
    if export is None:
        lines.append("\nCSV export: not measured (no seeded size).")
    else:
        cut = "" if export["complete"] else " (CUT OFF: the download ended early)"
        lines.append(
            f"\nCSV export of every signature{cut}: {export['rows']:,} rows, "
            f"{export['bytes'] / 1e6:,.0f} MB in {export['seconds']:.1f} s "
            f"({export['rows'] / max(export['seconds'], 0.001):,.0f} rows/s), first byte after "
            f"{export['first_byte_ms']:,.0f} ms; peak RSS per worker afterwards (MB): "
            f"{', '.join(f'{r:.1f}' for r in export['rss'])}"
        )
        lines.append(
            f"\nPeak RSS per worker over the dashboard runs and the export: "
            f"{max([r.rss_mb for r in dashboard] + export['rss']):.1f} MB (USS up to "
            f"{max(r.uss_mb for r in dashboard):.1f} MB)"
        )
    print("\n".join(lines[start:]), flush=True)


def report(name, ceiling, runs, seeded, locked, tracebacks, verify, memory_floor, opts, lines):
    start = len(lines)
    lines.append(f"\n### {name}\n")
    lines.append(
        f"Ratios are to the mean of the two trivial-endpoint runs: {ceiling:,.0f} req/s.\n"
    )
    lines.append(
        "| scenario | req/s | × trivial | p50 ms | p99 ms | non-2xx/3xx | socket errors "
        "| workers restarted |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        lines.append(
            f"| {run.name} | {run.rps:,.0f} | {run.rps / ceiling:.2f} | {run.p50:.1f} "
            f"| {run.p99:.1f} | {run.non_2xx} | {run.socket_errors} | {run.restarted} |"
        )
    sign = next(r for r in runs if r.name.startswith("full signing path"))
    signatures = sign.extra.get("signed", 0) / opts.burst
    lines.append(
        f"\nSigning burst ({opts.burst} s): **{signatures:,.0f} signatures/s "
        f"({signatures / ceiling:.2f} × trivial)**, {sign.extra.get('signed', 0):,} signed, "
        f"{sign.extra.get('refused', 0)} refused (422/429), "
        f"{sign.extra.get('failed5xx', 0)} answered 5xx; 'database is locked' in the server "
        f"log: {locked}; tracebacks: {tracebacks}. `count verify`: {verify}"
    )
    floor = next(r for r in runs if r.name == FLOOR)
    floor_signatures = floor.extra.get("signed", 0) / opts.duration
    lines.append(
        f"\nThe signing floor ({opts.duration} s, token page and POST to the signing use case "
        f"alone): {floor_signatures:,.0f} signatures/s "
        f"({floor_signatures / ceiling:.2f} × trivial), {floor.extra.get('failed5xx', 0)} "
        "answered 5xx."
    )
    embed = next(r for r in runs if r.name == "embed.js")
    lines.append(
        f"\nembed.js as served: {embed.extra['bytes']:,} bytes, "
        f"{embed.extra['gzipped']:,} gzipped (level 9)"
    )
    lines.append(
        "\n| signatures seeded | seeding took | count req/s | × trivial | p50 ms | p99 ms "
        "| workers restarted |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|---:|")
    for size, run, took in seeded:
        lines.append(
            f"| {size:,} | {took:,.0f} s | {run.rps:,.0f} | {run.rps / ceiling:.2f} "
            f"| {run.p50:.1f} | {run.p99:.1f} | {run.restarted} |"
        )
    # The runs of the first table come before any dashboard page: signer-facing work only.
    lines.append(
        f"\nPeak RSS per worker, the highest among the workers alive at the end of each run "
        f"of the first table: {max(r.rss_mb for r in runs):.1f} MB (private to the worker, "
        f"USS: up to {max(r.uss_mb for r in runs):.1f} MB)"
    )
    lines.append(
        f"\nThe memory floor (bench/stack_floor.py under the same gunicorn settings: this "
        f"project's libraries, set up as the app sets them up, and one route; nothing of the "
        f"app): {memory_floor.rss_mb:.1f} MB peak RSS per worker (USS: "
        f"{memory_floor.uss_mb:.1f} MB). No worker of the app can need less."
    )
    print("\n".join(lines[start:]), flush=True)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return (
        f"{os.cpu_count()} × {cpu}, {mem / 1024 / 1024:.0f} GiB RAM; gunicorn {WORKERS} "
        f"sync workers, wrk 1 thread × {CONNECTIONS} connections on the same machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--sizes", default="0,100000,1000000,10000000")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    if opts.quick:
        opts.duration, opts.burst, opts.sizes = 5, 10, "0,100000"
    opts.sizes = [int(s) for s in opts.sizes.split(",")]
    makers = {"sqlite": sqlite_database, "postgres": postgres_database}
    unknown = set(opts.backends.split(",")) - set(makers)
    if unknown:
        parser.error(f"unknown backend {', '.join(sorted(unknown))}; choose from sqlite,postgres")
    ensure_environment()
    RESULTS.mkdir(exist_ok=True)
    lines = [
        f"## Benchmark {datetime.now(UTC).isoformat(timespec='minutes')}",
        f"\nMachine: {machine()}.",
    ]
    print("\n".join(lines), flush=True)
    for backend in opts.backends.split(","):
        bench_backend(makers[backend](), opts, lines)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%d-%H%M}.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
