"""Materialise a plan and sweep a run of days, each step in its own transaction (killed by tests).

Run as a forked child of the test (no import cost) or on its own:
    python tests/e2e/crash_worker.py DATABASE_URL PLAN_FILE FIRST_DAY LAST_DAY
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.services.materialize import materialize
from phancong.services.sweep import sweep
from tests.helpers import at, plain_renderer

PHASES = ["start-up", "materialize", "sweep", "done"]


def main(
    url: str,
    plan_file: str,
    first: str,
    last: str,
    phase: Callable[[str], None] = lambda name: print(f"phase {name}", flush=True),
) -> None:
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    plan = load(plan_file)
    phase("materialize")
    with transaction(factory) as session:
        materialize(
            session, plan, directory(plan), through=dt.date(2026, 12, 31), now=at("2026-01-01")
        )
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    phase("sweep")
    while day <= end:
        with transaction(factory) as session:
            sweep(
                session,
                plan.id,
                at(day.isoformat()),
                renderer=plain_renderer,
                portal_url="https://cong.example",
            )
        day += dt.timedelta(days=1)
    engine.dispose()
    phase("done")


if __name__ == "__main__":
    main(*sys.argv[1:5])
