"""The outbox delivered through a real SMTP server on loopback (aiosmtpd started by the tests)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.orm import DutyRow, ObligationRow, OutboxItemRow, OutboxRow, UnitRow
from phancong.domain.citation import fmt_citation
from phancong.mail.deliver import DeliveryReport, FileTransport, MockTransport, deliver
from phancong.mail.render import render_notice
from phancong.services import handlers, reads, submissions
from phancong.services import ledger as svc
from phancong.services.digest import queue_digest
from phancong.services.notices import Notice, NoticeKind
from phancong.services.outbox import enqueue
from phancong.services.review import notify_review
from phancong.services.sweep import sweep
from phancong.settings import get_settings
from tests.helpers import MINI, at
from tests.integration.ledger_fixtures import Ledger
from tests.integration.smtp_server import (
    REJECT_PERMANENT,
    REJECT_TEMPORARY,
    Received,
    SmtpServer,
    smtp_server,
)

pytestmark = pytest.mark.integration
__all__ = ["smtp_server"]  # the fixture, imported for pytest

FROM = "Thường trực Ban Chỉ đạo <thuongtruc@phancong.localhost>"
PORTAL = "http://portal.test"
NOW = at("2026-03-17")


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def queue(factory: sessionmaker[Session], recipients: Sequence[Sequence[str]],
          now: dt.datetime = NOW, key: str = "t") -> list[OutboxRow]:
    """One overdue notice (no items) per entry of ``recipients``."""
    rows = []
    with transaction(factory) as session:
        for i, addresses in enumerate(recipients):
            notice = Notice(kind=NoticeKind.OVERDUE, plan_id="mini", plan_title="Kế hoạch thử",
                            as_of=now, language="vi", recipient_code=f"unit-{i}",
                            recipient_name=f"Đơn vị số {i}", recipients=tuple(addresses))
            rows.append(enqueue(session, notice, render_notice, key=f"{key}{i}", now=now))
    return rows


def outbox(factory: sessionmaker[Session]) -> dict[int, OutboxRow]:
    with factory() as session:
        return {r.id: r for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))}


def run(factory: sessionmaker[Session], server: SmtpServer, now: dt.datetime = NOW, *,
        limit: int = 500, max_attempts: int = 8) -> DeliveryReport:
    return deliver(factory, server.transport(), now=now, mail_from=FROM, limit=limit,
                   max_attempts=max_attempts)


def decoded_subject(received: Received) -> str:
    raw = re.search(rb"^Subject: (.*?)\r?\n(?![ \t])", received.data, re.M | re.S)
    assert raw is not None
    return str(make_header(decode_header(re.sub(r"\r?\n[ \t]", " ", raw.group(1).decode()))))


def test_sweeps_then_deliver_put_exactly_the_outbox_in_the_mailbox(
        ledger: Ledger, smtp_server: SmtpServer) -> None:
    ledger.materialize(MINI)
    seen: set[int] = set()
    for day in ("2026-03-11", "2026-03-17", "2026-03-23", "2026-04-06"):
        smtp_server.mailbox.clear()
        with transaction(ledger.factory) as session:
            sweep(session, "mini", at(day), renderer=render_notice, portal_url=PORTAL)
        report = run(ledger.factory, smtp_server, at(day))
        rows = {r.message_id: r for r in outbox(ledger.factory).values() if r.id not in seen}
        seen.update(r.id for r in rows.values())
        got = smtp_server.mailbox.messages()
        assert sorted(m.message_id for m in got) == sorted(rows), day  # exactly these, once each
        assert len(report.sent) == len(rows)
        assert len({m.rcpt_tos for m in got}) == len(got), "one mail per recipient per sweep"
        for received in got:
            row = rows[received.message_id]
            assert row.status == "sent"
            assert list(received.rcpt_tos) == row.recipients
            assert received.mail_from == "thuongtruc@phancong.localhost"
            assert decoded_subject(received) == row.subject == received.message["Subject"]
            msg = received.message
            plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
            assert plain is not None
            assert html is not None
            text, page = plain.get_content(), html.get_content()
            assert "THƯỜNG TRỰC BAN CHỈ ĐẠO" in text or "HỆ THỐNG THEO DÕI" in text
            with ledger.factory() as session:
                cited = session.execute(
                    select(ObligationRow.id, DutyRow.title, DutyRow.source, UnitRow.name)
                    .join(OutboxItemRow, OutboxItemRow.obligation_id == ObligationRow.id)
                    .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
                    .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
                    .where(OutboxItemRow.outbox_id == row.id)).all()
            assert cited
            for _oid, title, source, _unit in cited:
                assert title in text
                assert title in page
                assert f"Căn cứ: {fmt_citation(source, 'vi')} " in text
                assert f"Căn cứ: {fmt_citation(source, 'vi')} " in page
            links = set(re.findall(r"/obligations/(\d+)", text))
            assert links
            assert links == set(re.findall(r"/obligations/(\d+)", page))
            if row.kind in ("standing_office", "steering_committee"):
                per_unit = Counter(unit for *_, unit in cited)
                for unit, count in per_unit.items():
                    assert f"- {unit}: {count} nhiệm vụ quá hạn" in text
        assert not run(ledger.factory, smtp_server, at(day)).claimed  # a second deliver: nothing
        assert len(smtp_server.mailbox.messages()) == len(got)
    kinds = Counter(r.kind for r in outbox(ledger.factory).values())
    assert kinds["standing_office"] == 1
    # 23/3: the Standing Office's own consolidated report goes straight to the Steering
    # Committee (nobody is escalated to themselves); 6/4: the Steering Committee's own step
    assert kinds["steering_committee"] == 2
    assert kinds["reminder"] >= 1


def test_server_down_rows_stay_queued_and_go_out_once_it_is_back(
        factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    rows = queue(factory, [["a@example.test"], ["b@example.test"], ["c@example.test"]])
    smtp_server.stop()
    report = run(factory, smtp_server)
    assert report.error
    assert not report.sent
    assert sorted(report.retrying) == [r.id for r in rows]
    for row in outbox(factory).values():
        assert (row.status, row.attempts, row.sent_at) == ("queued", 1, None)
        assert row.next_attempt_at >= NOW + dt.timedelta(minutes=1)
        assert "cannot connect" in (row.last_error or "")
    smtp_server.start()
    assert not run(factory, smtp_server).claimed  # backing off: not due yet
    report = run(factory, smtp_server, NOW + dt.timedelta(minutes=2))
    assert len(report.sent) == 3
    assert smtp_server.mailbox.message_ids() == Counter({r.message_id: 1 for r in rows})
    assert {r.status for r in outbox(factory).values()} == {"sent"}


def test_server_stopped_during_deliver_marks_sent_only_what_it_accepted(
        factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    rows = queue(factory, [[f"u{i}@example.test"] for i in range(12)])
    before = outbox(factory)
    smtp_server.mailbox.delay = 0.05
    result: list[DeliveryReport] = []
    worker = threading.Thread(target=lambda: result.append(run(factory, smtp_server)))
    worker.start()
    deadline = time.monotonic() + 10
    while smtp_server.mailbox.count() < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    smtp_server.stop()
    worker.join(15)
    assert not worker.is_alive()
    report = result[0]
    assert report.error
    accepted = set(smtp_server.mailbox.message_ids())
    after = outbox(factory)
    for row in after.values():
        if row.status == "sent":
            assert row.message_id in accepted  # nothing marked sent that was not accepted
    assert len(report.sent) >= 3
    assert len(report.retrying) == 1  # the message in flight
    assert len(report.released) == 12 - len(report.sent) - 1
    for row_id in report.released:  # the rest: untouched
        assert after[row_id].attempts == 0
        assert after[row_id].next_attempt_at == before[row_id].next_attempt_at
    smtp_server.mailbox.delay = 0
    smtp_server.start()
    run(factory, smtp_server, NOW + dt.timedelta(minutes=5))
    ids = smtp_server.mailbox.message_ids()
    assert set(ids) == {r.message_id for r in rows}  # everything arrives
    assert sum(ids.values()) - len(ids) <= 1  # at most the one in flight twice
    assert {r.status for r in outbox(factory).values()} == {"sent"}


def test_a_permanently_refused_address_fails_alone_and_shows(
        factory: sessionmaker[Session], smtp_server: SmtpServer,
        monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    rows = queue(factory, [["a@example.test"], ["nobody@example.test"], ["c@example.test"]])
    smtp_server.mailbox.refuse["nobody@example.test"] = REJECT_PERMANENT
    report = run(factory, smtp_server)
    assert (len(report.sent), report.failed, report.error) == (2, [rows[1].id], None)
    bad = outbox(factory)[rows[1].id]
    assert bad.status == "failed"
    assert bad.last_error == f"nobody@example.test: {REJECT_PERMANENT}"
    assert sorted(m.rcpt_tos[0] for m in smtp_server.mailbox.messages()) == [
        "a@example.test", "c@example.test"]
    assert not run(factory, smtp_server, NOW + dt.timedelta(days=1)).claimed  # never retried

    monkeypatch.setenv("PHANCONG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        from phancong.cli import app

        result = CliRunner().invoke(app, ["mail", "outbox", "--status", "failed"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "nobody@example.test" in result.output
    assert "550 5.1.1 Recipient address rejected" in result.output
    assert "a@example.test" not in result.output


def test_a_temporary_refusal_is_retried_with_backoff_then_given_up(
        factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    (row,) = queue(factory, [["busy@example.test"]])
    smtp_server.mailbox.refuse["busy@example.test"] = REJECT_TEMPORARY
    now = NOW
    for attempt in (1, 2):
        report = run(factory, smtp_server, now, max_attempts=3)
        assert report.retrying == [row.id]
        got = outbox(factory)[row.id]
        assert (got.status, got.attempts) == ("queued", attempt)
        assert got.next_attempt_at == pytest.approx(
            now + dt.timedelta(minutes=2 ** (attempt - 1)), abs=dt.timedelta(seconds=5))
        now = got.next_attempt_at
    report = run(factory, smtp_server, now, max_attempts=3)
    got = outbox(factory)[row.id]
    assert (report.failed, got.status, got.attempts) == ([row.id], "failed", 3)
    assert "451 4.3.0" in (got.last_error or "")
    assert "gave up after 3 attempts" in (got.last_error or "")
    assert not smtp_server.mailbox.messages()


def test_one_refused_recipient_of_several_does_not_stop_the_others(
        factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    (row,) = queue(factory, [["a@example.test", "gone@example.test", "b@example.test"]])
    smtp_server.mailbox.refuse["gone@example.test"] = REJECT_PERMANENT
    assert run(factory, smtp_server).sent == [row.id]
    (received,) = smtp_server.mailbox.messages()
    assert received.rcpt_tos == ("a@example.test", "b@example.test")
    got = outbox(factory)[row.id]
    assert got.status == "sent"
    assert "gone@example.test: 550" in (got.last_error or "")

    (later,) = queue(factory, [["c@example.test", "slow@example.test"]], key="later")
    smtp_server.mailbox.clear()
    smtp_server.mailbox.refuse["slow@example.test"] = REJECT_TEMPORARY
    run(factory, smtp_server)
    got = outbox(factory)[later.id]
    assert (got.status, got.recipients) == ("queued", ["slow@example.test"])  # only the one left
    assert "delivered to c@example.test" in (got.last_error or "")
    del smtp_server.mailbox.refuse["slow@example.test"]
    run(factory, smtp_server, NOW + dt.timedelta(minutes=2))
    assert [m.rcpt_tos for m in smtp_server.mailbox.messages()] == [
        ("c@example.test",), ("slow@example.test",)]
    assert outbox(factory)[later.id].status == "sent"


def test_two_deliveries_at_once_send_each_message_once(
        factory: sessionmaker[Session], smtp_server: SmtpServer) -> None:
    rows = queue(factory, [[f"u{i}@example.test"] for i in range(24)])
    smtp_server.mailbox.delay = 0.005
    reports: list[DeliveryReport] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        reports.append(run(factory, smtp_server, limit=12))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(len(r.sent) for r in reports) == 24
    assert smtp_server.mailbox.message_ids() == Counter({r.message_id: 1 for r in rows})


def test_file_transport_writes_the_outbox_as_eml(factory: sessionmaker[Session],
                                                 tmp_path: Path) -> None:
    rows = queue(factory, [["a@example.test"], ["b@example.test"]])
    report = deliver(factory, FileTransport(tmp_path / "mail"), now=NOW, mail_from=FROM)
    assert len(report.sent) == 2
    assert len(list((tmp_path / "mail").glob("*.eml"))) == len(rows)


def test_review_notice_goes_to_the_owner_with_the_decision(
        ledger: Ledger, smtp_server: SmtpServer) -> None:
    ledger.materialize(MINI)
    with ledger.factory() as session:
        oid = session.scalars(
            select(ObligationRow.id).join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == "d1", UnitRow.code == "sgd",
                   ObligationRow.period_label == "2026-Q1")).one()
    with transaction(ledger.factory) as session:
        submissions.submit(session, oid, actor="sgd@example.test", at=at("2026-03-12"), note="Đã làm")
    with transaction(ledger.factory) as session:
        handlers.record(session, [svc.return_(session, oid, actor="pc02@example.test", at=at("2026-03-13"),
                    reason="Thiếu số liệu chỉ tiêu")])
        notify_review(session, oid, review="returned", reason="Thiếu số liệu chỉ tiêu",
                      now=at("2026-03-13"), portal_url=PORTAL, renderer=render_notice)
    with transaction(ledger.factory) as session:
        submissions.submit(session, oid, actor="sgd@example.test", at=at("2026-03-14"), note="Bổ sung")
    with transaction(ledger.factory) as session:
        handlers.record(session, [svc.accept(session, oid, actor="pc02@example.test", at=at("2026-03-16"))])
        notify_review(session, oid, review="accepted", reason=None, now=at("2026-03-16"),
                      portal_url=PORTAL, renderer=render_notice)
    run(ledger.factory, smtp_server, at("2026-03-16"))
    returned, accepted = smtp_server.mailbox.messages()
    assert returned.rcpt_tos == accepted.rcpt_tos == ("sgd@example.test",)
    assert decoded_subject(returned) == ("[phancong · mini] Trả lại báo cáo Quý I/2026 "
                                         "(Mục IV.3, gạch đầu dòng 2): Tuyên truyền trong "
                                         "trường học")
    body = returned.message.get_body(("plain",))
    assert body is not None
    assert "Lý do: Thiếu số liệu chỉ tiêu" in body.get_content()
    assert decoded_subject(accepted).startswith("[phancong · mini] Chấp nhận báo cáo")
    body = accepted.message.get_body(("plain",))
    assert body is not None
    assert "được tính là hoàn thành đúng hạn" in " ".join(body.get_content().split())
    assert f"{PORTAL}/obligations/{oid}" in body.get_content()


def test_the_digest_is_queued_once_per_week(ledger: Ledger) -> None:
    ledger.materialize(MINI)
    with transaction(ledger.factory) as session:
        first = queue_digest(session, "mini", at("2026-03-23"), render_notice, PORTAL)
        again = queue_digest(session, "mini", at("2026-03-27"), render_notice, PORTAL)
        counts = reads.status_counts(session, "mini", at("2026-03-23"))
    assert first is not None
    assert again is None
    assert first.recipients == ["pc02@example.test"]
    overdue = counts.get("overdue", 0)
    assert overdue > 0
    assert f"Tổng hợp tuần 13/2026: {overdue} nhiệm vụ quá hạn" in first.subject
    assert "- Tổng số nghĩa vụ báo cáo:" in first.body_text
    with transaction(ledger.factory) as session:
        assert queue_digest(session, "mini", at("2026-03-30"), render_notice, PORTAL) is not None


def test_the_deliver_command_sends_the_queue(factory: sessionmaker[Session],
                                             smtp_server: SmtpServer, database_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    queue(factory, [["a@example.test"], ["b@example.test"]], now=dt.datetime.now(dt.UTC))
    monkeypatch.setenv("PHANCONG_DATABASE_URL", database_url)
    monkeypatch.setenv("PHANCONG_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("PHANCONG_SMTP_PORT", str(smtp_server.port))
    get_settings.cache_clear()
    try:
        from phancong.cli import app

        result = CliRunner().invoke(app, ["mail", "deliver", "--all"])
        listing = CliRunner().invoke(app, ["mail", "outbox"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert len(smtp_server.mailbox.messages()) == 2
    assert listing.output.count(" sent ") == 2


def test_a_malformed_address_fails_its_row_without_touching_the_server(
        factory: sessionmaker[Session]) -> None:
    rows = queue(factory, [["not an address"], ["ok@example.test"]])
    transport = MockTransport()
    report = deliver(factory, transport, now=NOW, mail_from=FROM, limit=None)
    assert (report.failed, report.sent) == ([rows[0].id], [rows[1].id])
    assert "cannot build the message" in (outbox(factory)[rows[0].id].last_error or "")
    assert [m["Message-ID"] for m in transport.sent] == [rows[1].message_id]
