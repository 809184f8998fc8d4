"""SIGKILL inside the materialize flow and inside the sweep flow, each at least 50 times at seeded
random points, on SQLite and PostgreSQL: after a restart and one more run the ledger equals that
of an uninterrupted run — same obligations, escalation steps and outbox; no step, no email lost
or doubled.

Every run is a forked child of the test (everything imported, the plan loaded: a run starts in
milliseconds) killed with a real SIGKILL. The child reports through shared memory where it is
(tests/e2e/crash_worker.py), and a kill counts for a flow only if the child died inside that
flow's transaction, on work not yet committed — not because a signal was sent.

* **materialize**: each run materialises the Hà Nội plan (5,582 obligations) into an empty
  ledger and is killed at a uniform random point of the transaction's measured duration. After
  every kill the ledger must be empty or whole, never partial. After 25 kills (or a run that
  got through) one more run — materialise, sweep every day — must give the reference ledger.
* **sweep**: on the materialised ledger each run sweeps day after day (one transaction per day,
  as the daily deployment runs), restarting with the last committed day, which it re-runs. The
  kill is aimed at one of the next three days still to sweep that take steps (chosen with its
  measured duration as weight), at a uniform random point of that day's transaction, so the
  kills of a segment move through the whole window. After every kill each day's
  steps and emails must be in the ledger whole or not at all; after up to ten kills (fewer when
  no day with steps is left) one more run, from the interrupted day to the end, must give the
  reference ledger.

Ledgers are reset from templates (SQLite's backup API; ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL), not rebuilt. The figures are appended to ``crash-safety.txt`` in the test output
directory.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import signal
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from phancong.adapters.db import upgrade
from phancong.adapters.loader import directory, load
from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    UnitRow,
)
from phancong.domain.plan import Plan
from phancong.domain.units import Directory
from tests.e2e.crash_worker import PHASES, Probe, days_between, run
from tests.helpers import HANOI, at

pytestmark = pytest.mark.e2e

FIRST, LAST = "2026-03-06", "2026-04-10"  # reminders, overdue notices and both escalations
KILLS = int(os.environ.get("PHANCONG_CRASH_RUNS", "50"))  # per flow and database (at least 50)
MAX_RUNS = 4 * KILLS  # bounded even if runs keep finishing before the kill
MATERIALIZE_SEGMENT = 25  # at most so many kills between two comparisons with the reference
SWEEP_SEGMENT = 10
AHEAD = 3  # sweep kills are aimed at one of the next three days that take steps
SEED = 20261122
LEDGER_TABLES = (
    "plans",
    "plan_versions",
    "units",
    "duties",
    "obligations",
    "obligation_dependencies",
    "audit_log",
)

CTX = multiprocessing.get_context("fork")


class SharedProbe(Probe):
    """The worker's progress in shared memory (no lock a kill could leave held)."""

    def __init__(self, days: int) -> None:
        self._phase = CTX.RawValue("i", 0)
        self._open = CTX.RawValue("i", -1)  # the day whose sweep transaction is open, or -1
        self._reached = CTX.RawValue("i", -1)  # the last day whose transaction was begun
        self._committed = CTX.RawValue("i", -1)  # the last day whose transaction committed
        self.seconds = CTX.RawArray("d", days + 1)  # [0] materialise, [1 + i] sweep of day i

    def phase(self, name: str) -> None:
        self._phase.value = PHASES.index(name)

    def materialized(self, seconds: float) -> None:
        self.seconds[0] = seconds

    def day_open(self, index: int) -> None:
        self._open.value = index
        self._reached.value = index

    def day_committed(self, index: int, seconds: float) -> None:
        self.seconds[1 + index] = seconds
        self._open.value = -1
        self._committed.value = index

    @property
    def where(self) -> str:
        return PHASES[self._phase.value]

    @property
    def open(self) -> int:
        return int(self._open.value)

    @property
    def reached(self) -> int:
        return int(self._reached.value)

    @property
    def committed(self) -> int:
        return int(self._committed.value)


