"""The attacks of issue 14, each performed against the portal and refused.

1-3. login throttling: a spray of random emails from one address no longer locks everybody
     out; the account back-off cannot be raced (the attempt is reserved before the hash); the
     state is in the ledger, so two portal apps on one database share it (a real two-process
     run is tests/e2e/test_portal_processes.py);
4.   no token in the log line of a database outage (/login/link/<token>, /feeds/<token>.ics);
5.   logout, a password change and disabling end every session and outstanding login link on
     the server, and enabling again revives none;
6.   the language switch of an error page at ``//evil.example/login`` stays on the portal;
7.   nobody accepts their own submission; a coordinator submitting for an agency gives a reason,
     shown on the obligation and in the audit, and counted apart in the statistics;
8.   /docs and /openapi.json are off in production unless PHANCONG_API_DOCS turns them on;
10.  HSTS in production on an https portal URL;
11.  indicator values checked against their unit;
12.  bidirectional control characters stripped from notes and reasons.

Items 9 (proxy headers under ``portal serve`` and ``up``) and 13 (artifact cells) are in
tests/e2e/test_portal_processes.py and tests/unit/test_artifact_cells.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction
from phancong.adapters.orm import AuditRow, LoginThrottleRow, SubmissionRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts, credentials, handlers, ledger, reads, throttle
from phancong.services.errors import LedgerError
from phancong.services.links import login_link, serializer
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.integration.test_outages import unreachable
from tests.portal_support import (
    MINI_PLAN,
    PASSWORD,
    add_user,
    client_for,
    csrf,
    csrf_from,
    fast_hasher,
    seed_ledger,
)

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
SECRET = "khoá-của-cổng-thử-nghiệm-" + "x7" * 16
COORD, COORD2, SGD, CA = "pc02@example.test", "tt@example.test", "sgd@example.test", "ca@example.test"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


class Seconds:
    """The throttle's clock (epoch seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    url: str
    tmp: Path
    factory: sessionmaker[Session]
    seconds: Seconds = field(default_factory=Seconds)

    def settings(self, **values: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": self.tmp / "data",
            "database_url": self.url,
            "secret_key": SECRET,
            "portal_url": "http://portal.test",
        }
        return Settings(**(base | values))

    def app(self, **values: Any) -> Any:
        app = create_app(bootstrap(self.settings(**values), sessions=self.factory, clock=lambda: NOW))
        app.state.portal.throttle.clock = self.seconds
        return app

    def ob(self, duty: str, unit: str, period: str = "2026-Q1") -> int:
        from tests.integration.test_security import ob_id

        with self.factory() as session:
            return ob_id(session, duty, unit, period)


def _plan_with_indicators(tmp: Path) -> Path:
    text = MINI_PLAN.read_text(encoding="utf-8")
    anchor = "    requested: [vks]\n    cadence: {kind: periodic}\n"
    assert anchor in text
    indicators = (
        "    indicators:\n"
        '      - {id: ty-le, name: Tỉ lệ trường được tuyên truyền, unit: "%"}\n'
        "      - {id: so-buoi, name: Số buổi tuyên truyền, kind: count}\n"
    )
    path = tmp / "mini.yaml"
    path.write_text(text.replace(anchor, anchor + indicators, 1), encoding="utf-8")
    return path


