"""Security basics the other tests leave out: logs, cookies, CSRF, throttling, hashes, links, audit.

Already covered elsewhere, not repeated here: tests/integration/test_portal_auth.py (HttpOnly and
SameSite on http, Secure and ``__Host-`` on https, CSRF missing or wrong on submit and login, a
token of another session, 5 failures → 429 even with the right password, a link used once,
expired or tampered), tests/unit/test_web_security.py (the limiter's window, CSRF masking),
tests/integration/test_accounts.py (``$argon2id$`` hashes, SHA-256 token digests, nonce expiry)
and tests/integration/test_ledger.py::test_audit_log_is_append_only (ORM UPDATE and DELETE on
the audit log refused by the triggers on SQLite and PostgreSQL). Here:

* secrets never logged: every logger at DEBUG (SQLAlchemy with its parameters) and stdout/stderr
  captured while accounts get passwords and tokens, users log in and out, the API and the feed
  are used, a login link is followed, the CLI issues a token and SMTP delivery logs in (and
  fails to); the reprs of settings, SMTP config and transport; a failed readiness check;
* the session cookie in production and on https: ``__Host-``, Secure, HttpOnly, SameSite=Lax,
  Path=/, no Domain, at most 8 h, on every response that sets it; nothing secret inside;
* CSRF on every non-API POST route of the app (enumerated): refused without, with a wrong,
  a stolen, a query-string or a JSON token, and nothing changes; accepted with the right one;
* the login throttle per IP across emails, for variants of one email, behind a spoofed
  ``X-Forwarded-For``, without checking the password while blocked, and until the window ends;
* only hashes at rest (SQLite and PostgreSQL): no password, token, nonce, link or key in any
  column of any table; argon2id with at least OWASP's cost; SHA-256 digests;
* signed links: expiry to the second on the portal's clock, single use under two concurrent
  posts (SQLite and PostgreSQL), not used up by a refused post, no other signed value accepted;
* the audit log: no code path updates or deletes it, every route leaves old rows unchanged,
  and the database refuses raw UPDATE/DELETE, ORM changes, upserts and TRUNCATE.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import argon2
import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from phancong.adapters.db import transaction
from phancong.adapters.orm import (
    AuditRow,
    Base,
    DutyRow,
    LoginLinkRow,
    ObligationRow,
    OutboxRow,
    SubmissionRow,
    UnitRow,
    UserRow,
)
from phancong.bootstrap import bootstrap
from phancong.cli import app as cli
from phancong.mail.deliver import deliver
from phancong.mail.render import render_notice
from phancong.mail.transport import SmtpConfig, SmtpTransport, transport_from_settings
from phancong.services import accounts, credentials, submissions, throttle
from phancong.services.links import login_link, serializer
from phancong.services.notices import Notice, NoticeKind
from phancong.services.outbox import enqueue
from phancong.settings import Settings, get_settings
from phancong.web.app import create_app, route_table
from tests.integration.event_plans import mini_with_events
from tests.portal_support import (
    PASSWORD,
    add_user,
    client_for,
    csrf,
    csrf_from,
    fast_hasher,
    login,
    seed_ledger,
)

pytestmark = pytest.mark.integration

REAL_HASHER = accounts.hasher  # the production hasher, before the fixture swaps in a fast one
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
COORD, SGD, VIEWER = "pc02@example.test", "sgd@example.test", "bcd@example.test"
SECRET_KEY = "khoá-bí-mật-của-cổng-" + "Zq7" * 12
SMTP_USER, SMTP_PASSWORD = "phancong-mailer", "smtp-Pa55-w0rd-7Kq2"
DB_PASSWORD = "db-Pa55-9Tx4"
CSRF_REFUSED = "biểu mẫu không hợp lệ"
PORTAL = "http://portal.test"
FIELDS: dict[str, dict[str, str]] = {  # valid fields of each form (by the last path segment)
    "submit": {"note": "Đã hoàn thành", "on_behalf_reason": "Đơn vị gửi bản giấy"},
    "return": {"reason": "Thiếu số liệu"},
    "extend": {"new_deadline": "30/04/2026", "reason": "Sáp nhập đơn vị"},
    "waive": {"reason": "Không còn phù hợp"},
    "login": {"email": COORD, "password": PASSWORD},
    "password": {"current_password": PASSWORD, "new_password": "Mật khẩu mới rất dài 2026!",
                 "new_password_again": "Mật khẩu mới rất dài 2026!"},
    "contacts": {"emails": "van-thu@sgd.example.test"},
    "forgot": {"email": COORD},
    "open": {"plan": "mini", "duty": "su-viec", "what": "Vụ việc"},  # /events/open
    "request": {"plan": "mini", "duty": "su-viec", "reason": "Cần số liệu"},  # /events/request
}


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def ob_id(session: Session, duty: str, unit: str, period: str) -> int:
    value = session.scalar(
        select(ObligationRow.id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(DutyRow.code == duty, UnitRow.code == unit, ObligationRow.period_label == period)
    )
    assert value is not None
    return value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Portal:
    factory: sessionmaker[Session]
    settings: Settings
    clock: Clock
    app: Any
    ids: dict[str, int]

    def client(self, email: str | None = None, **kwargs: Any) -> Any:
        client = client_for(self.app, **kwargs)
        if email is not None:
            assert login(client, email).status_code == 303
        return client

    def snapshot(self) -> tuple[Any, ...]:
        with self.factory() as session:
            counts = tuple(
                session.scalar(select(func.count()).select_from(t))
                for t in (SubmissionRow, AuditRow, OutboxRow)
            )
            used = session.scalar(
                select(func.count()).select_from(LoginLinkRow).where(LoginLinkRow.used_at.is_not(None))
            )
            obligations = session.execute(
                select(ObligationRow.id, ObligationRow.state, ObligationRow.effective_deadline)
                .order_by(ObligationRow.id)
            ).all()
            users = session.execute(
                select(UserRow.email, UserRow.feed_token_hash, UserRow.api_token_hash)
                .order_by(UserRow.id)
            ).all()
        return (*counts, used, tuple(map(tuple, obligations)), tuple(map(tuple, users)))


def make_portal(url: str, tmp: Path, **settings: Any) -> Portal:
    factory = seed_ledger(url, mini_with_events(tmp), through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, COORD, "coordinator", plan=None, now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, VIEWER, "viewer", plan="mini", now=NOW)
    with factory() as session:
        ids = {
            "open": ob_id(session, "d1", "sgd", "2026-Q1"),
            "open2": ob_id(session, "d1", "ca", "2026-Q1"),
            "open3": ob_id(session, "d1", "vks", "2026-Q1"),
            "submitted": ob_id(session, "report", "sgd", "2026-Q1"),
            "submitted2": ob_id(session, "report", "ca", "2026-Q1"),
            "submitted3": ob_id(session, "report", "sgd", "2026-H1"),
        }
    with transaction(factory) as session:
        for key in ("submitted", "submitted2", "submitted3"):
            submissions.submit(session, ids[key], actor=SGD, at=NOW, note="đã xong")
    values: dict[str, Any] = {
        "data_dir": tmp / "data",
        "database_url": url,
        "secret_key": SECRET_KEY,
        "portal_url": PORTAL,
        **settings,
    }
    config = Settings(**values)
    clock = Clock(NOW)
    return Portal(factory, config, clock, create_app(bootstrap(config, sessions=factory, clock=clock)), ids)


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    made = make_portal(f"sqlite+pysqlite:///{tmp_path}/ledger.db", tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


@pytest.fixture
def portal_db(database_url: str, tmp_path: Path) -> Iterator[Portal]:
    made = make_portal(database_url, tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


# ----------------------------------------------------------------------------- secrets in logs


class Mailbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content or envelope.content))
        return "250 2.0.0 Ok: queued"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == SMTP_USER.encode()
        and data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # refused: the server answers 535


@pytest.fixture
def smtp_with_login() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = _controller(mailbox)
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


def _controller(mailbox: Mailbox) -> Controller:
    return Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        ready_timeout=10,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],  # PLAIN only: a refused login is one 535
    )


def _queue_mail(factory: sessionmaker[Session], key: str) -> None:
    with transaction(factory) as session:
        notice = Notice(
            kind=NoticeKind.OVERDUE,
            plan_id="mini",
            plan_title="Kế hoạch thử",
            as_of=NOW,
            language="vi",
            recipient_code="sgd",
            recipient_name="Sở GD&ĐT",
            recipients=(SGD,),
        )
        enqueue(session, notice, render_notice, key=key, now=NOW)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_secrets_never_logged(
    portal: Portal,
    smtp_with_login: tuple[Controller, Mailbox],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    sql = logging.getLogger("sqlalchemy.engine")
    sql_level = sql.level
    sql.setLevel(logging.INFO)  # every statement with its parameters: the most a log could hold
    secrets: dict[str, str] = {"secret key": SECRET_KEY, "SMTP password": SMTP_PASSWORD}
    try:
        first, second = "mật-khẩu-đầu-tiên-8Qz", "mật-khẩu-thứ-hai-3Wd"
        with transaction(portal.factory) as session:
            accounts.add_user(
                session, email="lanh.dao@example.test", name="Lãnh đạo", role="viewer",
                plan_id="mini", password=first, now=NOW,
            )
            accounts.set_password(session, "lanh.dao@example.test", second, now=NOW)
            api = credentials.issue_api_token(session, SGD, now=NOW)
            feed = credentials.issue_feed_token(session, SGD, now=NOW)
        secrets |= {"first password": first, "second password": second, "API": api, "feed": feed}
        link = urlsplit(login_link(portal.settings, portal.factory, SGD, "/account", 600, now=NOW))
        token = link.path.rsplit("/", 1)[1]
        nonce = serializer(SECRET_KEY).loads(token)["n"]
        secrets |= {"link": token, "link nonce": nonce}

        client = portal.client()
        assert login(client, "lanh.dao@example.test", first).status_code == 400
        assert login(client, "lanh.dao@example.test", second).status_code == 303
        assert client.get("/account").status_code == 200
        client.post("/logout", data={"csrf_token": csrf(client)})
        assert client.get("/api/me", headers={"Authorization": f"Bearer {api}"}).status_code == 200
        refused = client.get("/api/me", headers={"Authorization": f"Bearer {api}x"})
        assert refused.status_code == 401
        assert client.get(f"/feeds/{feed}.ics").status_code == 200
        page = client.get(link.path)
        assert page.status_code == 200
        done = client.post(link.path, data={"csrf_token": csrf_from(page.text)})
        assert done.status_code == 200  # landed on /account

        monkeypatch.setenv("PHANCONG_DATABASE_URL", portal.settings.database_url or "")
        monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "cli"))
        monkeypatch.setenv("PHANCONG_SECRET_KEY", SECRET_KEY)
        monkeypatch.setenv("PHANCONG_PORTAL_URL", PORTAL)
        monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
        get_settings.cache_clear()
        third = "mật-khẩu-dòng-lệnh-5Rv"
        runner = CliRunner()
        added = runner.invoke(
            cli, ["users", "add", "cli@example.test", "--name", "CLI", "--role", "viewer",
                  "--plan", "mini", "--password-stdin"], input=third + "\n",
        )
        assert added.exit_code == 0, added.output
        issued = runner.invoke(cli, ["users", "token", "cli@example.test"])
        assert issued.exit_code == 0, issued.output
        cli_token = issued.output.strip()
        assert cli_token.startswith("pca_")  # shown once, on stdout, to whoever ran the command
        invited = runner.invoke(cli, ["users", "invite", "cli@example.test"])
        assert invited.exit_code == 0, invited.output
        secrets |= {"CLI password": third, "CLI token": cli_token,
                    "CLI link": urlsplit(invited.output.strip()).path.rsplit("/", 1)[1]}
        get_settings.cache_clear()

        controller, mailbox = smtp_with_login
        smtp = Settings(
            data_dir=tmp_path / "smtp", smtp_host=controller.hostname, smtp_port=controller.port,
            smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD,  # type: ignore[arg-type]
            smtp_timeout=5,
        )
        _queue_mail(portal.factory, "good")
        report = deliver(portal.factory, transport_from_settings(smtp), now=NOW,
                         mail_from="Thường trực <tt@example.test>")
        assert len(report.sent) == 1 and len(mailbox.received) == 1
        wrong = "smtp-wrong-Pa55-1Xy"
        secrets["wrong SMTP password"] = wrong
        bad = smtp.model_copy(update={"smtp_password": SecretStr(wrong)})
        _queue_mail(portal.factory, "bad")
        failed = deliver(portal.factory, transport_from_settings(bad), now=NOW,
                         mail_from="Thường trực <tt@example.test>")
        assert failed.error and failed.error.startswith("535"), failed.error
        with portal.factory() as session:
            errors = " ".join(e or "" for e in session.scalars(select(OutboxRow.last_error)))
    finally:
        sql.setLevel(sql_level)

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # the test's own SMTP server (mail.log) and HTTP client (httpx: it logs each URL) are not
    # the product's logs; the server's access log is test_portal_serve_does_not_log_tokens…
    ours = ("mail.log", "httpx", "httpcore")
    logged = [formatter.format(r) for r in caplog.records if not r.name.startswith(ours)]
    out, err = capfd.readouterr()
    everything = "\n".join([*logged, out, err, errors])
    assert any("INSERT INTO users" in line for line in logged), "SQL logging was not captured"
    assert any("cannot open" in line for line in logged), "the delivery warning was not captured"
    leaked = [name for name, value in secrets.items() if value in everything]
    assert not leaked, f"secrets in logs: {leaked}"


def test_reprs_hide_secrets(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, secret_key=SECRET_KEY, smtp_username=SMTP_USER,  # type: ignore[arg-type]
        smtp_password=SMTP_PASSWORD,  # type: ignore[arg-type]
    )
    config = SmtpConfig.from_settings(settings)
    for shown in (repr(settings), str(settings), repr(config), str(config),
                  repr(SmtpTransport(config)), repr(transport_from_settings(settings))):
        assert SECRET_KEY not in shown and SMTP_PASSWORD not in shown, shown
    assert config.password is not None and config.password.get_secret_value() == SMTP_PASSWORD


def test_settings_repr_hides_the_database_password(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"postgresql+psycopg://phancong:{DB_PASSWORD}@db.example/phancong",
    )
    assert DB_PASSWORD not in repr(settings)
    assert DB_PASSWORD not in str(settings)


def test_failed_readiness_check_does_not_log_the_database_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"postgresql+psycopg://phancong:{DB_PASSWORD}@127.0.0.1:{free_port()}/phancong"
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key=SECRET_KEY)  # type: ignore[arg-type]
    app = create_app(bootstrap(settings))
    response = client_for(app).get("/readyz")
    assert response.status_code == 503
    assert DB_PASSWORD not in response.text
    assert any("readiness check failed" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if DB_PASSWORD in logging.Formatter().format(r)]
    app.state.portal.factory.kw["bind"].dispose()


def test_portal_serve_does_not_log_tokens_in_urls(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with transaction(portal.factory) as session:
        feed = credentials.issue_feed_token(session, SGD, now=NOW)
    link = urlsplit(login_link(portal.settings, portal.factory, SGD, "/", 600)).path
    monkeypatch.setenv("PHANCONG_DATABASE_URL", portal.settings.database_url or "")
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "serve"))
    monkeypatch.setenv("PHANCONG_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    get_settings.cache_clear()
    asked: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: asked.update(app=app, **kwargs))
    port = free_port()
    assert CliRunner().invoke(cli, ["portal", "serve", "--port", str(port)]).exit_code == 0
    asked.pop("workers", None)
    config = uvicorn.Config(asked.pop("app"), **asked)  # exactly what the command would run
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", ""):
        logging.getLogger(name).addHandler(handler)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert http.get(f"/feeds/{feed}.ics").status_code == 200
            assert http.get(link).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
        for name in ("uvicorn", "uvicorn.access", "uvicorn.error", ""):
            logging.getLogger(name).removeHandler(handler)
        get_settings.cache_clear()
    lines = [r.getMessage() for r in records]  # none at all is fine (access log off)
    token = link.rsplit("/", 1)[1]
    assert not [line for line in lines if feed in line or token in line]


# ----------------------------------------------------------------------------- cookies


def _cookie(header: str) -> tuple[str, dict[str, str]]:
    first, *attributes = [part.strip() for part in header.split(";")]
    name = first.split("=", 1)[0]
    attrs = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        attrs[key.lower()] = value
    return name, attrs


@pytest.mark.parametrize(
    ("environment", "portal_url", "base"),
    [
        ("production", "http://portal.internal", "https://portal.test"),  # TLS at the proxy
        ("development", "https://portal.example.gov.vn", "https://portal.example.gov.vn"),
    ],
)
def test_session_cookie_flags_when_secure(
    portal: Portal, tmp_path: Path, environment: str, portal_url: str, base: str
) -> None:
    settings = Settings(
        environment=environment,  # type: ignore[arg-type]
        data_dir=tmp_path / "prod",
        database_url=portal.settings.database_url,
        secret_key=SECRET_KEY,  # type: ignore[arg-type]
        portal_url=portal_url,
    )
    client = client_for(create_app(bootstrap(settings, sessions=portal.factory, clock=portal.clock)), base_url=base)
    headers: list[str] = []
    steps = [
        lambda: client.get("/login"),
        lambda: login(client, COORD),
        lambda: client.get("/account?lang=en"),
        lambda: client.post("/account/feed", data={"csrf_token": csrf(client)}),
        lambda: client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False),
    ]
    for step in steps:
        headers += step().headers.get_list("set-cookie")
    assert len(headers) >= 3
    names = set()
    for header in headers:
        name, attrs = _cookie(header)
        names.add(name)
        assert name in ("__Host-phancong", "__Host-phancong-device"), header
        assert "secure" in attrs and "httponly" in attrs, header
        assert attrs.get("samesite", "").lower() == "lax", header
        assert attrs.get("path") == "/" and "domain" not in attrs, header  # __Host- rules
        # the session lasts 8 h; the device cookie (which browser logged in before, for the
        # login back-off) 180 days, and holds no credential
        longest = 8 * 3600 if name == "__Host-phancong" else 180 * 24 * 3600
        assert 0 < int(attrs.get("max-age", "0")) <= longest, header
    assert names == {"__Host-phancong", "__Host-phancong-device"}


def test_session_cookie_holds_no_secret_and_is_tamper_proof(portal: Portal) -> None:
    anonymous = portal.client()
    anonymous.get("/login")
    planted = anonymous.cookies.get("phancong_session")
    client = portal.client(COORD)
    value = client.cookies.get("phancong_session")
    assert value and value != planted  # a new session at login (no fixation)
    payload = json.loads(base64.b64decode(value.split(".")[0] + "==="))
    assert set(payload) <= {"u", "v", "t", "c", "l"}
    with portal.factory() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == COORD)).one()
    assert user.password_hash and user.password_hash not in json.dumps(payload)
    assert PASSWORD not in json.dumps(payload)
    forged = dict(payload, u=user.id + 1)
    forged_value = base64.b64encode(json.dumps(forged).encode()).decode() + value[value.index("."):]
    for cookie in (forged_value, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"), planted):
        other = portal.client()
        other.cookies.set("phancong_session", cookie or "")
        assert other.get("/account", follow_redirects=False).status_code == 303


# ----------------------------------------------------------------------------- CSRF


def _form_posts(app: Any) -> list[str]:
    return sorted(
        path for method, path in route_table(app) if method == "POST" and not path.startswith("/api")
    )


def test_csrf_enforced_on_every_form_post(portal: Portal) -> None:
    posts = _form_posts(portal.app)
    assert {"/login", "/logout", "/account/feed", "/obligations/{obligation_id}/submit"} <= set(posts)
    targets = {
        "submit": portal.ids["open"],
        "accept": portal.ids["submitted"],
        "return": portal.ids["submitted2"],
        "extend": portal.ids["open2"],
        "waive": portal.ids["open3"],
        "withdraw": portal.ids["submitted3"],
    }

    def url(path: str) -> str:
        action = path.rsplit("/", 1)[1]
        filled = path.replace("{obligation_id}", str(targets.get(action, portal.ids["open"])))
        if "{token}" in filled:
            link = login_link(portal.settings, portal.factory, SGD, "/account", 3600, now=NOW)
            filled = filled.replace("{token}", urlsplit(link).path.rsplit("/", 1)[1])
        filled = filled.replace("{code}", "sgd")  # a unit of the plan (its contacts page)
        assert "{" not in filled, f"no value for a parameter of {path}: add one to this test"
        return filled

    urls = {path: url(path) for path in posts}
    victim, mallory = portal.client(COORD), portal.client(SGD)
    stolen = csrf(mallory)
    before = portal.snapshot()
    for path, target in urls.items():
        fields = FIELDS.get(path.rsplit("/", 1)[1], {})
        mine = csrf(victim)
        attempts = {
            "no token": victim.post(target, data=fields),
            "empty token": victim.post(target, data={**fields, "csrf_token": ""}),
            "wrong token": victim.post(target, data={**fields, "csrf_token": "QUFBQUFB"}),
            "another session's": victim.post(target, data={**fields, "csrf_token": stolen}),
            "in the query": victim.post(f"{target}?csrf_token={mine}", data=fields),
            "as JSON": victim.post(target, json={**fields, "csrf_token": mine}),
            "as a header": victim.post(target, data=fields, headers={"X-CSRF-Token": mine}),
        }
        for what, response in attempts.items():
            assert response.status_code == 403, (path, what, response.status_code)
            assert CSRF_REFUSED in response.text, (path, what)
    assert portal.snapshot() == before, "a refused post changed something"
    assert victim.get("/account", follow_redirects=False).status_code == 200  # still logged in
    accepted = {}
    # each with its own session and a fresh target, the right token works (the password change
    # last: the logins before it use the current password)
    for path in sorted(posts, key=lambda p: p == "/account/password"):
        # a unit withdraws its own report and opens its own events; the rest is the coordinator's
        who = SGD if path.endswith(("/withdraw", "/events/open")) else COORD
        client = portal.client(None if path.startswith("/login") else who)
        fields = FIELDS.get(path.rsplit("/", 1)[1], {})
        page = "/login" if path.startswith("/login") else "/account"
        response = client.post(
            url(path), data={**fields, "csrf_token": csrf(client, page)}, follow_redirects=False
        )
        accepted[path] = response.status_code
    refused = {p: c for p, c in accepted.items() if c not in (200, 303)}
    assert not refused, refused


# ----------------------------------------------------------------------------- login throttle


def _post_login(client: Any, email: str, password: str, **headers: str) -> Any:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


def test_login_throttle(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    seconds = [1000.0]
    portal.app.state.portal.throttle.clock = lambda: seconds[0]
    client = portal.client()
    for variant in ("SGD@Example.Test", " sgd@example.test ", "sgd@EXAMPLE.TEST", SGD, SGD.upper()):
        assert _post_login(client, variant, "không-phải-mật-khẩu").status_code == 400
    checked: list[str] = []
    real = accounts.authenticate

    def counting(session: Session, email: str, password: str) -> Any:
        checked.append(email)
        return real(session, email, password)

    monkeypatch.setattr(accounts, "authenticate", counting)
    for headers in ({}, {"X-Forwarded-For": "203.0.113.9"}, {"X-Real-IP": "203.0.113.9"},
                    {"Forwarded": "for=203.0.113.9"}):
        blocked = _post_login(portal.client(), SGD, PASSWORD, **headers)
        assert blocked.status_code == 429, headers
        assert "quá nhiều lần" in blocked.text
        assert blocked.headers["retry-after"] == "30"
    assert checked == [], "the password was checked while the account was throttled"
    assert _post_login(client, VIEWER, PASSWORD).status_code == 303  # another email: fine
    seconds[0] += 30  # the first wait has passed
    assert _post_login(portal.client(), SGD, PASSWORD).status_code == 303

    per_ip = portal.client()
    # spraying one password over many accounts from one address (the test client's, where 5
    # failures were counted above): the address's free failures run out
    for i in range(throttle.ADDRESS.free - 5):
        assert _post_login(per_ip, f"khong-co-{i}@example.test", "mật-khẩu-đoán").status_code == 400
    assert _post_login(portal.client(), COORD, PASSWORD).status_code == 429  # same address
    assert _post_login(per_ip, "moi@example.test", "x").status_code == 429
    seconds[0] += 2  # the address's first wait (2 s) has passed
    assert _post_login(portal.client(), COORD, PASSWORD).status_code == 303


# ----------------------------------------------------------------------------- hashes at rest


def test_real_password_hasher_is_argon2id_at_owasp_cost() -> None:
    hashed = REAL_HASHER().hash("một mật khẩu thử 2026")
    params = argon2.extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


HEX64 = re.compile(r"^[0-9a-f]{64}$")


def test_only_hashes_at_rest(portal_db: Portal) -> None:
    portal = portal_db
    secrets = {"key": SECRET_KEY, "fixture password": PASSWORD}
    with transaction(portal.factory) as session:
        for email in (COORD, SGD, VIEWER):
            secrets[f"api {email}"] = credentials.issue_api_token(session, email, now=NOW)
            secrets[f"feed {email}"] = credentials.issue_feed_token(session, email, now=NOW)
        user = accounts.get_user(session, SGD)
        grant = credentials.create_login_nonce(session, user, ttl=dt.timedelta(hours=1), now=NOW)
        secrets["nonce"] = grant.nonce
        new = "mật-khẩu-mới-của-sở-6Yh"
        accounts.set_password(session, SGD, new, now=NOW)
        secrets["new password"] = new
    link = urlsplit(login_link(portal.settings, portal.factory, VIEWER, "/", 3600, now=NOW)).path
    secrets["link"] = link.rsplit("/", 1)[1]
    client = portal.client()
    assert login(client, SGD.upper(), new).status_code == 303
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_from(page.text)})

    with portal.factory() as session:
        users = session.scalars(select(UserRow)).all()
        for user in users:
            assert user.password_hash is not None
            assert user.password_hash.startswith("$argon2id$v=19$m="), user.email
            assert user.api_token_hash and HEX64.match(user.api_token_hash)
            assert user.api_token_hash == hashlib.sha256(
                secrets[f"api {user.email}"].encode()
            ).hexdigest()
            assert user.feed_token_hash and HEX64.match(user.feed_token_hash)
        nonces = session.scalars(select(LoginLinkRow.nonce)).all()
        assert nonces and all(HEX64.match(n) for n in nonces)
        digests = {u.api_token_hash for u in users} | {u.feed_token_hash for u in users}
        hashes = {u.password_hash for u in users}
        found: list[str] = []
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                cells = " ".join(str(v) for v in row)
                found += [f"{table.name}: {name}" for name, value in secrets.items() if value in cells]
                if table.name != "users":
                    found += [f"{table.name}: a hash" for h in hashes | digests if h and h in cells]
    assert not found, found


# ----------------------------------------------------------------------------- signed links


def test_login_link_expires_to_the_second_and_is_not_used_up_by_a_refused_post(
    portal: Portal,
) -> None:
    path = urlsplit(
        login_link(portal.settings, portal.factory, SGD, "/account", dt.timedelta(minutes=30), now=NOW)
    ).path
    client = portal.client()
    portal.clock.now = NOW + dt.timedelta(minutes=30) - dt.timedelta(seconds=1)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 403  # no CSRF token: refused, and not used up
    assert client.post(path, data={"csrf_token": "QUFB"}).status_code == 403
    assert client.get(path).status_code == 200  # mail scanners' GETs do not use it either
    portal.clock.now = NOW + dt.timedelta(minutes=30)
    assert client.get(path).status_code == 400
    assert client.post(path, data={"csrf_token": csrf(client, "/login")}).status_code == 400
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_other_signed_values_are_not_login_links(portal: Portal) -> None:
    client = portal.client(SGD)
    session_cookie = client.cookies.get("phancong_session")
    anonymous = portal.client()
    for token in (session_cookie, csrf(client), base64.urlsafe_b64encode(b'{"n":"x"}').decode()):
        assert anonymous.get(f"/login/link/{token}").status_code == 400
    assert anonymous.get("/account", follow_redirects=False).status_code == 303


def test_login_link_single_use_under_concurrent_posts(portal_db: Portal) -> None:
    portal = portal_db
    path = urlsplit(login_link(portal.settings, portal.factory, SGD, "/account", 3600, now=NOW)).path
    clients = [portal.client() for _ in range(4)]
    tokens = [csrf_from(c.get(path).text) for c in clients]
    start = threading.Barrier(len(clients))

    def use(i: int) -> int:
        start.wait()
        response = clients[i].post(path, data={"csrf_token": tokens[i]}, follow_redirects=False)
        return int(response.status_code)

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(use, range(len(clients))))
    assert codes == [303, 400, 400, 400], codes
    with portal.factory() as session:
        used = session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action == "user.login_link_used")
        )
    assert used == 1
    logged_in = [c for c in clients if c.get("/account", follow_redirects=False).status_code == 200]
    assert len(logged_in) == 1


# ----------------------------------------------------------------------------- audit log

SOURCES = [Path(__file__).resolve().parents[2] / d for d in ("phancong", "flows", "tasks")]
MUTATION = re.compile(
    r"(update|delete)\(\s*AuditRow|AuditRow\.__table__\.(update|delete)"
    r"|(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|REPLACE\s+INTO)\s+\"?audit_log"
    r"|INSERT\s+OR\s+REPLACE|on_conflict_do_update|session\.(delete|merge)\(",
    re.IGNORECASE,
)


def test_no_code_path_modifies_audit_rows() -> None:
    found = []
    for root in SOURCES:
        for file in root.rglob("*.py"):
            if "migrations" in file.parts:
                continue  # the schema itself: creates the table and its triggers
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if MUTATION.search(line):
                    found.append(f"{file.relative_to(root.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def _audit_rows(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with factory() as session:
        return [tuple(r) for r in session.execute(select(AuditRow.__table__).order_by(AuditRow.id))]


def test_every_route_leaves_old_audit_rows_unchanged(portal: Portal) -> None:
    before = _audit_rows(portal.factory)
    coordinator, agency = portal.client(COORD), portal.client(SGD)
    ids = portal.ids
    with transaction(portal.factory) as session:
        bearer = {"Authorization": f"Bearer {credentials.issue_api_token(session, COORD, now=NOW)}"}
    calls = [
        (agency, f"/obligations/{ids['open']}/submit", {"note": "x"}),
        (coordinator, f"/obligations/{ids['open']}/return", {"reason": "thiếu"}),
        (agency, f"/obligations/{ids['open']}/submit", {"note": "bổ sung"}),
        (coordinator, f"/obligations/{ids['open']}/accept", {}),
        (coordinator, f"/obligations/{ids['open2']}/extend", FIELDS["extend"]),
        (coordinator, f"/obligations/{ids['open3']}/waive", FIELDS["waive"]),
        (agency, "/account/feed", {}),
        (agency, "/account/feed/revoke", {}),
        (agency, "/logout", {}),
    ]
    for client, path, fields in calls:
        done = client.post(path, data={**fields, "csrf_token": csrf(client)}, follow_redirects=False)
        assert done.status_code in (200, 303), (path, done.text[:200])
    api = portal.client()
    for path, body in (
        (f"/api/obligations/{ids['submitted']}/accept", None),
        (f"/api/obligations/{ids['submitted2']}/return", {"reason": "thiếu"}),
        (f"/api/obligations/{ids['submitted2']}/submit",
         {"note": "lại", "on_behalf_reason": "đơn vị gửi công văn giấy"}),
        (f"/api/obligations/{ids['submitted2']}/extend", {"new_deadline": "2026-05-04", "reason": "x"}),
        (f"/api/obligations/{ids['submitted2']}/waive", {"reason": "x"}),
    ):
        assert api.post(path, json=body, headers=bearer).status_code == 200, path
    after = _audit_rows(portal.factory)
    assert after[: len(before)] == before, "an existing audit row changed"
    assert len(after) > len(before) + 10
    assert [r[0] for r in after] == sorted(r[0] for r in after)


def test_database_refuses_every_way_of_changing_audit_rows(database_url: str) -> None:
    factory = seed_ledger(database_url, through=dt.date(2026, 6, 30), now=NOW)
    engine = factory.kw["bind"]
    before = _audit_rows(factory)
    first = before[0][0]
    columns = ", ".join(c.name for c in AuditRow.__table__.columns)
    statements = [
        f"UPDATE audit_log SET actor = 'tamper' WHERE id = {first}",
        "UPDATE audit_log SET reason = NULL",
        f"DELETE FROM audit_log WHERE id = {first}",
        "DELETE FROM audit_log",
        f"INSERT INTO audit_log ({columns}) SELECT {columns} FROM audit_log WHERE id = {first} "
        "ON CONFLICT (id) DO UPDATE SET actor = 'tamper'",
    ]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log CASCADE")
    refused: list[str] = []
    for statement in statements:
        try:
            with engine.begin() as conn:
                conn.execute(text(statement))
        except DatabaseError as exc:
            if "append-only" in str(exc):
                refused.append(statement)
    assert refused == statements
    with factory() as session:
        row = session.get(AuditRow, first)
        assert row is not None
        row.actor = "tamper"  # an ORM change of a loaded row, flushed at commit
        with pytest.raises(DatabaseError, match="append-only"):
            session.commit()
    with pytest.raises(DatabaseError, match="append-only"), transaction(factory) as session:
        session.delete(session.get(AuditRow, first))
    with transaction(factory) as session:  # appending is what the log is for
        session.execute(insert(AuditRow).values(
            at=NOW, actor="test", action="test.appended", entity="test", entity_id="1"))
    after = _audit_rows(factory)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    engine.dispose()


def test_sqlite_replace_cannot_rewrite_audit_rows(tmp_path: Path) -> None:
    factory = seed_ledger(f"sqlite+pysqlite:///{tmp_path}/l.db", through=dt.date(2026, 6, 30), now=NOW)
    engine = factory.kw["bind"]
    before = _audit_rows(factory)
    columns = [c.name for c in AuditRow.__table__.columns]
    values = dict(zip(columns, before[0], strict=True), actor="tamper")
    values["before"] = json.dumps(values["before"])
    values["after"] = json.dumps(values["after"])
    try:
        with engine.begin() as conn:
            conn.execute(
                text(f"INSERT OR REPLACE INTO audit_log ({', '.join(columns)}) "
                     f"VALUES ({', '.join(':' + c for c in columns)})"),
                values,
            )
    except DatabaseError:
        pass
    assert _audit_rows(factory) == before
    engine.dispose()
