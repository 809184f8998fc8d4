"""Failed messages queued again (``phancong mail retry``), and the outbox listing's entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.orm import OutboxRow
from phancong.mail.render import render_notice
from phancong.services import outbox
from phancong.services.notices import Notice, NoticeKind
from phancong.settings import get_settings
from tests.helpers import at

pytestmark = pytest.mark.integration

NOW = at("2026-03-17")


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def queue_three_failed_one_sent(factory: sessionmaker[Session]) -> list[int]:
    with transaction(factory) as session:
        ids = [
            outbox.enqueue(session, Notice(
                kind=NoticeKind.OVERDUE, plan_id="mini", plan_title="Kế hoạch thử", as_of=NOW,
                language="vi", recipient_code=f"unit-{i}", recipient_name=f"Đơn vị {i}",
                recipients=(f"u{i}@example.test",)), render_notice, key=f"k{i}", now=NOW).id
            for i in range(4)
        ]
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids[:3]))
                        .values(status="failed", attempts=8, last_error="550 no such user"))
        session.execute(update(OutboxRow).where(OutboxRow.id == ids[3])
                        .values(status="sent", attempts=1, sent_at=NOW))
    return ids


def states(factory: sessionmaker[Session]) -> dict[int, tuple[str, int]]:
    with factory() as session:
        return {r.id: (r.status, r.attempts) for r in session.scalars(select(OutboxRow))}


def test_requeue_failed_by_id_then_all_never_a_sent_one(factory: sessionmaker[Session]) -> None:
    ids = queue_three_failed_one_sent(factory)
    later = NOW + dt.timedelta(hours=2)
    with transaction(factory) as session:
        assert outbox.requeue_failed(session, [ids[0], ids[3]], now=later) == 1
    assert states(factory) == {ids[0]: ("queued", 0), ids[1]: ("failed", 8),
                               ids[2]: ("failed", 8), ids[3]: ("sent", 1)}
    with factory() as session:
        again = session.get(OutboxRow, ids[0])
        assert again is not None
        assert again.next_attempt_at.replace(tzinfo=again.next_attempt_at.tzinfo or dt.UTC) \
            == later
    with transaction(factory) as session:
        assert outbox.requeue_failed(session, None, now=later) == 2
    assert {s for s, _ in states(factory).values()} == {"queued", "sent"}


def test_latest_lists_newest_first_within_a_state(factory: sessionmaker[Session]) -> None:
    ids = queue_three_failed_one_sent(factory)
    with factory() as session:
        assert [e.id for e in outbox.latest(session, limit=2)] == [ids[3], ids[2]]
        failed = outbox.latest(session, status="failed")
    assert [e.id for e in failed] == [ids[2], ids[1], ids[0]]
    assert failed[0].recipients == ["u2@example.test"]
    assert failed[0].last_error == "550 no such user" and failed[0].obligations == 0
    assert failed[0].subject  # a rendered notice, not a sweep email waiting to be written


def test_the_retry_command(factory: sessionmaker[Session], database_url: str,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    from phancong.cli import app

    ids = queue_three_failed_one_sent(factory)
    monkeypatch.setenv("PHANCONG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(app, ["mail", "retry"])
        one = CliRunner().invoke(app, ["mail", "retry", str(ids[1])])
        rest = CliRunner().invoke(app, ["mail", "retry", "--failed"])
    finally:
        get_settings.cache_clear()
    assert refused.exit_code == 2
    assert (one.exit_code, one.output) == (0, "Đã xếp lại 1 thư vào hàng chờ gửi / 1 message(s) queued again\n")
    assert (rest.exit_code, rest.output) == (0, "Đã xếp lại 2 thư vào hàng chờ gửi / 2 message(s) queued again\n")
    assert [s for s, _ in states(factory).values()].count("queued") == 3