def _site(url: str, tmp: Path) -> Site:
    factory = seed_ledger(url, _plan_with_indicators(tmp), through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, COORD, "coordinator", plan=None, now=NOW)
    add_user(factory, COORD2, "coordinator", plan="mini", now=NOW)
    add_user(factory, SGD, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, CA, "agency", plan="mini", unit="ca", now=NOW)
    return Site(url, tmp, factory)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = _site(f"sqlite+pysqlite:///{tmp_path}/ledger.db", tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


@pytest.fixture
def site_db(database_url: str, tmp_path: Path) -> Iterator[Site]:
    """The same on SQLite and on PostgreSQL."""
    made = _site(database_url, tmp_path)
    yield made
    made.factory.kw["bind"].dispose()


def _login(client: Any, email: str, password: str = PASSWORD, **headers: str) -> Any:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


# ----------------------------------------------------------------------------- 1. lockout


def test_spray_from_a_proxy_does_not_lock_out_the_other_clients(site_db: Site) -> None:
    """The documented deployment: every request comes from the named proxy; 200 failed logins
    with random emails from one client leave another client's right password working at once."""
    app = site_db.app(trusted_proxies=PROXY)
    proxy = client_for(app, client=(PROXY, 40000))
    answers = [
        _login(proxy, f"{uuid.uuid4().hex[:10]}@example.test", "đoán-bừa-2026",
               **{"X-Forwarded-For": "198.51.100.7"}).status_code
        for _ in range(200)
    ]
    assert answers.count(400) == throttle.ADDRESS.free  # then the attacker's address waits
    assert set(answers[throttle.ADDRESS.free:]) == {429}
    started = time.monotonic()
    user = _login(proxy, SGD, **{"X-Forwarded-For": "198.51.100.8"})
    assert user.status_code == 303
    assert time.monotonic() - started < 5
    # and what the old per-process limit did to everybody (429 for 15 minutes) is gone: the
    # proxy's own address, shared by all, is never throttled
    with site_db.factory() as session:
        keys = set(session.scalars(select(LoginThrottleRow.key)))
    assert throttle.address_key(PROXY) not in keys
    assert throttle.address_key("198.51.100.7") in keys


def test_spray_from_one_shared_address(site_db: Site) -> None:
    """One address shared by attacker and users (an office's NAT, or a proxy nobody named): a
    user who logged in from this browser before gets in at once, anyone else within seconds
    after a burst of 200 failed logins."""
    app = site_db.app()
    returning = client_for(app)
    assert _login(returning, SGD).status_code == 303  # leaves the device cookie
    returning.post("/logout", data={"csrf_token": csrf(returning)})
    attacker = client_for(app)
    answers = [
        _login(attacker, f"{uuid.uuid4().hex[:10]}@example.test", "đoán-bừa-2026").status_code
        for _ in range(200)
    ]
    assert answers.count(400) == throttle.ADDRESS.free
    assert _login(returning, SGD).status_code == 303  # at once
    newcomer = client_for(app)
    refused = _login(newcomer, CA)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert wait <= 2  # the address's first wait after its 30 free failures
    site_db.seconds.now += wait
    assert _login(newcomer, CA).status_code == 303


def test_a_targeted_account_keeps_a_way_in(site_db: Site) -> None:
    """An attacker keeps one account in back-off: its holder still gets in from a browser they
    used before, by a one-time login link, or once a coordinator clears the back-off."""
    app = site_db.app(trusted_proxies=PROXY)
    holder = client_for(app, client=(PROXY, 40000), headers={"X-Forwarded-For": "198.51.100.20"})
    assert _login(holder, SGD).status_code == 303
    holder.post("/logout", data={"csrf_token": csrf(holder)})
    for i in range(40):  # from 40 addresses
        _login(client_for(app, client=(PROXY, 40001)), SGD, "sai-mật-khẩu",
               **{"X-Forwarded-For": f"203.0.113.{i + 1}"})
    stranger = client_for(app, client=(PROXY, 40002), headers={"X-Forwarded-For": "198.51.100.30"})
    assert _login(stranger, SGD).status_code == 429  # the account waits: even the right password
    assert _login(holder, SGD).status_code == 303  # the holder's browser is not held up
    link = login_link(site_db.settings(), site_db.factory, SGD, "/account", 600, now=NOW)
    path = link.removeprefix("http://portal.test")
    confirm = stranger.get(path)
    done = stranger.post(path, data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert _login(client_for(app, client=(PROXY, 40003)), SGD).status_code == 303  # cleared
    for i in range(10):
        _login(client_for(app, client=(PROXY, 40004)), SGD, "sai-mật-khẩu",
               **{"X-Forwarded-For": f"203.0.113.{100 + i}"})
    assert _login(client_for(app, client=(PROXY, 40005)), SGD).status_code == 429
    with transaction(site_db.factory) as session:
        assert accounts.clear_login_backoff(session, SGD, now=NOW, actor=COORD)
    assert _login(client_for(app, client=(PROXY, 40006)), SGD).status_code == 303


# ----------------------------------------------------------------------------- 2. the race


def test_concurrent_guesses_are_reserved_before_the_hash(
    site_db: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 guesses for one account at once, through two portal apps on one database, with a
    password check that takes 100 ms: exactly 5 are checked."""
    apps = [site_db.app(), site_db.app()]
    checked: list[str] = []
    lock = threading.Lock()
    real = accounts.authenticate

    def slow(session: Session, email: str, password: str) -> Any:
        with lock:
            checked.append(password)
        time.sleep(0.1)  # the production argon2 parameters take about this long
        return real(session, email, password)

    monkeypatch.setattr(accounts, "authenticate", slow)
    clients = [client_for(apps[i % 2], client=(f"198.51.100.{i}", 1000)) for i in range(60)]
    tokens = [csrf_from(c.get("/login").text) for c in clients]
    barrier = threading.Barrier(20)

    def guess(i: int) -> int:
        if i < 20:
            barrier.wait()
        data = {"email": SGD, "password": f"đoán-{i}", "csrf_token": tokens[i]}
        return int(clients[i].post("/login", data=data, follow_redirects=False).status_code)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(guess, range(60)))
    assert len(checked) == throttle.ACCOUNT.free, len(checked)
    assert answers.count(400) == throttle.ACCOUNT.free
    assert answers.count(429) == 60 - throttle.ACCOUNT.free


# ----------------------------------------------------------------------------- 3. per process


def test_two_portal_apps_share_the_back_off(site_db: Site) -> None:
    first, second = site_db.app(), site_db.app()
    for i in range(throttle.ACCOUNT.free):
        app = first if i % 2 else second
        assert _login(client_for(app), SGD, "sai-mật-khẩu").status_code == 400
    assert _login(client_for(first), SGD).status_code == 429
    assert _login(client_for(second), SGD).status_code == 429


def test_a_distributed_guesser_gets_fewer_than_20_checks_an_hour(
    site_db: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 wrong guesses for one account from 20 addresses through two apps, spread over an
    hour (one every 36 s)."""
    apps = [site_db.app(trusted_proxies=PROXY), site_db.app(trusted_proxies=PROXY)]
    checked: list[float] = []
    real = accounts.authenticate

    def counting(session: Session, email: str, password: str) -> Any:
        checked.append(site_db.seconds.now)
        return real(session, email, password)

    monkeypatch.setattr(accounts, "authenticate", counting)
    clients = [client_for(apps[i % 2], client=(PROXY, 2000 + i)) for i in range(20)]
    start = site_db.seconds.now
    answers = []
    for i in range(100):
        site_db.seconds.now = start + i * 36
        answers.append(_login(clients[i % 20], SGD, f"đoán-{i}",
                              **{"X-Forwarded-For": f"192.0.2.{i % 20 + 1}"}).status_code)
    assert len(checked) < 20, len(checked)
    assert answers.count(400) == len(checked)
    assert set(answers) == {400, 429}
    assert len(checked) == 11  # 5 at once, then after 30 s, 1.5, 3.5, 7.5, 15.5 and 31.5 min


# ----------------------------------------------------------------------------- 4. tokens in logs


def test_no_token_in_the_log_during_a_database_outage(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, backend = database_url, make_url(database_url).get_backend_name()
    site = _site(url, tmp_path)
    with transaction(site.factory) as session:
        feed = credentials.issue_feed_token(session, SGD, now=NOW)
    link = login_link(site.settings(), site.factory, SGD, "/account", 600, now=NOW)
    token = link.rsplit("/", 1)[1]
    nonce = serializer(SECRET).loads(token)["n"]
    client = client_for(site.app())
    caplog.set_level(logging.DEBUG)
    if backend == "postgresql":
        site.factory.kw["bind"].dispose()
        with unreachable(url):
            answers = [client.get(f"/login/link/{token}"), client.get(f"/feeds/{feed}.ics"),
                       client.post(f"/login/link/{token}", data={"csrf_token": "x"})]
    else:
        broken = session_factory(make_engine(f"sqlite+pysqlite:///{tmp_path}/missing/none.db"))
        client.app.state.portal.factory = broken  # type: ignore[attr-defined]
        answers = [client.get(f"/login/link/{token}"), client.get(f"/feeds/{feed}.ics")]
    assert [a.status_code for a in answers[:2]] == [503, 503]
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "database unavailable on /login/link/…" in logged
    assert "database unavailable on /feeds/…" in logged
    for secret in (token, feed, nonce, token[:20], feed[4:24]):
        assert secret not in logged
    site.factory.kw["bind"].dispose()


# ----------------------------------------------------------------------------- 5. sessions


def test_a_copied_cookie_dies_with_logout(site_db: Site) -> None:
    app = site_db.app()
    victim = client_for(app)
    assert _login(victim, SGD).status_code == 303
    thief = client_for(app, cookies=dict(victim.cookies))
    assert thief.get("/account", follow_redirects=False).status_code == 200
    other_device = client_for(app)
    assert _login(other_device, SGD).status_code == 303
    pending = login_link(site_db.settings(), site_db.factory, SGD, "/", 3600, now=NOW)
    stolen_csrf = csrf(thief)
    victim.post("/logout", data={"csrf_token": csrf(victim)})
    assert thief.get("/account", follow_redirects=False).status_code == 303
    target = site_db.ob("d1", "sgd")
    submitted = thief.post(f"/obligations/{target}/submit",
                           data={"note": "giả mạo", "csrf_token": stolen_csrf},
                           follow_redirects=False)
    assert submitted.status_code in (303, 403)
    assert submitted.headers.get("location", "").startswith("/login") or submitted.status_code == 403
    assert other_device.get("/account", follow_redirects=False).status_code == 303  # every session
    assert client_for(app).get(pending.removeprefix("http://portal.test")).status_code == 400
    with site_db.factory() as session:
        assert session.scalar(
            select(func.count()).select_from(SubmissionRow).where(SubmissionRow.obligation_id == target)
        ) == 0


@pytest.mark.parametrize("change", ["password", "disable"])
def test_password_change_and_disabling_end_sessions_and_links_for_good(
    site_db: Site, change: str
) -> None:
    app = site_db.app()
    victim = client_for(app)
    assert _login(victim, SGD).status_code == 303
    copied = client_for(app, cookies=dict(victim.cookies))
    link = login_link(site_db.settings(), site_db.factory, SGD, "/", 3600, now=NOW)
    with transaction(site_db.factory) as session:
        if change == "password":
            accounts.set_password(session, SGD, "mật-khẩu-mới-hẳn-2026", now=NOW)
        else:
            accounts.set_active(session, SGD, False, now=NOW)
    for client in (victim, copied):
        assert client.get("/account", follow_redirects=False).status_code == 303
    if change == "disable":
        with transaction(site_db.factory) as session:
            accounts.set_active(session, SGD, True, now=NOW)  # nothing comes back to life
        for client in (victim, copied):
            assert client.get("/account", follow_redirects=False).status_code == 303
    assert client_for(app).get(link.removeprefix("http://portal.test")).status_code == 400
    with site_db.factory() as session:
        ended = session.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.action == "user.sessions_ended", AuditRow.entity_id == SGD))
    assert ended == (1 if change == "password" else 2)


# ----------------------------------------------------------------------------- 6. open redirect


@pytest.mark.parametrize("path", ["//evil.example/login", "//evil.example/%2e%2e/login?x=1",
                                  "/\\evil.example/login", "///evil.example/login"])
def test_language_switch_stays_on_the_portal(site: Site, path: str) -> None:
    client = client_for(site.app(), base_url="http://portal.test")
    page = client.get(f"http://portal.test{path}")
    assert page.status_code == 404
    match = re.search(r'<a id="lang-switch"[^>]*? href="([^"]*)"', page.text)
    assert match is not None
    href = match.group(1)
    assert href.startswith("?"), href
    landed = urljoin(f"http://portal.test{path}", href.replace("&amp;", "&"))
    assert landed.startswith("http://portal.test/"), landed
    assert "lang=en" in href


# ----------------------------------------------------------------------------- 7. four eyes


def test_nobody_accepts_their_own_submission(site_db: Site) -> None:
    app = site_db.app()
    coordinator, other = client_for(app), client_for(app)
    assert _login(coordinator, COORD).status_code == 303
    assert _login(other, COORD2).status_code == 303
    target = site_db.ob("d1", "sgd")
    bare = coordinator.post(f"/obligations/{target}/submit",
                            data={"note": "Đã làm", "csrf_token": csrf(coordinator)})
    assert bare.status_code == 422
    assert "phải nêu lý do nộp thay" in bare.text
    done = coordinator.post(
        f"/obligations/{target}/submit",
        data={"note": "Đã làm", "on_behalf_reason": "Sở gửi công văn giấy số 12/SGD",
              "csrf_token": csrf(coordinator)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    own = coordinator.post(f"/obligations/{target}/accept",
                           data={"csrf_token": csrf(coordinator)}, follow_redirects=False)
    assert own.status_code == 403
    assert "tự chấp nhận" in own.text
    with transaction(site_db.factory) as session, pytest.raises(LedgerError):
        handlers.record(session, [ledger.accept(session, target, actor=COORD.upper(), at=NOW)])
    page = other.get(f"/obligations/{target}")
    assert "Nộp thay đơn vị" in page.text and "công văn giấy số 12/SGD" in page.text
    accepted = other.post(f"/obligations/{target}/accept",
                          data={"csrf_token": csrf(other)}, follow_redirects=False)
    assert accepted.status_code == 303
    with site_db.factory() as session:
        audit = session.scalars(select(AuditRow).where(
            AuditRow.entity_id == str(target), AuditRow.action.like("obligation.%"))
            .order_by(AuditRow.id)).all()
        units = {u.unit_code: u for u in reads.rollup_by_unit(session, "mini", NOW)}
    assert [(a.action, a.actor) for a in audit] == [
        ("obligation.submitted_on_behalf", COORD), ("obligation.accepted", COORD2)]
    assert audit[0].reason == "Sở gửi công văn giấy số 12/SGD"
    assert units["sgd"].on_behalf == 1
    assert units["sgd"].on_time == 0  # not the agency's own record
    matrix = other.get("/matrix?plan=mini&year=2026").text
    rate = re.search(r'data-testid="on-time-rate" data-unit="sgd">([^<]*)<span[^>]*>\(([^)]*)\)', matrix)
    assert rate is not None and rate.group(2) == "0/1", rate and rate.groups()


def test_api_submission_on_behalf_needs_a_reason(site_db: Site) -> None:
    with transaction(site_db.factory) as session:
        token = credentials.issue_api_token(session, COORD, now=NOW)
    api = client_for(site_db.app())
    bearer = {"Authorization": f"Bearer {token}"}
    target = site_db.ob("d1", "ca")
    refused = api.post(f"/api/obligations/{target}/submit", json={"note": "x"}, headers=bearer)
    assert refused.status_code == 422
    assert "lý do nộp thay" in refused.json()["detail"]
    done = api.post(f"/api/obligations/{target}/submit",
                    json={"note": "x", "on_behalf_reason": "Đơn vị mất kết nối"}, headers=bearer)
    assert done.status_code == 200
    detail = api.get(f"/api/obligations/{target}", headers=bearer).json()
    assert detail["submissions"][0]["on_behalf_reason"] == "Đơn vị mất kết nối"
    own = api.post(f"/api/obligations/{target}/accept", headers=bearer)
    assert own.status_code == 403


# ----------------------------------------------------------------------------- 8, 10. headers


def test_api_docs_off_in_production_unless_enabled(site: Site) -> None:
    prod = {"environment": "production", "portal_url": "https://portal.test"}
    off = client_for(site.app(**prod), base_url="https://portal.test")
    assert off.get("/docs").status_code == 404
    assert off.get("/openapi.json").status_code == 404
    on = client_for(site.app(**prod, api_docs=True), base_url="https://portal.test")
    docs = on.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    assert on.get("/openapi.json").status_code == 200
    assert client_for(site.app()).get("/docs").status_code == 200  # development: on


@pytest.mark.parametrize(
    ("environment", "portal_url", "sent"),
    [("production", "https://portal.test", True), ("production", "http://portal.test", False),
     ("development", "https://portal.test", False)],
)
def test_hsts_in_production_on_https(site: Site, environment: str, portal_url: str,
                                     sent: bool) -> None:
    client = client_for(site.app(environment=environment, portal_url=portal_url),
                        base_url=portal_url)
    for path in ("/login", "/healthz", "/nowhere"):
        header = client.get(path).headers.get("strict-transport-security")
        assert (header == "max-age=31536000") is sent, (path, header)


# ----------------------------------------------------------------------------- 11. indicators


@pytest.mark.parametrize(
    ("indicator", "value"),
    [("ty-le", "-1e300"), ("ty-le", "1e308"), ("ty-le", "100.5"), ("ty-le", "-1"),
     ("ty-le", "nan"), ("ty-le", "inf"), ("so-buoi", "-3"), ("so-buoi", "1e300"),
     ("so-buoi", "-inf"), ("so-buoi", "NaN")],
)
def test_indicator_values_out_of_range_are_refused(site: Site, indicator: str, value: str) -> None:
    client = client_for(site.app())
    assert _login(client, SGD).status_code == 303
    target = site.ob("d1", "sgd")
    response = client.post(f"/obligations/{target}/submit", data={
        "note": "x", f"indicator.{indicator}": value, "csrf_token": csrf(client)})
    assert response.status_code == 422
    assert "Giá trị chỉ tiêu" in response.text
    with site.factory() as session:
        assert session.scalar(select(func.count()).select_from(SubmissionRow)) == 0


def test_indicator_ranges_through_the_api(site_db: Site) -> None:
    with transaction(site_db.factory) as session:
        token = credentials.issue_api_token(session, SGD, now=NOW)
    api = client_for(site_db.app())
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    target = site_db.ob("d1", "sgd")
    for body in ('{"indicator_values": {"ty-le": -1e300}}', '{"indicator_values": {"ty-le": 1e308}}',
                 '{"indicator_values": {"ty-le": NaN}}', '{"indicator_values": {"ty-le": Infinity}}',
                 '{"indicator_values": {"so-buoi": -1}}'):
        refused = api.post(f"/api/obligations/{target}/submit", content=body, headers=bearer)
        assert 400 <= refused.status_code < 500, body
        assert "chỉ tiêu" in refused.json()["detail"], body
    ok = api.post(f"/api/obligations/{target}/submit", headers=bearer,
                  content='{"indicator_values": {"ty-le": 100, "so-buoi": 0}}')
    assert ok.status_code == 200
    with site_db.factory() as session:
        values = session.scalars(select(SubmissionRow.indicator_values)).one()
    assert values == {"ty-le": 100.0, "so-buoi": 0.0}


# ----------------------------------------------------------------------------- 12. bidi


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_are_stripped_from_notes_and_reasons(site_db: Site) -> None:
    app = site_db.app()
    agency, coordinator = client_for(app), client_for(app)
    assert _login(agency, SGD).status_code == 303
    assert _login(coordinator, COORD).status_code == 303
    target = site_db.ob("d1", "sgd")
    note = "Đã nộp \u202eFDP.exe\u202c báo cáo"
    assert agency.post(f"/obligations/{target}/submit",
                       data={"note": note, "csrf_token": csrf(agency)}).status_code == 200
    reason = "Thiếu \u2066số liệu\u2069 " + BIDI
    assert coordinator.post(f"/obligations/{target}/return",
                            data={"reason": reason, "csrf_token": csrf(coordinator)}).status_code == 200
    other = site_db.ob("d1", "ca")
    assert coordinator.post(
        f"/obligations/{other}/submit",
        data={"note": "x", "on_behalf_reason": "\u202egiấy\u202c tờ", "csrf_token": csrf(coordinator)},
    ).status_code == 200
    with site_db.factory() as session:
        texts = [
            *session.scalars(select(SubmissionRow.note)),
            *[r for r in session.scalars(select(SubmissionRow.review_reason)) if r],
            *[r for r in session.scalars(select(SubmissionRow.on_behalf_reason)) if r],
            *[r for r in session.scalars(select(AuditRow.reason)) if r],
        ]
    assert "Đã nộp FDP.exe báo cáo" in texts
    assert "Thiếu số liệu" in texts
    assert "giấy tờ" in texts
    assert not [t for t in texts if any(ch in t for ch in BIDI)]


def test_random_emails_leave_no_lasting_rows(site_db: Site) -> None:
    """A spray of random emails writes one row per email typed; rows with no failure for two
    days are pruned (every 500th attempt of a process), so the table does not grow for ever."""
    now = site_db.seconds.now
    for i in range(20):
        throttle.reserve(site_db.factory, [(throttle.account_key(f"x{i}@example.test"),
                                            throttle.ACCOUNT)], now)
    throttle.reserve(site_db.factory, [(throttle.account_key(SGD), throttle.ACCOUNT)],
                     now + 3 * 24 * 3600 - 60)
    with transaction(site_db.factory) as session:
        assert throttle.prune(session, now + 3 * 24 * 3600) == 20
    with site_db.factory() as session:
        assert list(session.scalars(select(LoginThrottleRow.key))) == [throttle.account_key(SGD)]
