"""Outages: the ledger database unreachable for a while, the mail server down through a sweep and
delivery cycle. The portal keeps serving what it can and says clearly what it cannot, the tasks
fail loudly (and Prefect retries them with backoff), nothing is recorded as done that was not,
and everything catches up once the outage ends.

The database outage is PostgreSQL only: the test's database is closed to connections
(``ALTER DATABASE … ALLOW_CONNECTIONS false`` and its backends terminated) and opened again; the
throw-away cluster itself keeps running. (The mail server stopped in the middle of a batch, and
deliver() against a stopped server, are in test_mail_delivery.py.)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from phancong import bootstrap
from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    SubmissionRow,
    UnitRow,
)
from phancong.mail.render import render_notice
from phancong.services import accounts, credentials
from phancong.services.sweep import sweep
from phancong.settings import Settings, get_settings
from phancong.web.app import create_app
from tests.helpers import MINI, at
from tests.integration.smtp_server import SmtpServer, smtp_server
from tests.portal_support import add_user, client_for, csrf, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration
__all__ = ["smtp_server"]  # the fixture, imported for pytest

PORTAL = "http://portal.test"
SEEDED = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC)
DAY1, DAY2 = at("2026-03-11"), at("2026-03-17")  # reminders; then overdue notices and blockers
AGENCY, COORDINATOR = "sgd@example.test", "pc02@example.test"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


# --- shared with tests/e2e/test_prefect_outage.py -----------------------------------------------


def ledger_snapshot(factory: sessionmaker[Session]) -> dict[str, object]:
    """Obligations, escalation steps and outbox keyed by (duty, unit, period), not by row id."""
    with factory() as session:
        key = {
            r[0]: (r[1], r[2], r[3])
            for r in session.execute(
                select(ObligationRow.id, DutyRow.code, UnitRow.code, ObligationRow.period_label)
                .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
                .join(UnitRow, UnitRow.id == ObligationRow.unit_id))
        }
        obligations = sorted((key[oid], state) for oid, state in session.execute(
            select(ObligationRow.id, ObligationRow.state)))
        steps = Counter((key[oid], level, taken.isoformat()) for oid, level, taken in
                        session.execute(select(EscalationRow.obligation_id, EscalationRow.level,
                                               EscalationRow.taken_at)))
        items: dict[int, list[tuple[str, str, str]]] = {}
        for outbox_id, oid in session.execute(
                select(OutboxItemRow.outbox_id, OutboxItemRow.obligation_id)):
            items.setdefault(outbox_id, []).append(key[oid])
        # the Message-ID follows from the content (rendered at once or at delivery alike)
        outbox = Counter(
            (unit, kind, message_id, created.isoformat(), tuple(sorted(items.get(oid, []))))
            for oid, unit, kind, message_id, created in session.execute(
                select(OutboxRow.id, OutboxRow.recipient_unit, OutboxRow.kind,
                       OutboxRow.message_id, OutboxRow.created_at)))
    return {"obligations": obligations, "steps": steps, "outbox": outbox}


def reference_ledger(url: str, *days: dt.datetime) -> dict[str, object]:
    """The ledger of an uninterrupted run: the mini plan seeded, swept once on each day."""
    factory = seed_ledger(url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    for day in days:
        with transaction(factory) as session:
            sweep(session, "mini", day, renderer=render_notice, portal_url=PORTAL)
    snapshot = ledger_snapshot(factory)
    factory.kw["bind"].dispose()
    return snapshot


def outbox_state(factory: sessionmaker[Session]) -> list[tuple[str, str, int, bool]]:
    with factory() as session:
        return [(r.message_id, r.status, r.attempts, r.sent_at is not None)
                for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))]


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def unreachable(database_url: str) -> Iterator[None]:
    """The test's PostgreSQL database refuses every connection until the block ends."""
    url = make_url(database_url)
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Point the settings (which the Prefect tasks read) at a database and an SMTP server."""

    def wire(database_url: str, smtp: SmtpServer) -> None:
        for name, value in {"PHANCONG_DATABASE_URL": database_url,
                            "PHANCONG_DATA_DIR": str(tmp_path / "data"),
                            "PHANCONG_PORTAL_URL": PORTAL,
                            "PHANCONG_SMTP_HOST": smtp.host,
                            "PHANCONG_SMTP_PORT": str(smtp.port),
                            "PHANCONG_SMTP_SECURITY": "none"}.items():
            monkeypatch.setenv(name, value)
        for name in ("PHANCONG_MAIL_DIR", "PHANCONG_SMTP_BLOCK", "PHANCONG_SMTP_USERNAME"):
            monkeypatch.delenv(name, raising=False)
        get_settings.cache_clear()
        bootstrap.dispose_all()

    # the sweep task reports progress as a Prefect artifact; no Prefect API in these tests
    import tasks.ledger

    monkeypatch.setattr(tasks.ledger, "progress_reporter", lambda *_: lambda *_a: None)
    yield wire
    bootstrap.dispose_all()
    get_settings.cache_clear()


def portal(tmp_path: Path, factory: sessionmaker[Session], now: dt.datetime) -> Any:
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40,  # type: ignore[arg-type]
                        portal_url=PORTAL, prefect_ui_url="http://127.0.0.1:4200")
    return create_app(bootstrap.bootstrap(settings, sessions=factory, clock=lambda: now))


def seeded(database_url: str) -> tuple[sessionmaker[Session], dict[str, str]]:
    factory = seed_ledger(database_url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    add_user(factory, AGENCY, "agency", plan="mini", unit="sgd", now=SEEDED)
    add_user(factory, COORDINATOR, "coordinator", plan=None, now=SEEDED)
    with transaction(factory) as session:
        token = credentials.issue_api_token(session, AGENCY, now=SEEDED)
    return factory, {"Authorization": f"Bearer {token}"}


def sgd_obligation(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        found = session.scalar(
            select(ObligationRow.id).join(DutyRow, DutyRow.id == ObligationRow.duty_id)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(DutyRow.code == "d1", UnitRow.code == "sgd",
                   ObligationRow.period_label == "2026-Q1"))
    assert found is not None
    return found


def submissions(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(SubmissionRow)) or 0


postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


# --- the database unreachable for a while --------------------------------------------------------


@postgres_only
def test_database_unreachable_for_a_while_nothing_is_done_and_everything_catches_up(
        database_url: str, smtp_server: SmtpServer, wired: Any, tmp_path: Path) -> None:
    from tasks.ledger import sweep_ledger
    from tasks.mail import deliver_outbox

    factory, bearer = seeded(database_url)
    expected = reference_ledger(f"sqlite+pysqlite:///{tmp_path}/reference.db", DAY1, DAY2)
    wired(database_url, smtp_server)
    assert sweep_ledger.fn("mini", DAY1).total_steps > 0  # day 1 as usual; mail not sent yet
    app = portal(tmp_path, factory, DAY2)
    agency = client_for(app, raise_server_exceptions=False)
    assert login(agency, AGENCY).status_code == 303
    form = {"note": "Đã báo cáo", "csrf_token": csrf(agency)}
    oid = sgd_obligation(factory)
    assert agency.get("/obligations").status_code == 200
    assert agency.get("/api/obligations", headers=bearer).status_code == 200
    before, queued = ledger_snapshot(factory), outbox_state(factory)
    assert queued and {(s, n, sent) for _, s, n, sent in queued} == {("queued", 0, False)}

    with unreachable(database_url):
        # what does not need the ledger is served as usual
        assert agency.get("/healthz").json() == {"status": "ok"}
        assert client_for(app).get("/login").status_code == 200  # anonymous: no ledger read
        assert agency.get("/static/portal.css").status_code == 200
        ready = agency.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "error"}
        # what needs it fails, and never pretends to have worked (with a 503 and a Vietnamese message: test below)
        assert agency.get("/obligations").status_code >= 500
        assert agency.get("/api/obligations", headers=bearer).status_code >= 500
        assert agency.post(f"/obligations/{oid}/submit", data=form,
                           follow_redirects=False).status_code >= 500
        # the Prefect tasks fail with the database's own words (and Prefect retries them)
        with pytest.raises(OperationalError, match="not currently accepting connections"):
            sweep_ledger.fn("mini", DAY2)
        with pytest.raises(OperationalError, match="not currently accepting connections"):
            deliver_outbox.fn(DAY2)
        assert not smtp_server.mailbox.messages()  # nothing sent while the outbox is unreadable

    assert (sweep_ledger.retries, sweep_ledger.retry_delay_seconds,
            sweep_ledger.retry_jitter_factor) == (3, [2, 4, 8], 0.5)  # backoff 2, 4, 8 s (± 50 %)
    # delivery is retried by the outbox's own per-message backoff and the 5-minute schedule
    assert deliver_outbox.retries == 0

    # back: nothing was recorded while it was away
    assert ledger_snapshot(factory) == before
    assert outbox_state(factory) == queued
    assert submissions(factory) == 0
    # the portal serves again without a restart (its pool reconnects)
    assert agency.get("/readyz").json() == {"status": "ok", "database": "ok"}
    assert agency.get("/obligations").status_code == 200
    assert agency.get("/api/obligations", headers=bearer).status_code == 200
    # the missed sweep catches up: every due step taken once, as in an uninterrupted run
    caught_up = sweep_ledger.fn("mini", DAY2)
    assert caught_up.total_steps > 0
    assert ledger_snapshot(factory) == expected
    assert sweep_ledger.fn("mini", DAY2).total_steps == 0  # and not again
    # the queued mail goes out, each message once
    report = deliver_outbox.fn(DAY2)
    rows = outbox_state(factory)
    assert len(report["sent"]) == len(rows)
    assert {(s, n, sent) for _, s, n, sent in rows} == {("sent", 1, True)}
    assert smtp_server.mailbox.message_ids() == Counter({mid: 1 for mid, *_ in rows})
    factory.kw["bind"].dispose()


@postgres_only
def test_database_unreachable_pages_and_api_answer_503_in_vietnamese(
        database_url: str, tmp_path: Path) -> None:
    factory, bearer = seeded(database_url)
    app = portal(tmp_path, factory, DAY2)
    agency = client_for(app, raise_server_exceptions=False)
    assert login(agency, AGENCY).status_code == 303
    form = {"note": "Đã báo cáo", "csrf_token": csrf(agency)}
    oid = sgd_obligation(factory)
    try:
        with unreachable(database_url):
            page = agency.get("/obligations")
            api = agency.get("/api/obligations", headers=bearer)
            action = agency.post(f"/obligations/{oid}/submit", data=form,
                                 follow_redirects=False)
    finally:
        factory.kw["bind"].dispose()
    for response in (page, action):
        assert response.status_code == 503, response.text[:200]
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text
        assert "thử lại" in response.text  # "… vui lòng thử lại sau" (please try again later)
    assert api.status_code == 503, api.text[:200]
    assert "thử lại" in api.json()["detail"]
    assert submissions(factory) == 0


# --- the mail server down through a sweep and delivery cycle -------------------------------------


def test_smtp_down_through_sweeps_and_deliveries_mail_stays_queued_and_goes_out_once(
        database_url: str, smtp_server: SmtpServer, wired: Any) -> None:
    from tasks.ledger import sweep_ledger
    from tasks.mail import deliver_outbox

    factory = seed_ledger(database_url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    wired(database_url, smtp_server)
    smtp_server.stop()
    assert sweep_ledger.fn("mini", DAY1).emails > 0  # the sweep does not need the mail server
    with pytest.raises(RuntimeError, match=r"delivery stopped: cannot connect to 127\.0\.0\.1"):
        deliver_outbox.fn(DAY1)  # the task fails: Prefect retries it
    first = outbox_state(factory)
    assert {(s, n, sent) for _, s, n, sent in first} == {("queued", 1, False)}
    # the next day's sweep still runs and queues its mail; a later delivery fails again
    assert sweep_ledger.fn("mini", DAY2).emails > 0
    with pytest.raises(RuntimeError, match="delivery stopped"):
        deliver_outbox.fn(DAY2)
    rows = outbox_state(factory)
    assert len(rows) > len(first)
    assert {s for _, s, _, _ in rows} == {"queued"}
    assert not any(sent for *_, sent in rows)
    with factory() as session:
        errors = set(session.scalars(select(OutboxRow.last_error)))
    assert all("cannot connect" in (e or "") for e in errors)

    smtp_server.start()
    deliver_outbox.fn(DAY2 + dt.timedelta(hours=1))  # after every backoff
    after = outbox_state(factory)
    assert {s for _, s, _, _ in after} == {"sent"}
    assert smtp_server.mailbox.message_ids() == Counter({mid: 1 for mid, *_ in after})
    assert not deliver_outbox.fn(DAY2 + dt.timedelta(hours=2))["claimed"]
    assert sum(smtp_server.mailbox.message_ids().values()) == len(after)
    factory.kw["bind"].dispose()


def test_a_retried_delivery_task_does_not_succeed_while_the_mail_server_is_down(
        database_url: str, smtp_server: SmtpServer, wired: Any) -> None:
    from tasks.ledger import sweep_ledger
    from tasks.mail import deliver_outbox

    factory = seed_ledger(database_url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    wired(database_url, smtp_server)
    smtp_server.stop()
    sweep_ledger.fn("mini", DAY1)
    try:
        for _attempt in range(1 + deliver_outbox.retries):  # what Prefect does: same parameters
            with pytest.raises(RuntimeError, match="delivery stopped"):
                deliver_outbox.fn(DAY1)
    finally:
        assert {s for _, s, _, _ in outbox_state(factory)} == {"queued"}
        factory.kw["bind"].dispose()