@dataclass(frozen=True)
class Snapshot:
    """A ledger keyed by duty, unit and period rather than by database ids."""

    obligations: list[tuple[tuple[str, str, str], str]]  # (key, state), sorted
    steps: Counter[tuple[tuple[str, str, str], str, str]]  # (key, level, taken at)
    outbox: Counter[tuple[str, str, str, str, tuple[tuple[str, str, str], ...]]]


@dataclass
class World:
    plan: Plan
    units: Directory
    days: list[dt.date]
    instants: dict[str, int]  # a sweep's as-of instant (UTC, ISO) → the index of its day
    materialize_seconds: list[float] = field(default_factory=list)  # uninterrupted runs
    day_seconds: list[float] = field(default_factory=list)
    expected: Snapshot = field(default_factory=lambda: Snapshot([], Counter(), Counter()))
    empty_counts: dict[str, int] = field(default_factory=dict)
    materialized_counts: dict[str, int] = field(default_factory=dict)
    steps_by_day: list[Counter[str]] = field(default_factory=list)
    outbox_by_day: list[Counter[str]] = field(default_factory=list)

    def start(
        self,
        url: str,
        probe: SharedProbe,
        *,
        materialize_first: bool,
        sweep_days: bool = True,
        sweep_from: int = 0,
    ) -> BaseProcess:
        """A forked worker (a real process, killed with a real SIGKILL)."""
        proc = CTX.Process(
            target=run,
            args=(url, self.plan, self.units, self.days if sweep_days else [], probe),
            kwargs={"materialize_first": materialize_first, "sweep_from": sweep_from},
            daemon=True,
        )
        proc.start()
        return proc

    def complete(self, url: str, **kwargs: Any) -> SharedProbe:
        """One uninterrupted run in a forked worker."""
        probe = SharedProbe(len(self.days))
        proc = self.start(url, probe, **kwargs)
        proc.join(600)
        assert proc.exitcode == 0 and probe.where == "done", (proc.exitcode, probe.where)
        return probe

    def through(self, day: int) -> tuple[Counter[str], Counter[str]]:
        """Steps and emails per as-of instant of an uninterrupted sweep through ``day``."""
        steps: Counter[str] = Counter()
        outbox: Counter[str] = Counter()
        for index in range(day + 1):
            steps.update(self.steps_by_day[index])
            outbox.update(self.outbox_by_day[index])
        return steps, outbox


# ---------------------------------------------------------------------------- databases


