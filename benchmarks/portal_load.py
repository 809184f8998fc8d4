"""Benchmark: the portal under load on loopback, beside the same server's trivial /healthz.

The database is the national-scale ledger of ``benchmarks/sweep_national.py`` (the Hà Nội duties
with the communes of the whole country, 2026–2030, ~670k obligations), built by its build step.
The portal runs as a real ``phancong portal serve`` (uvicorn) process; a second process, a
load generator (asyncio, raw HTTP/1.1 keep-alive connections), drives it for a fixed time per
phase — a new generator process for each phase:

* ``healthz``   GET /healthz (no database): the ceiling of this server on this machine;
* ``submit``    POST /api/obligations/{id}/submit with a bearer token, every request a different
  open obligation of the token's own commune (token lookup, row lock, state change, submission
  and audit rows, commit, the obligation read back);
* ``matrix``    GET /matrix?kind=commune as a signed-in coordinator (session cookie), the HTML
  page of 150 communes × the year's periods plus the duty roll-up of the whole country — a
  city-sized view (the matrix shows at most 150 units a page; it has no province filter, so the
  page is Hà Nội-sized rather than exactly Hà Nội);
* ``matrix-1``  the same page from a single connection: the latency one coordinator sees.

    python benchmarks/portal_load.py                      # build, then measure (SQLite)
    python benchmarks/portal_load.py --reuse              # reuse var/bench/portal.db
    python benchmarks/portal_load.py --database-url postgresql+psycopg://…/bench --workers 2

The portal runs on the real clock, so the obligations submitted are those whose period has
begun; the national build marks everything due before 2028 as accepted, so before the run the
benchmark re-opens the started obligations of the communes it gives accounts to (fresh communes
on every run). Targets: submit throughput ≥ 50 % of /healthz; matrix p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLAN_ID = "national-bench"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY_PREFIX = "bench-agency-"
COORDINATOR = "bench-coordinator@bench.test"
PASSWORD = "bench-mật-khẩu-2026"  # noqa: S105 - a throw-away benchmark account
MATRIX_PATH = "/matrix?kind=commune"
NOTE = "Đã tổ chức tuyên truyền về phòng, chống xâm hại trẻ em (benchmark)"
MAX_PHASE = 20.0
UNITS_PER_ROUND = 300  # communes per round of the submit phase (~41 open obligations each)
TARGET_RATIO = 0.5
TARGET_P95_MS = 300.0
PHASES = ("healthz", "submit-401", "submit", "matrix", "matrix-1")


# ----------------------------------------------------------------------------- the database


def default_url() -> str:
    path = ROOT / "var" / "bench" / "portal.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{path}"


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite+pysqlite:///" if url.startswith("sqlite+pysqlite:") else "sqlite:///"
    return Path(url.removeprefix(prefix)) if url.startswith("sqlite") else None


def _built(url: str) -> bool:
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from phancong.adapters.db import make_engine
    from phancong.adapters.orm import ObligationRow

    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(ObligationRow)
                .where(ObligationRow.plan_id == PLAN_ID)
            )
        return bool(count)
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def build(url: str, reuse: bool) -> dict[str, Any] | None:
    """sweep_national.py's build step (a child process), unless reusing a built database."""
    if reuse and _built(url):
        return None
    path = _sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "sweep_national.py"),
            "--step",
            "build",
            "--database-url",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def prepare(url: str, units: int, now: dt.datetime) -> dict[str, Any]:
    """Accounts with API tokens for ``units`` fresh communes, their started obligations open
    again, and a coordinator; returns the (token, obligation id) pairs to submit."""
    from sqlalchemy import func, select, update

    from phancong.adapters.db import make_engine, session_factory, transaction
    from phancong.adapters.orm import ObligationRow, SubmissionRow, UnitRow, UserRow
    from phancong.services import accounts, credentials

    today = now.astimezone(VN).date()
    engine = make_engine(url)
    factory = session_factory(engine)
    try:
        with transaction(factory) as session:
            taken = select(UserRow.unit_code).where(UserRow.email.like(f"{AGENCY_PREFIX}%"))
            rows = session.execute(
                select(UnitRow.id, UnitRow.code)
                .where(
                    UnitRow.plan_id == PLAN_ID,
                    UnitRow.kind == "commune",
                    UnitRow.code.not_in(taken.where(UserRow.unit_code.is_not(None))),
                )
                .order_by(UnitRow.code)
                .limit(units)
            ).all()
            if not rows:
                sys.exit("no commune without a benchmark account is left: rebuild (no --reuse)")
            unit_ids = [r[0] for r in rows]
            reopened = getattr(session.execute(
                update(ObligationRow)
                .where(
                    ObligationRow.unit_id.in_(unit_ids),
                    ObligationRow.state == "accepted",
                    ObligationRow.period_start <= today,
                    ObligationRow.id.not_in(select(SubmissionRow.obligation_id)),
                )
                .values(state="open", submitted_at=None, accepted_at=None, on_time=None)
                .execution_options(synchronize_session=False)
            ), "rowcount", 0)  # an UPDATE's CursorResult
            tokens: dict[int, str] = {}
            for unit_id, code in rows:
                email = f"{AGENCY_PREFIX}{code}@bench.test"
                accounts.add_user(
                    session,
                    email=email,
                    name=f"Benchmark {code}",
                    role="agency",
                    plan_id=PLAN_ID,
                    unit_code=code,
                    now=now,
                    actor="benchmark",
                )
                tokens[unit_id] = credentials.issue_api_token(
                    session, email, now=now, actor="benchmark"
                )
            if accounts.find_user(session, COORDINATOR) is None:
                accounts.add_user(
                    session,
                    email=COORDINATOR,
                    name="Thường trực (benchmark)",
                    role="coordinator",
                    plan_id=PLAN_ID,
                    password=PASSWORD,
                    now=now,
                    actor="benchmark",
                )
        with factory() as session:
            open_rows = session.execute(
                select(ObligationRow.unit_id, ObligationRow.id)
                .where(
                    ObligationRow.unit_id.in_(unit_ids),
                    ObligationRow.state.in_(["open", "returned"]),
                    ObligationRow.period_start <= today,
                )
                .order_by(ObligationRow.id)
            ).all()
            total = session.scalar(
                select(func.count())
                .select_from(ObligationRow)
                .where(ObligationRow.plan_id == PLAN_ID)
            )
    finally:
        engine.dispose()
    # interleave the communes so concurrent requests rarely touch the same unit
    per_unit: dict[int, list[int]] = {}
    for unit_id, oid in open_rows:
        per_unit.setdefault(unit_id, []).append(oid)
    jobs: list[tuple[str, int]] = []
    depth = max((len(v) for v in per_unit.values()), default=0)
    for i in range(depth):
        for unit_id, ids in per_unit.items():
            if i < len(ids):
                jobs.append((tokens[unit_id], ids[i]))
    return {"units": len(rows), "reopened": reopened, "jobs": jobs, "obligations": total}


