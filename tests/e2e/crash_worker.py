"""The work tests/e2e/test_crash_safety.py kills: the materialize flow's transaction, then the
sweep flow day after day (one transaction per day, as the daily deployment runs it).

The worker tells its parent how far it got through a :class:`Probe`; the test's probe writes to
shared memory without a lock (a killed child must not leave a lock held), so after a SIGKILL the
parent can read exactly where the child died: inside the materialize transaction, inside the
sweep transaction of day *i*, between transactions, or after the end.

Run as a forked child of the test (no import cost) or on its own:
    python tests/e2e/crash_worker.py DATABASE_URL PLAN_FILE FIRST_DAY LAST_DAY
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.domain.plan import Plan
from phancong.domain.units import Directory
from phancong.services.materialize import materialize
from phancong.services.sweep import sweep
from tests.helpers import at, plain_renderer

PHASES = ("start-up", "materialize", "sweep", "done")
THROUGH = dt.date(2026, 12, 31)
MATERIALIZED_AT = "2026-01-01"
PORTAL = "https://cong.example"


class Probe:
    """Where the worker is; this default prints, the test records in shared memory."""

    def phase(self, name: str) -> None:
        print(f"phase {name}", flush=True)

    def materialized(self, seconds: float) -> None:
        print(f"materialize committed after {seconds:.3f}s", flush=True)

    def day_open(self, index: int) -> None:
        """The sweep transaction of day ``index`` is about to begin."""

    def day_committed(self, index: int, seconds: float) -> None:
        print(f"sweep of day {index} committed after {seconds:.3f}s", flush=True)


def days_between(first: str, last: str) -> list[dt.date]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def run(
    url: str,
    plan: Plan,
    units: Directory,
    days: Sequence[dt.date],
    probe: Probe,
    *,
    materialize_first: bool,
    sweep_from: int = 0,
) -> None:
    """The materialize flow's transaction (if asked), then one sweep transaction per day from
    ``days[sweep_from]`` on; each step's start and commit reported to ``probe``."""
    engine = make_engine(url)  # its own engine: nothing shared with the parent's pool
    factory = session_factory(engine)
    if materialize_first:
        probe.phase("materialize")
        started = time.monotonic()
        with transaction(factory) as session:
            materialize(session, plan, units, through=THROUGH, now=at(MATERIALIZED_AT))
        probe.materialized(time.monotonic() - started)
    probe.phase("sweep")
    for index in range(sweep_from, len(days)):
        probe.day_open(index)
        started = time.monotonic()
        with transaction(factory) as session:
            sweep(
                session,
                plan.id,
                at(days[index].isoformat()),
                renderer=plain_renderer,
                portal_url=PORTAL,
            )
        probe.day_committed(index, time.monotonic() - started)
    engine.dispose()
    probe.phase("done")


def main(url: str, plan_file: str, first: str, last: str) -> None:
    upgrade(url)
    plan = load(plan_file)
    run(url, plan, directory(plan), days_between(first, last), Probe(), materialize_first=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
