"""SIGKILL during materialise and sweep, at seeded random points: after one more complete run the
ledger equals that of an uninterrupted run — same obligations, steps and outbox, nothing lost or
duplicated. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from tests.e2e.crash_worker import PHASES, main
from tests.helpers import HANOI

pytestmark = pytest.mark.e2e

FIRST, LAST = "2026-03-06", "2026-04-10"
RUNS = int(os.environ.get("PHANCONG_CRASH_RUNS", "50"))


CTX = multiprocessing.get_context("fork")


def _child(url: str, reached: Any) -> None:
    def phase(name: str) -> None:
        reached.value = PHASES.index(name)

    main(url, str(HANOI), FIRST, LAST, phase)


def work(url: str) -> tuple[Any, Any]:
    """A forked worker process (a real process, killed with a real SIGKILL)."""
    reached = CTX.Value("i", 0)
    proc = CTX.Process(target=_child, args=(url, reached), daemon=True)
    proc.start()
    return proc, reached


def complete(url: str) -> None:
    """One uninterrupted run, in its own (forked) process."""
    proc, reached = work(url)
    proc.join(600)
    assert proc.exitcode == 0 and PHASES[reached.value] == "done", proc.exitcode


def snapshot(url: str) -> dict[str, object]:
    engine = create_engine(url)
    with engine.connect() as c:
        key = {
            r[0]: (r[1], r[2], r[3])
            for r in c.execute(
                select(ObligationRow.id, DutyRow.code, UnitRow.code, ObligationRow.period_label)
                .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
                .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            )
        }
        obligations = sorted(
            (key[r[0]], r[1]) for r in c.execute(select(ObligationRow.id, ObligationRow.state))
        )
        steps = Counter(
            (key[r[0]], r[1], r[2].isoformat())
            for r in c.execute(
                select(EscalationRow.obligation_id, EscalationRow.level, EscalationRow.taken_at)
            )
        )
        items: dict[int, list[tuple[str, str, str]]] = {}
        for outbox_id, oid in c.execute(
            select(OutboxItemRow.outbox_id, OutboxItemRow.obligation_id)
        ):
            items.setdefault(outbox_id, []).append(key[oid])
        outbox = Counter(
            (r[1], r[2], r[3], r[4].isoformat(), tuple(sorted(items.get(r[0], []))))
            for r in c.execute(
                select(
                    OutboxRow.id,
                    OutboxRow.recipient_unit,
                    OutboxRow.kind,
                    OutboxRow.subject,
                    OutboxRow.created_at,
                )
            )
        )
    engine.dispose()
    return {"obligations": obligations, "steps": steps, "outbox": outbox}


def fresh(database_url: str, suffix: str) -> str:
    if database_url.startswith("sqlite"):
        return database_url.replace("ledger.db", f"ledger-{suffix}.db")
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    name = f"{url.database}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        u = make_url(url)
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        admin.dispose()


def test_sigkill_loses_and_duplicates_nothing(database_url: str, test_output: Path) -> None:
    """Segments of ten kills on one ledger, each ended by a complete run compared with the
    reference; the ledger is then wiped so that kills land in materialise again."""
    from phancong.adapters.db import downgrade

    reference, victim = fresh(database_url, "ref"), fresh(database_url, "kill")
    try:
        complete(reference)
        started = time.monotonic()
        proc, reached = work(fresh_copy := fresh(database_url, "timing"))
        proc.join(600)
        work_time = time.monotonic() - started  # the work itself, without interpreter start-up
        drop(fresh_copy)
        full = work_time
        expected = snapshot(reference)
        rng = random.Random(20261122)
        phases: Counter[str] = Counter()
        for segment in range(0, RUNS, 10):
            for _ in range(min(10, RUNS - segment)):
                proc, reached = work(victim)
                time.sleep(rng.uniform(0.05, work_time * 0.6))
                assert proc.pid is not None
                os.kill(proc.pid, signal.SIGKILL)
                proc.join(30)
                assert proc.exitcode == -signal.SIGKILL or reached.value == PHASES.index("done")
                phases[PHASES[reached.value]] += 1
            complete(victim)
            assert snapshot(victim) == expected
            downgrade(victim, "base")
        kind = database_url.split(":", 1)[0]
        line = (
            f"{kind}: {RUNS} SIGKILLs, last phase reached {dict(phases)}; uninterrupted run "
            f"{full:.1f}s; after each restart the ledger equalled the reference\n"
        )
        with (test_output / "crash-safety.txt").open("a", encoding="utf-8") as fh:
            fh.write(line)
        print(line)
    finally:
        drop(reference)
        drop(victim)