# ----------------------------------------------------------------------------- the load generator


class Connection:
    """One HTTP/1.1 keep-alive connection (asyncio streams): little overhead per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, int]:
        """Send one request, read the whole response; (status, body bytes)."""
        if self.writer is None:
            await self._open()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip().lower()
        size = 0
        if "content-length" in headers:
            size = int(headers["content-length"])
            await self.reader.readexactly(size)
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                chunk = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if chunk == 0:
                    while await self.reader.readuntil(b"\r\n") != b"\r\n":
                        pass
                    break
                await self.reader.readexactly(chunk + 2)
                size += chunk
        if headers.get("connection") == "close":
            await self.close()
        return status, size


def _request(method: str, host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept-Encoding: gzip"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    parts = urlsplit(spec["url"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    hostport = f"{host}:{port}"
    kind = spec["kind"]
    jobs = iter([tuple(j) for j in spec.get("jobs", [])])
    note = json.dumps({"note": spec.get("note", "")}, ensure_ascii=False).encode("utf-8")
    if kind == "post":
        headers = {**spec.get("headers", {}), "Content-Type": "application/json"}
        fixed = _request("POST", hostport, spec["path"], headers, note)
    else:
        fixed = _request("GET", hostport, spec.get("path", "/"), spec.get("headers", {}), b"")
    started = time.perf_counter()
    measure_from = started + spec["warmup"]
    stop_at = measure_from + spec["duration"]
    latencies: list[float] = []
    done_at: list[float] = []
    errors: dict[str, int] = {}
    exhausted = False

    def next_request() -> bytes | None:
        nonlocal exhausted
        if kind != "submit":
            return fixed
        job = next(jobs, None)
        if job is None:
            exhausted = True
            return None
        token, oid = job
        return _request(
            "POST",
            hostport,
            f"/api/obligations/{oid}/submit",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            note,
        )

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                raw = next_request()
                if raw is None:
                    return
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.request(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    await conn.close()
                    status = 0
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                t1 = time.perf_counter()
                if t0 >= measure_from and t1 <= stop_at:
                    latencies.append(t1 - t0)
                    done_at.append(t1)
                    if status != spec["expect"]:
                        errors[str(status)] = errors.get(str(status), 0) + 1
        finally:
            await conn.close()

    cpu0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(spec["connections"])))
    ended = time.perf_counter()
    cpu = time.process_time() - cpu0
    window = (max(done_at) if exhausted and done_at else min(stop_at, ended)) - measure_from
    return {
        "latencies": latencies,
        "window": max(window, 1e-9),
        "errors": errors,
        "exhausted": exhausted,
        "loadgen_cpu": cpu / max(ended - started, 1e-9),
        "loadgen_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def generate(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    print(json.dumps(asyncio.run(_drive(spec))))


# ----------------------------------------------------------------------------- measuring


def _group_cpu(pgid: int) -> float | None:
    """CPU seconds used so far by the processes of a group (the server and its workers)."""
    proc = Path("/proc")
    if not proc.exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "comm)": state ppid pgrp ... utime stime
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _median_round(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["rps"])[(len(runs) - 1) // 2]


def run_phase(name: str, server: Any, spec: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    spec_path = work_dir / f"{name}.json"
    spec_path.write_text(json.dumps({"url": server.url, **spec}), encoding="utf-8")
    cpu0, t0 = _group_cpu(server.process.pid), time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--generate", str(spec_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=spec["warmup"] + spec["duration"] + 60,
    )
    cpu1, t1 = _group_cpu(server.process.pid), time.perf_counter()
    raw = json.loads(out.stdout.strip().splitlines()[-1])
    lat = raw["latencies"]
    ms = 1000.0
    return {
        "phase": name,
        "connections": spec["connections"],
        "seconds": round(raw["window"], 2),
        "requests": len(lat),
        "errors": raw["errors"],
        "rps": round(len(lat) / raw["window"], 1),
        "p50_ms": round(percentile(lat, 0.50) * ms, 1),
        "p95_ms": round(percentile(lat, 0.95) * ms, 1),
        "p99_ms": round(percentile(lat, 0.99) * ms, 1),
        "max_ms": round(max(lat, default=math.nan) * ms, 1),
        "exhausted": raw["exhausted"],
        "server_cpu": (round((cpu1 - cpu0) / (t1 - t0), 2)
                       if cpu0 is not None and cpu1 is not None else None),
        "loadgen_cpu": round(raw["loadgen_cpu"], 2),
    }


def _login(url: str) -> tuple[str, int]:
    """A coordinator session cookie, and how many matrix rows its page shows (sanity check)."""
    import httpx

    from tests.portal_support import csrf_from

    with httpx.Client(base_url=url, timeout=60) as client:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "email": COORDINATOR,
                "password": PASSWORD,
                "next": "/",
                "csrf_token": csrf_from(page.text),
            },
        )
        if response.status_code != 303:
            sys.exit(f"coordinator login failed: {response.status_code}")
        name, value = next(iter(client.cookies.items()))
        matrix = client.get(MATRIX_PATH)
        matrix.raise_for_status()
        rows = matrix.text.count('data-testid="matrix-row"')
    return f"{name}={value}", rows


def _check_submit(url: str, job: tuple[str, int]) -> None:
    import httpx

    token, oid = job
    response = httpx.post(
        f"{url}/api/obligations/{oid}/submit",
        json={"note": NOTE},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    if response.status_code != 200:
        sys.exit(f"a submit failed before the load: {response.status_code} {response.text}")


def _table(results: list[dict[str, Any]]) -> str:
    head = (
        "phase",
        "conns",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "requests",
        "errors",
        "srv cpu",
        "gen cpu",
    )
    rows = [head] + [
        (
            r["phase"],
            str(r["connections"]),
            f"{r['rps']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["requests"]) + (" (ran out)" if r["exhausted"] else ""),
            str(sum(r["errors"].values())),
            "" if r["server_cpu"] is None else f"{r['server_cpu']:.2f}",
            f"{r['loadgen_cpu']:.2f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="default: var/bench/portal.db")
    parser.add_argument("--reuse", action="store_true", help="keep an already built database")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds a phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument(
        "--units",
        type=int,
        default=None,
        help=f"communes given an agency account and token (default: {UNITS_PER_ROUND} a round "
        "with the submit phase, ~12,000 open obligations: a full phase at ~1,100 req/s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the phases this many times in turn and report the median round per phase",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated phases to run, in order (default: {','.join(PHASES)})",
    )
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate)
        return
    from tests.e2e.portal_server import portal_server

    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if unknown or not phases:
        parser.error(f"unknown phase(s) {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    duration = min(args.duration, MAX_PHASE - args.warmup)
    url = args.database_url or default_url()
    engine_name = url.split("+")[0].split(":")[0]
    print(f"database: {url.split('@')[-1]}", flush=True)
    if not args.reuse or not _built(url):
        print("building the national ledger (sweep_national.py --step build)…", flush=True)
    built = build(url, args.reuse)
    if built:
        print("  ", built, flush=True)
    now = dt.datetime.now(dt.UTC)
    units = args.units or (UNITS_PER_ROUND * args.rounds if "submit" in phases else 1)
    prep = prepare(url, units, now)
    jobs = prep.pop("jobs")
    print(
        f"  {prep['obligations']:,} obligations; {prep['units']} agency accounts, "
        f"{len(jobs):,} open obligations to submit ({prep['reopened']:,} re-opened)",
        flush=True,
    )
    if prep["units"] < units:
        print(
            f"  only {prep['units']} of the {units} communes asked for were left without a "
            "benchmark account: submit phases may run out (rebuild: run without --reuse)",
            flush=True,
        )
    work = Path(tempfile.mkdtemp(prefix="portal-load-"))
    data_dir = (ROOT / "var" / "bench" / "portal-data") if engine_name == "sqlite" else work
    with portal_server(url, data_dir, workers=args.workers) as server:
        print(f"portal: {server.url} ({args.workers} worker(s), pid {server.process.pid})")
        cookie, rows = _login(server.url)
        _check_submit(server.url, jobs.pop())
        print(f"  matrix page {MATRIX_PATH}: {rows} unit rows", flush=True)
        common = {"warmup": args.warmup, "duration": duration, "expect": 200}
        n = args.connections
        matrix = {**common, "kind": "get", "path": MATRIX_PATH, "headers": {"Cookie": cookie}}
        specs = {
            "healthz": {**common, "kind": "get", "path": "/healthz", "connections": n},
            # the submit route refused for want of a token: its parsing, dependencies, worker
            # hop and error response without any database work — the most submit could reach
            "submit-401": {
                **common,
                "kind": "post",
                "path": f"/api/obligations/{jobs[0][1]}/submit",
                "note": NOTE,
                "connections": n,
                "expect": 401,
            },
            "submit": {**common, "kind": "submit", "note": NOTE, "connections": n},
            "matrix": {**matrix, "connections": n},
            "matrix-1": {**matrix, "connections": 1},
        }
        rounds: list[dict[str, dict[str, Any]]] = []
        share = len(jobs) // args.rounds  # each round submits obligations of its own
        for r in range(args.rounds):
            specs["submit"]["jobs"] = jobs[r * share : (r + 1) * share]
            rounds.append({name: run_phase(name, server, specs[name], work) for name in phases})
    results = [
        {**res, "phase": f"{name}{f' #{i + 1}' if args.rounds > 1 else ''}"}
        for i, by_name in enumerate(rounds)
        for name, res in by_name.items()
    ]
    print()
    print(_table(results))
    # per phase: the round with the median throughput (the machine's speed drifts between
    # phases, so each round compares phases measured minutes apart at most)
    by = {name: _median_round([rd[name] for rd in rounds]) for name in phases}
    met: dict[str, bool] = {}
    summary: dict[str, Any] = {
        "database": engine_name,
        "obligations": prep["obligations"],
        "workers": args.workers,
        "connections": n,
        "cpus": os.cpu_count(),
        "matrix_path": MATRIX_PATH,
        "matrix_rows": rows,
        "rounds": args.rounds,
        **{name: {k: v for k, v in r.items() if k != "phase"} for name, r in by.items()},
        "target": f"submit/healthz >= {TARGET_RATIO} and matrix p95 < {TARGET_P95_MS:.0f} ms",
        "met": met,
    }
    print()
    if "submit" in by and "healthz" in by:
        ratios = sorted(rd["submit"]["rps"] / max(rd["healthz"]["rps"], 1e-9) for rd in rounds)
        ratio = ratios[len(ratios) // 2]
        summary["submit_vs_healthz"] = round(ratio, 3)
        summary["submit_vs_healthz_rounds"] = [round(x, 3) for x in ratios]
        if len(ratios) > 1:
            print(f"submit/healthz per round: {', '.join(f'{x:.2f}' for x in ratios)}")
        met["submit_vs_healthz"] = ratio >= TARGET_RATIO
        print(f"submit/healthz throughput (median round): {ratio:.2f} (target ≥ {TARGET_RATIO})")
    if "submit-401" in by and "healthz" in by:
        floor = by["submit-401"]["rps"] / max(by["healthz"]["rps"], 1e-9)
        summary["submit_401_vs_healthz"] = round(floor, 3)
        print(f"submit refused before any database work / healthz: {floor:.2f}")
    for phase in ("matrix-1", "matrix"):
        if phase in by:
            p95 = by[phase]["p95_ms"]
            key = "matrix_p95" if phase == "matrix-1" else "matrix_p95_loaded"
            summary[f"{key}_ms"] = p95
            met[key] = p95 < TARGET_P95_MS
            print(
                f"{phase} p95: {p95:.0f} ms with {by[phase]['connections']} connection(s) "
                f"(target < {TARGET_P95_MS:.0f} ms)"
            )
    print(json.dumps(summary, ensure_ascii=False))
    if os.environ.get("BENCH_STRICT") and not all(summary["met"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
