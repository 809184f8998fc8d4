"""Coordinators see the service's warnings on the matrix and review pages: no sweep for more
than 26 h, mail queued for more than an hour. Viewers and agencies do not; the checks are read
at most once a minute per plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import OutboxRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts, health
from phancong.services.sweep import sweep
from phancong.settings import Settings
from phancong.web import pages
from phancong.web.app import create_app
from tests.helpers import at, plain_renderer
from tests.portal_support import add_user, client_for, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.integration

COORD, VIEWER, AGENCY = "pc02@example.test", "bcd@example.test", "sgd@example.test"
BANNER = 'data-testid="health-warning"'


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    now = dt.datetime.now(dt.UTC)
    factory = seed_ledger(f"sqlite+pysqlite:///{tmp_path}/ledger.db",
                          through=dt.date(2026, 12, 31), now=now - dt.timedelta(days=40))
    for email, role, unit in ((COORD, "coordinator", None), (VIEWER, "viewer", None),
                              (AGENCY, "agency", "sgd")):
        add_user(factory, email, role, plan="mini", unit=unit, now=now)
    yield factory
    factory.kw["bind"].dispose()


def app_for(tmp_path: Path, factory: sessionmaker[Session]) -> Any:
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40,  # type: ignore[arg-type]
                        portal_url="http://portal.test")
    return create_app(bootstrap(settings, sessions=factory, clock=lambda: at("2026-03-24")))


def page(app: Any, email: str, path: str) -> str:
    client = client_for(app)
    assert login(client, email).status_code == 303
    response = client.get(path)
    assert response.status_code == 200, response.text
    return str(response.text)


def swept(factory: sessionmaker[Session], hours_ago: float, mail_minutes_ago: float) -> None:
    """A sweep that ran ``hours_ago`` and queued its emails ``mail_minutes_ago``."""
    now = dt.datetime.now(dt.UTC)
    with transaction(factory) as session:
        report = sweep(session, "mini", at("2026-03-24"), renderer=plain_renderer)
        health.record_sweep(session, "mini", as_of=at("2026-03-24"),
                            ran_at=now - dt.timedelta(hours=hours_ago), sweep_key=report.sweep_key,
                            steps=report.steps, emails=report.emails)
        session.execute(update(OutboxRow).values(
            created_at=now - dt.timedelta(minutes=mail_minutes_ago)))


def test_a_healthy_ledger_shows_no_warning(tmp_path: Path,
                                           factory: sessionmaker[Session]) -> None:
    swept(factory, hours_ago=2, mail_minutes_ago=10)
    app = app_for(tmp_path, factory)
    assert BANNER not in page(app, COORD, "/matrix")
    assert BANNER not in page(app, COORD, "/review")


def test_coordinators_see_a_stale_sweep_and_stale_mail(tmp_path: Path,
                                                       factory: sessionmaker[Session]) -> None:
    swept(factory, hours_ago=30, mail_minutes_ago=90)
    app = app_for(tmp_path, factory)
    for path in ("/matrix", "/review"):
        text = page(app, COORD, path)
        assert BANNER in text
        assert "Hệ thống nhắc việc tự động cần được kiểm tra" in text
        assert "lần rà soát thành công gần nhất cách đây 30 giờ (quá 26 giờ)" in text
        assert "thư cũ nhất đã chờ 90 phút (quá 60 phút)" in text
    english = page(app, COORD, "/matrix?lang=en")
    assert "the last successful sweep was 30 h ago" in english
    assert BANNER not in page(app, VIEWER, "/matrix")  # coordinators only
    assert BANNER not in page(app, AGENCY, "/obligations")


def test_a_ledger_never_swept_warns_too(tmp_path: Path,
                                        factory: sessionmaker[Session]) -> None:
    text = page(app_for(tmp_path, factory), COORD, "/matrix")
    assert "chưa có lần rà soát nào thành công" in text


def test_the_checks_are_read_at_most_once_a_minute(tmp_path: Path,
                                                    factory: sessionmaker[Session],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    swept(factory, hours_ago=30, mail_minutes_ago=10)
    calls: list[str] = []
    real = health.plan_health

    def counted(session: Session, plan_id: str) -> health.PlanLedgerHealth:
        calls.append(plan_id)
        return real(session, plan_id)

    monkeypatch.setattr(health, "plan_health", counted)
    app = app_for(tmp_path, factory)
    for path in ("/matrix", "/review", "/matrix"):
        assert BANNER in page(app, COORD, path)
    assert calls == ["mini"]
    assert pages.HEALTH_SECONDS == 60.0
