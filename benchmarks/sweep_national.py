"""Benchmark: one sweep over a national-scale ledger, beside the bare query of the same due rows.

The ledger holds the Hà Nội duties with "UBND các xã, phường" expanded to all 3,321 communes
and wards of the country (``vietnam-provinces``), materialised for the five years 2026–2030.
Each measured step runs in a fresh child process so its peak memory (max RSS) is its own.

    python benchmarks/sweep_national.py                       # SQLite file under ./var/bench
    python benchmarks/sweep_national.py --database-url postgresql+psycopg://…/bench

Steps: build (materialise, not timed against anything), catch-up sweep up to the day before
the measured day (so the measured sweep is a normal day's sweep), then on the measured day —
the first working day after a quarterly deadline's overdue notice falls due, the heaviest day
of a quarter — the bare SELECT of every due row and the sweep itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def national_plan() -> Any:
    from vietnam_provinces import Province

    from phancong.adapters.loader import load
    from phancong.domain.plan import Plan

    plan = load(ROOT / "responsibilities" / "hanoi-2026-2030.yaml")
    data = plan.model_dump(mode="python")
    provinces = [int(p.code) for p in Province.iter_all()]
    groups = [g for g in data["groups"] if g["id"] != "xa-phuong"]
    for code in provinces:
        groups.append(
            {
                "id": f"wards-{code:02d}",
                "name": f"Xã, phường tỉnh {code:02d}",
                "wards_of": {"province_code": code},
            }
        )
    groups.append(
        {
            "id": "xa-phuong",
            "name": "UBND các xã, phường (cả nước)",
            "members": [f"wards-{c:02d}" for c in provinces],
        }
    )
    data["groups"] = groups
    data["plan"]["id"] = "national-bench"
    return Plan.model_validate(data)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_build(url: str) -> dict[str, Any]:
    """Build the national ledger into an empty database (an earlier build is dropped first:
    the schema is migrated down to nothing and up again)."""
    from phancong.adapters.db import (
        analyze,
        downgrade,
        make_engine,
        session_factory,
        transaction,
        upgrade,
    )
    from phancong.adapters.loader import directory
    from phancong.services.materialize import materialize, obligation_count

    downgrade(url)  # nothing to do on a new database
    upgrade(url)
    plan = national_plan()
    factory = session_factory(make_engine(url))
    started = time.perf_counter()
    with transaction(factory) as session:
        report = materialize(
            session,
            plan,
            directory(plan),
            through=dt.date(2030, 12, 31),
            now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    seconds = time.perf_counter() - started
    _steady_state(factory, plan.id)
    # a ledger in daily use has planner statistics that autovacuum keeps up to date; after the
    # history above rewrote most rows at once they describe the empty ledger until it passes
    analyze(factory, ("obligations", "obligation_dependencies", "escalations", "units", "duties"))
    with factory() as session:
        total = obligation_count(session, plan.id)
    return {
        "step": "build",
        "seconds": round(seconds, 2),
        "obligations": total,
        "created": report.obligations_created,
        "dependencies": report.dependencies_added,
        "units": len(directory(plan).all_units()),
        "max_rss_mb": round(rss_mb(), 1),
    }


def _steady_state(factory: Any, plan_id: str) -> None:
    """Periods due before 2028 were reported and accepted, except 2 % that are still late and
    have been through the whole ladder already: the ledger as a daily sweep finds it."""
    from sqlalchemy import and_, insert, literal, select, update

    from phancong.adapters.db import transaction
    from phancong.adapters.orm import EscalationRow, ObligationRow
    from phancong.services.notices import Level

    cutoff = dt.date(2028, 1, 1)
    done = dt.datetime(2027, 12, 31, tzinfo=dt.UTC)
    past = and_(ObligationRow.plan_id == plan_id, ObligationRow.effective_deadline < cutoff)
    late = (ObligationRow.id % 50) == 0
    with transaction(factory) as session:
        session.execute(
            update(ObligationRow)
            .where(past, ~late)
            .values(state="accepted", submitted_at=done, accepted_at=done, on_time=True)
        )
        for level in Level:
            session.execute(
                insert(EscalationRow).from_select(
                    ["obligation_id", "level", "rank", "taken_at", "sweep_key", "blocked"],
                    select(
                        ObligationRow.id,
                        literal(level.value),
                        literal(level.rank),
                        literal(done, type_=EscalationRow.__table__.c.taken_at.type),
                        literal("bench:history"),
                        literal(False),
                    ).where(past, late),
                )
            )


def _instant(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(8), VN).astimezone(dt.UTC)


def step_sweep(url: str, day: str) -> dict[str, Any]:
    from phancong.adapters.db import make_engine, session_factory, transaction
    from phancong.services.sweep import sweep

    factory = session_factory(make_engine(url))
    started = time.perf_counter()
    # as the sweep flow runs it: emails queued as notices, rendered by the deliver flow
    with transaction(factory) as session:
        report = sweep(session, "national-bench", _instant(day), portal_url="https://portal.example")
    seconds = time.perf_counter() - started
    return {
        "step": "sweep",
        "day": day,
        "seconds": round(seconds, 3),
        "steps": report.steps,
        "emails": report.emails,
        "max_rss_mb": round(rss_mb(), 1),
    }


def step_bare(url: str, day: str) -> dict[str, Any]:
    """The bare query: every row due today at any level, with what a notice needs of it."""
    from sqlalchemy import literal, select, union_all

    from phancong.adapters.db import make_engine
    from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow
    from phancong.services.notices import Level
    from phancong.services.sweep import due_steps_query

    engine = make_engine(url)
    local = dt.date.fromisoformat(day)
    due = union_all(
        *[
            select(ObligationRow.id.label("oid"), literal(level.value).label("level")).where(
                ObligationRow.id.in_(due_steps_query("national-bench", level, local))
            )
            for level in Level
        ]
    ).subquery()
    query = (
        select(
            due.c.oid,
            due.c.level,
            ObligationRow.period_label,
            ObligationRow.effective_deadline,
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            UnitRow.code,
            UnitRow.name,
        )
        .join(ObligationRow, ObligationRow.id == due.c.oid)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
    )
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    seconds = time.perf_counter() - started
    return {
        "step": "bare",
        "day": day,
        "seconds": round(seconds, 3),
        "rows": len(rows),
        "max_rss_mb": round(rss_mb(), 1),
    }


def run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--day", default="2028-03-15", help="the measured sweep's local date")
    parser.add_argument("--catch-up", default="2028-03-14", help="sweep up to this day first")
    parser.add_argument("--step", choices=["build", "sweep", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help="keep an already built database")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        path = ROOT / "var" / "bench" / "national.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not args.reuse and not args.step and path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+pysqlite:///{path}"
    if args.step == "build":
        print(json.dumps(step_build(url)))
        return
    if args.step == "sweep":
        print(json.dumps(step_sweep(url, args.day)))
        return
    if args.step == "bare":
        print(json.dumps(step_bare(url, args.day)))
        return

    base = ["--database-url", url]
    print(f"database: {url.split('@')[-1]}", flush=True)
    if not args.reuse:
        print(
            "building the national ledger (3,321 communes × Hà Nội duties × 2026–2030)…", flush=True
        )
        print("  ", run_child([*base, "--step", "build"]), flush=True)
    print(f"catch-up sweep to {args.catch_up} (not measured)…", flush=True)
    print("  ", run_child([*base, "--step", "sweep", "--day", args.catch_up]), flush=True)
    # the first reading of the due rows loads them into the database's cache (a fresh copy of
    # a ledger starts cold): not counted, so that the bare query is not slowed by reads the
    # sweep after it is spared
    warm = run_child([*base, "--step", "bare", "--day", args.day])
    print("   warm-up:", warm, flush=True)
    bare = run_child([*base, "--step", "bare", "--day", args.day])
    print("  ", bare, flush=True)
    swept = run_child([*base, "--step", "sweep", "--day", args.day])
    print("  ", swept, flush=True)
    ratio = swept["seconds"] / max(bare["seconds"], 1e-9)
    print(
        json.dumps(
            {
                "database": url.split("://")[0],
                "day": args.day,
                "due_rows": bare["rows"],
                "bare_query_s": bare["seconds"],
                "sweep_s": swept["seconds"],
                "ratio": round(ratio, 2),
                "sweep_max_rss_mb": swept["max_rss_mb"],
                "emails": swept["emails"],
                "target": "ratio <= 3 and max RSS < 300 MB",
                "met": ratio <= 3 and swept["max_rss_mb"] < 300,
            },
            ensure_ascii=False,
        )
    )
    if os.environ.get("BENCH_STRICT") and not (ratio <= 3 and swept["max_rss_mb"] < 300):
        sys.exit(1)


if __name__ == "__main__":
    main()
