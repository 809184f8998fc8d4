"""The delivering process killed with SIGKILL at random points: no message lost, none doubled
except the one in flight at each kill.

A seeded loop starts ``python -m phancong.mail.deliver_worker`` against a file SQLite database
and the test's SMTP server (slowed a little so kills land mid-batch), kills it, queues more
mail, and finally delivers everything left. Every Message-ID must have arrived; the duplicates
(counted) may not exceed the number of kills.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.orm import OutboxRow
from phancong.mail.deliver import deliver
from phancong.mail.render import render_notice
from phancong.services.notices import Notice, NoticeKind
from phancong.services.outbox import enqueue
from phancong.settings import DEFAULT_MAIL_FROM
from tests.integration.smtp_server import SmtpServer, smtp_server

pytestmark = pytest.mark.integration
__all__ = ["smtp_server"]

RUNS = 24
PER_RUN = 10
SEED = 20260317
ROOT = Path(__file__).resolve().parents[2]


def queue(factory: sessionmaker[Session], run: int, count: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as session:
        for i in range(count):
            notice = Notice(kind=NoticeKind.OVERDUE, plan_id="crash", plan_title="Kế hoạch thử",
                            as_of=now, language="vi", recipient_code=f"u{run}-{i}",
                            recipient_name=f"Đơn vị {run}-{i}",
                            recipients=(f"u{run}-{i}@example.test",))
            enqueue(session, notice, render_notice, key=f"{run}:{i}", now=now)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return False


def test_sigkill_at_random_points_loses_nothing_and_doubles_at_most_the_one_in_flight(
        smtp_server: SmtpServer, tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    url = f"sqlite+pysqlite:///{tmp_path}/crash.db"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    smtp_server.mailbox.delay = 0.01  # each message takes a little while: kills land mid-batch
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANCONG_")}
    env.update(PHANCONG_DATABASE_URL=url, PHANCONG_SMTP_HOST=smtp_server.host,
               PHANCONG_SMTP_PORT=str(smtp_server.port), PHANCONG_DATA_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT))
    rng = random.Random(SEED)
    kills = 0
    started = time.monotonic()
    for run in range(RUNS):
        queue(factory, run, PER_RUN)
        before = smtp_server.mailbox.count()
        proc = subprocess.Popen([sys.executable, "-m", "phancong.mail.deliver_worker"], env=env,
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if rng.random() < 0.25:  # anywhere: start-up, claiming, connecting, sending
            time.sleep(rng.uniform(0.0, 0.8))
        else:  # while sending
            wait_for(lambda: smtp_server.mailbox.count() > before, 10)  # noqa: B023
            time.sleep(rng.uniform(0.0, 0.08))
        if proc.poll() is None:
            proc.kill()  # SIGKILL
            kills += 1
        _, err = proc.communicate(timeout=10)
        assert proc.returncode in (0, -9), err.decode()

    # everything left (including rows claimed by a killed worker) once their lease is over
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    while deliver(factory, smtp_server.transport(), now=later, mail_from=DEFAULT_MAIL_FROM).claimed:
        pass
    with factory() as session:
        rows = list(session.scalars(select(OutboxRow)))
    engine.dispose()

    received = smtp_server.mailbox.message_ids()
    expected = {r.message_id for r in rows}
    duplicates = sum(received.values()) - len(received)
    doubled = sorted(n for n in received.values() if n > 1)
    elapsed = time.monotonic() - started
    figures = {"runs": RUNS, "kills": kills, "messages": len(expected),
               "deliveries": sum(received.values()), "duplicates": duplicates,
               "seconds": round(elapsed, 1)}
    record_property("sigkill", figures)
    print(f"\nSIGKILL loop: {figures}")

    assert len(rows) == RUNS * PER_RUN
    assert expected <= set(received), "a message was lost"
    assert set(received) <= expected
    assert {r.status for r in rows} == {"sent"}
    assert kills >= 20
    assert duplicates <= kills, f"more duplicates ({duplicates}) than kills ({kills})"
    assert all(n == 2 for n in doubled), "a message arrived three times"
