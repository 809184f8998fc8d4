"""Mail delivery killed with SIGKILL at seeded random points, on SQLite and PostgreSQL.

Each run is a forked worker process (cheap start-up, a real process, a real SIGKILL) that calls
``deliver`` batch after batch against the test's SMTP server (slowed a little, so kills land
mid-batch: while claiming, connecting, sending, or between the server's "250" and the row being
marked ``sent``). Every run sees a virtual clock 20 minutes after the previous one, so the rows
a killed worker had claimed (leased for 15 minutes) are due again in the next run: the recovery
path is exercised at every kill, not only at the end.

After the loop one complete run, with ``now`` past every lease, must leave the outbox exactly as
an uninterrupted delivery would: every row ``sent`` after one counted attempt. Every Message-ID
must have arrived, none that is not in the outbox, and the duplicates (at most the message in
flight at each kill) may not exceed the number of kills. After every kill no row may be marked
``sent`` that the server did not accept.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.orm import OutboxRow
from phancong.mail.deliver import deliver
from phancong.mail.transport import SmtpConfig, SmtpTransport
from phancong.services.notices import Notice, NoticeKind
from phancong.services.outbox import enqueue_many
from tests.helpers import plain_renderer
from tests.integration.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.e2e
__all__ = ["smtp_server"]  # the fixture, imported for pytest

KILLS = int(os.environ.get("PHANCONG_DELIVER_KILLS", "55"))  # at least 50 (the issue)
MAX_RUNS = 4 * KILLS  # bounded even if runs keep finishing before the kill
INITIAL = 150  # queued before the first run
PER_RUN = 4  # queued before each run
BATCH = 15  # rows claimed per deliver() call: several claims per run
SEED = 20260707
FROM = "Thường trực Ban Chỉ đạo <thuongtruc@phancong.localhost>"
BASE = dt.datetime(2026, 3, 17, 1, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=20)  # > the delivery lease (15 min)
PHASES = ["start-up", "claiming", "sending", "done"]

CTX = multiprocessing.get_context("fork")


class _PhaseTransport(SmtpTransport):
    """SMTP that tells the parent how far it got (shared memory, no lock a kill could keep)."""

    def __init__(self, config: SmtpConfig, phase: Any) -> None:
        super().__init__(config)
        self.phase = phase

    def open(self) -> None:
        super().open()
        self.phase.value = PHASES.index("sending")


def _child(url: str, host: str, port: int, now: dt.datetime, phase: Any) -> None:
    engine = make_engine(url)  # its own engine: nothing shared with the parent's pool
    factory = session_factory(engine)
    transport = _PhaseTransport(SmtpConfig(host=host, port=port, timeout=5), phase)
    phase.value = PHASES.index("claiming")
    while True:
        report = deliver(factory, transport, now=now, limit=BATCH, mail_from=FROM)
        if report.error:
            raise RuntimeError(report.error)
        if not report.claimed:
            break
    engine.dispose()
    phase.value = PHASES.index("done")


def work(url: str, server: SmtpServer, now: dt.datetime) -> tuple[Any, Any]:
    """A forked worker process (a real process, killed with a real SIGKILL)."""
    phase = CTX.Value("i", 0, lock=False)
    proc = CTX.Process(target=_child, args=(url, server.host, server.port, now, phase),
                       daemon=True)
    proc.start()
    return proc, phase


def queue(engine: Engine, start: int, count: int, now: dt.datetime) -> None:
    notices = [
        (Notice(kind=NoticeKind.OVERDUE, plan_id="crash", plan_title="Kế hoạch thử",
                as_of=now, language="vi", recipient_code=f"u{n}", recipient_name=f"Đơn vị {n}",
                recipients=(f"u{n}@example.test",)), f"m{n}")
        for n in range(start, start + count)
    ]
    with transaction(session_factory(engine)) as session:
        enqueue_many(session, notices, plain_renderer, now=now)
    engine.dispose()  # no pooled connection for the next fork to inherit


def rows(engine: Engine) -> list[OutboxRow]:
    with session_factory(engine)() as session:
        found = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    engine.dispose()
    return found


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return False


def test_sigkill_during_delivery_loses_nothing_and_doubles_at_most_one_per_kill(
        database_url: str, smtp_server: SmtpServer, test_output: Path) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    smtp_server.mailbox.delay = 0.004  # each message takes a few ms: kills land mid-batch
    rng = random.Random(SEED)
    queued = INITIAL
    queue(engine, 0, INITIAL, BASE)
    kills, runs, finished = 0, 0, 0
    phases: dict[str, int] = {}
    # deliveries the ledger does not account for (one per message accepted but not marked sent
    # yet, one per duplicate); only a kill between the server's 250 and the commit adds one
    excess = 0
    started = time.monotonic()
    while kills < KILLS and runs < MAX_RUNS:
        now = BASE + STEP * (runs + 1)
        queue(engine, queued, PER_RUN, now)
        queued += PER_RUN
        before = smtp_server.mailbox.count()
        proc, phase = work(database_url, smtp_server, now)
        runs += 1
        if rng.random() < 0.25:  # anywhere: start-up, claiming, connecting, sending
            time.sleep(rng.uniform(0.0, 0.25))
        else:  # while sending
            wait_for(lambda: smtp_server.mailbox.count() > before, 10)  # noqa: B023
            time.sleep(rng.uniform(0.0, 0.06))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)  # a no-op on a process that has already exited
        proc.join(30)
        if proc.exitcode == -signal.SIGKILL:
            kills += 1
            name = PHASES[phase.value]
            phases[name] = phases.get(name, 0) + 1
        else:
            assert proc.exitcode == 0, f"worker failed: exit code {proc.exitcode}"
            finished += 1
        time.sleep(0.02)  # > the server's delay: a DATA it was still answering is recorded
        arrived = smtp_server.mailbox.message_ids()
        now_rows = rows(engine)
        sent_now = {r.message_id for r in now_rows if r.status == "sent"}
        assert sent_now <= set(arrived), "a row is marked sent that the server never accepted"
        assert {r.status for r in now_rows} <= {"queued", "sent"}
        grown = sum(arrived.values()) - len(sent_now) - excess
        assert 0 <= grown <= (proc.exitcode == -signal.SIGKILL), f"run {runs}: {grown}"
        excess += grown

    # one complete run, with `now` past every lease a killed worker left behind
    final = BASE + STEP * (runs + 2)
    proc, phase = work(database_url, smtp_server, final)
    proc.join(120)
    assert proc.exitcode == 0, proc.exitcode
    assert PHASES[phase.value] == "done"
    elapsed = time.monotonic() - started

    outbox = rows(engine)
    engine.dispose()
    received = smtp_server.mailbox.message_ids()
    expected = {r.message_id for r in outbox}
    deliveries = sum(received.values())
    duplicates = deliveries - len(received)
    kind = database_url.split(":", 1)[0].split("+", 1)[0]
    figures = (f"{kind}: {runs} runs, {kills} SIGKILLs (last phase reached {phases}), "
               f"{finished} runs finished before the kill, {len(outbox)} messages, "
               f"{deliveries} deliveries, {duplicates} duplicates ({excess} kills caught between "
               f"the server's 250 and the commit), {elapsed:.1f}s")
    with (test_output / "deliver-crash.txt").open("a", encoding="utf-8") as fh:
        fh.write(figures + "\n")
    print(f"\n{figures}")

    assert kills >= 50, figures
    assert len(outbox) == queued
    assert expected <= set(received), f"lost: {sorted(expected - set(received))[:5]}"
    assert set(received) <= expected, "the server got a message the outbox does not hold"
    assert duplicates <= kills, f"more duplicates ({duplicates}) than kills ({kills})"
    assert duplicates == excess  # exactly the messages a kill left accepted but unmarked
    # the same outbox as an uninterrupted delivery: sent, one attempt counted, nothing noted
    assert [(r.status, r.attempts, r.last_error, r.recipients) for r in outbox] == [
        ("sent", 1, None, [f"u{n}@example.test"]) for n in range(queued)]
    assert all(r.sent_at is not None for r in outbox)
    assert not deliver(session_factory(engine), smtp_server.transport(), now=final + STEP,
                       mail_from=FROM).claimed
    engine.dispose()
    assert sum(smtp_server.mailbox.message_ids().values()) == deliveries  # nothing more went out