class Databases:
    """Template and working ledgers beside the fixture's database: files on SQLite (copied with
    SQLite's backup API), databases on PostgreSQL (``CREATE DATABASE ... TEMPLATE``)."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.sqlite = database_url.startswith("sqlite")
        self.names: list[str] = []

    def url_of(self, name: str) -> str:
        if self.sqlite:
            folder = Path(str(self.url.database)).parent
            return self.url.set(database=str(folder / f"{name}.db")).render_as_string(False)
        return self.url.set(database=f"{self.url.database}_{name}").render_as_string(False)

    def _admin(self, statement: str) -> None:
        admin = create_engine(
            self.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        with admin.connect() as conn:
            conn.execute(text(statement))
        admin.dispose()

    def _files(self, name: str) -> list[Path]:
        path = Path(str(make_url(self.url_of(name)).database))
        return [
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
            path.with_name(path.name + "-journal"),
        ]

    def drop(self, name: str) -> None:
        if self.sqlite:
            for path in self._files(name):
                path.unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.url.database}_{name}" WITH (FORCE)')

    def create(self, name: str, template: str | None = None) -> str:
        """A fresh ledger ``name``: empty, or a copy of ``template``; dropped first if it exists."""
        self.drop(name)
        if name not in self.names:
            self.names.append(name)
        if self.sqlite:
            if template is not None:
                source = sqlite3.connect(self._files(template)[0])
                target = sqlite3.connect(self._files(name)[0])
                with target:
                    source.backup(target)
                source.close()
                target.close()
        else:
            copy = f' TEMPLATE "{self.url.database}_{template}"' if template else ""
            self._admin(f'CREATE DATABASE "{self.url.database}_{name}"{copy}')
        return self.url_of(name)

    def analyze(self, url: str) -> None:
        """PostgreSQL: the statistics autovacuum gathers between the nightly materialise and
        the morning sweep (a planner without them, on tables full of rows that killed runs
        left dead, can take a minute over one sweep)."""
        if not self.sqlite:
            engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
            engine.dispose()

    def close(self) -> None:
        for name in reversed(self.names):
            self.drop(name)


def _query(url: str, read: Callable[[Any], Any]) -> Any:
    engine = create_engine(url, poolclass=NullPool)  # no pooled connection for a fork to inherit
    try:
        with engine.connect() as conn:
            return read(conn)
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    """Rows per table that materialise writes."""
    found: dict[str, int] = _query(
        url,
        lambda c: {
            t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in LEDGER_TABLES
        },
    )
    return found


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def by_instant(url: str) -> tuple[Counter[str], Counter[str]]:
    """Escalation steps and outbox rows per as-of instant."""

    def read(c: Any) -> tuple[Counter[str], Counter[str]]:
        steps: Counter[str] = Counter()
        for taken_at, n in c.execute(
            select(EscalationRow.taken_at, func.count()).group_by(EscalationRow.taken_at)
        ):
            steps[_utc(taken_at)] += n
        outbox: Counter[str] = Counter()
        for created_at, n in c.execute(
            select(OutboxRow.created_at, func.count()).group_by(OutboxRow.created_at)
        ):
            outbox[_utc(created_at)] += n
        return steps, outbox

    result: tuple[Counter[str], Counter[str]] = _query(url, read)
    return result


def snapshot(url: str) -> Snapshot:
    """Obligations with their state, escalation steps, outbox rows with their items."""

    def read(c: Any) -> Snapshot:
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
            (key[r[0]], r[1], _utc(r[2]))
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
            (r[1], r[2], r[3], _utc(r[4]), tuple(sorted(items.get(r[0], []))))
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
        return Snapshot(obligations, steps, outbox)

    result: Snapshot = _query(url, read)
    return result


# ---------------------------------------------------------------------------- the loops


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return False


def kill(proc: BaseProcess) -> bool:
    """SIGKILL (a no-op on a child that has already exited); True if the signal killed it."""
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    if proc.exitcode == -signal.SIGKILL:
        return True
    assert proc.exitcode == 0, f"worker failed: exit code {proc.exitcode}"
    return False


@dataclass
class Figures:
    flow: str
    runs: int = 0
    landed: int = 0  # kills that found the child inside the flow's open transaction
    working: int = 0  # sweep: of those, in a day's transaction that takes steps
    elsewhere: int = 0  # kills that found it outside (after a commit, between transactions)
    finished: int = 0  # runs that ended before the kill
    compared: int = 0  # complete runs compared with the reference
    offsets: list[float] = field(default_factory=list)  # kills in the targeted transaction:
    # seconds into it
    days: Counter[str] = field(default_factory=Counter)  # sweep: the day each kill landed in
    seconds: float = 0.0

    def line(self) -> str:
        ms = sorted(1000 * o for o in self.offsets)
        aimed = (
            f"{len(ms)} in the transaction aimed at, {ms[0]:.0f}–{ms[-1]:.0f} ms into it "
            f"(median {statistics.median(ms):.0f})"
            if ms
            else "none where aimed"
        )
        days = (
            f"; {self.working} in a day that takes steps, days hit "
            f"{dict(sorted(self.days.items()))}"
            if self.days
            else ""
        )
        return (
            f"{self.flow}: {self.runs} runs, {self.landed} SIGKILLs inside its transaction "
            f"({aimed}{days}), {self.elsewhere} outside it, {self.finished} runs finished "
            f"first; {self.compared} restarts + one more run equal to the reference; "
            f"{self.seconds:.1f}s"
        )


def kill_materialize(world: World, dbs: Databases, rng: random.Random) -> Figures:
    figures = Figures("materialize")
    started = time.monotonic()
    victim = dbs.create("victim_m", template="empty")
    pending = 0  # kills since the last comparison with the reference
    while figures.landed < KILLS or pending:
        if pending and (pending >= MATERIALIZE_SEGMENT or figures.landed >= KILLS):
            # one more run: materialise (the ledger was left empty), then sweep every day
            probe = world.complete(victim, materialize_first=True, sweep_days=False)
            world.materialize_seconds.append(probe.seconds[0])
            dbs.analyze(victim)
            world.complete(victim, materialize_first=False)
            assert snapshot(victim) == world.expected, f"after {figures.landed} kills"
            figures.compared += 1
            pending = 0
            victim = dbs.create("victim_m", template="empty")
            continue
        assert figures.runs < MAX_RUNS, f"{figures.landed} kills landed in {figures.runs} runs"
        probe = SharedProbe(len(world.days))
        proc = world.start(victim, probe, materialize_first=True, sweep_days=False)
        figures.runs += 1
        assert wait_until(lambda: probe.where != "start-up", 60), "the worker did not start"  # noqa: B023
        offset = rng.uniform(0.0, statistics.median(world.materialize_seconds))
        time.sleep(offset)
        killed = kill(proc)
        found = counts(victim)
        committed = found != world.empty_counts
        # all or nothing: a kill never leaves part of a materialisation behind
        assert not committed or found == world.materialized_counts, found
        if killed and probe.where == "materialize" and not committed:
            figures.landed += 1
            figures.offsets.append(offset)
            pending += 1
        elif killed:
            figures.elsewhere += 1
        else:
            figures.finished += 1
        if committed:  # nothing left to kill in this ledger
            if pending:
                dbs.analyze(victim)
                world.complete(victim, materialize_first=False)  # that run was the restart
                assert snapshot(victim) == world.expected, f"after {figures.landed} kills"
                figures.compared += 1
                pending = 0
            victim = dbs.create("victim_m", template="empty")
    figures.seconds = time.monotonic() - started
    return figures


def committed_through(world: World, url: str, marker: int) -> int:
    """The last day whose sweep is in the ledger, checking that every day is there whole or not
    at all (the child records its commit just after it, so the ledger may be one day ahead)."""
    found = by_instant(url)
    assert set(found[0]) | set(found[1]) <= set(world.instants), "a step at an unknown instant"
    for day in (marker, marker + 1):
        if day < len(world.days) and found == world.through(day):
            return day
    raise AssertionError(
        f"the ledger is not the sweep through day {marker} or {marker + 1}: "
        f"steps {dict(found[0])}, outbox {dict(found[1])}"
    )


def kill_sweep(world: World, dbs: Databases, rng: random.Random) -> Figures:
    figures = Figures("sweep")
    started = time.monotonic()
    working = [day for day, steps in enumerate(world.steps_by_day) if steps]
    while figures.landed < KILLS:
        victim = dbs.create("victim_s", template="materialized")
        frontier = 0  # the first day whose sweep is not in the ledger
        for _ in range(SWEEP_SEGMENT):
            ahead = [day for day in working if day >= frontier][:AHEAD]
            if not ahead or figures.landed >= KILLS:
                break
            assert figures.runs < MAX_RUNS, f"{figures.landed} kills landed in {figures.runs} runs"
            # one of the next days to sweep that take steps, weighted by its measured duration,
            # and a point in its transaction
            target = rng.choices(ahead, weights=[world.day_seconds[day] for day in ahead])[0]
            offset = rng.uniform(0.0, world.day_seconds[target])
            probe = SharedProbe(len(world.days))
            # the restart re-runs the last committed day (adding nothing) and goes on
            proc = world.start(
                victim, probe, materialize_first=False, sweep_from=max(frontier - 1, 0)
            )
            figures.runs += 1
            assert wait_until(lambda: probe.reached >= target or probe.where == "done", 60)  # noqa: B023
            time.sleep(offset)
            killed = kill(proc)
            through = committed_through(world, victim, max(probe.committed, frontier - 1))
            day = probe.open
            if killed and probe.where == "sweep" and day > through:
                figures.landed += 1
                figures.working += day in working
                if day == target:
                    figures.offsets.append(offset)
                figures.days[f"{world.days[day]:%m-%d}"] += 1
            elif killed:
                figures.elsewhere += 1
            else:
                figures.finished += 1
            frontier = through + 1
        # one more run, from the day a kill interrupted, to the end
        world.complete(victim, materialize_first=False, sweep_from=max(frontier - 1, 0))
        assert snapshot(victim) == world.expected, f"after {figures.landed} kills"
        figures.compared += 1
    figures.seconds = time.monotonic() - started
    return figures


def prepare(world: World, dbs: Databases) -> None:
    """Templates (migrated; materialised) and the reference: one uninterrupted materialise and
    sweep, whose measured durations place the kills."""
    empty = dbs.create("empty")
    upgrade(empty)
    world.empty_counts = counts(empty)
    materialized = dbs.create("materialized", template="empty")
    probe = world.complete(materialized, materialize_first=True, sweep_days=False)
    world.materialize_seconds.append(probe.seconds[0])
    world.materialized_counts = counts(materialized)
    dbs.analyze(materialized)
    assert world.materialized_counts["obligations"] > 5000
    reference = dbs.create("reference", template="materialized")
    probe = world.complete(reference, materialize_first=False)
    world.day_seconds = list(probe.seconds[1:])
    world.expected = snapshot(reference)
    steps, outbox = by_instant(reference)
    world.steps_by_day = [Counter() for _ in world.days]
    world.outbox_by_day = [Counter() for _ in world.days]
    for instant, n in steps.items():
        world.steps_by_day[world.instants[instant]][instant] = n
    for instant, n in outbox.items():
        world.outbox_by_day[world.instants[instant]][instant] = n
    # the window holds every rung of the ladder
    levels = {level for _, level, _ in world.expected.steps}
    assert levels == {"reminder", "overdue", "standing_office", "steering_committee"}, levels
    dbs.drop("reference")


def test_sigkill_in_materialize_and_in_sweep_loses_and_doubles_nothing(
    database_url: str, test_output: Path
) -> None:
    started = time.monotonic()
    plan = load(HANOI)
    days = days_between(FIRST, LAST)
    world = World(
        plan, directory(plan), days, {_utc(at(d.isoformat())): i for i, d in enumerate(days)}
    )
    dbs = Databases(database_url)
    try:
        prepare(world, dbs)
        prepared = time.monotonic() - started
        rng = random.Random(SEED)
        materialize = kill_materialize(world, dbs, rng)
        sweep = kill_sweep(world, dbs, rng)
    finally:
        dbs.close()
    kind = database_url.split(":", 1)[0].split("+", 1)[0]
    figures = (
        f"{kind}: uninterrupted materialise {statistics.median(world.materialize_seconds):.2f}s "
        f"({world.materialized_counts['obligations']} obligations), sweep "
        f"{sum(world.day_seconds):.2f}s ({len(days)} days, "
        f"{world.expected.steps.total()} steps, {world.expected.outbox.total()} emails); "
        f"set-up {prepared:.1f}s\n"
        f"  {materialize.line()}\n  {sweep.line()}\n"
        f"  after every kill the ledger held whole transactions only; total "
        f"{time.monotonic() - started:.1f}s\n"
    )
    with (test_output / "crash-safety.txt").open("a", encoding="utf-8") as fh:
        fh.write(figures)
    print(f"\n{figures}")
    assert materialize.landed >= KILLS, figures
    assert sweep.landed >= KILLS, figures
    assert len(sweep.days) >= 4, f"kills hit too few days: {figures}"
    assert materialize.compared >= 1 and sweep.compared >= 1
