"""Login by password and by one-time signed link, sessions, CSRF, rate limit, redirects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.orm import UserRow
from phancong.bootstrap import bootstrap
from phancong.services import accounts
from phancong.services.links import login_link, obligation_login_link, obligation_url
from phancong.settings import Settings
from phancong.web.app import create_app
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


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
AGENCY = "sgd@example.test"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, through=dt.date(2026, 12, 31), now=NOW)
    add_user(factory, AGENCY, "agency", plan="mini", unit="sgd", now=NOW)
    add_user(factory, "link-only@example.test", "viewer", plan="mini", password=None, now=NOW)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+pysqlite:///{tmp_path}/ledger.db",
        secret_key="s" * 40,
        portal_url="http://portal.test",
    )  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def client(settings: Settings, factory: sessionmaker[Session], clock: Clock) -> Any:
    return client_for(create_app(bootstrap(settings, sessions=factory, clock=clock)), base_url="http://portal.test")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_password_login_and_logout(client: Any) -> None:
    response = login(client, AGENCY)
    assert response.status_code == 303
    assert client.get("/obligations").status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    out = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert out.status_code == 303
    page = client.get("/obligations", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


def test_wrong_password_is_refused_in_vietnamese(client: Any) -> None:
    response = login(client, AGENCY, "không-phải-mật-khẩu")
    assert response.status_code == 400
    assert "Email hoặc mật khẩu không đúng" in response.text
    assert login(client, "nobody@example.test").status_code == 400
    assert login(client, "link-only@example.test", "").status_code == 400


def test_login_rate_limited_after_five_failures(client: Any) -> None:
    for _ in range(5):
        assert login(client, AGENCY, "sai-mật-khẩu-rồi").status_code == 400
    blocked = login(client, AGENCY)  # even the right password, while the window lasts
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.text
    assert login(client, "other@example.test", "x").status_code == 400  # other emails unaffected


def test_anonymous_page_redirects_to_login_and_back(client: Any) -> None:
    response = client.get("/obligations/5?lang=vi", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/login?next=/obligations/5%3Flang%3Dvi"
    page = client.get(location)
    assert 'name="next" value="/obligations/5?lang=vi"' in page.text
    done = client.post(
        "/login",
        data={
            "email": AGENCY,
            "password": PASSWORD,
            "next": "/obligations/5?lang=vi",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/obligations/5?lang=vi"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
    ],
)
def test_no_open_redirect_after_login(client: Any, target: str) -> None:
    page = client.get("/login")
    done = client.post(
        "/login",
        data={
            "email": AGENCY,
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"


def test_csrf_missing_or_wrong_is_403(client: Any) -> None:
    login(client, AGENCY)
    missing = client.post("/obligations/1/submit", data={"note": "x"}, follow_redirects=False)
    assert missing.status_code == 403
    assert "biểu mẫu không hợp lệ" in missing.text
    wrong = client.post("/obligations/1/submit", data={"note": "x", "csrf_token": "AAAA"})
    assert wrong.status_code == 403
    login_without = client.post("/login", data={"email": AGENCY, "password": PASSWORD})
    assert login_without.status_code == 403


def test_csrf_token_of_another_session_is_refused(
    settings: Settings, factory: Any, clock: Clock
) -> None:
    app = create_app(bootstrap(settings, sessions=factory, clock=clock))
    alice, mallory = client_for(app), client_for(app)
    login(alice, AGENCY)
    login(mallory, AGENCY)
    stolen = csrf(mallory)
    response = alice.post("/obligations/1/submit", data={"note": "x", "csrf_token": stolen})
    assert response.status_code == 403


def test_login_link_lands_on_obligation_once(
    client: Any, settings: Settings, factory: sessionmaker[Session]
) -> None:
    link = obligation_login_link(settings, factory, AGENCY, 1, dt.timedelta(hours=1), now=NOW)
    assert link.startswith("http://portal.test/login/link/")
    confirm = client.get(_path(link))
    assert confirm.status_code == 200
    assert AGENCY in confirm.text
    done = client.post(
        _path(link), data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/obligations/1"
    assert client.get("/obligations/1").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client)})
    again = client.get(_path(link))
    assert again.status_code == 400
    assert "Liên kết đăng nhập không hợp lệ" in again.text
    again_post = client.post(_path(link), data={"csrf_token": csrf(client, "/login")})
    assert again_post.status_code == 400


def test_login_link_in_callers_transaction(
    settings: Settings, factory: sessionmaker[Session], client: Any
) -> None:
    with transaction(factory) as session:
        link = login_link(settings, session, AGENCY, "/obligations/2", 3600, now=NOW)
    page = client.get(_path(link))
    done = client.post(
        _path(link), data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert done.headers["location"] == "/obligations/2"


def test_expired_login_link_refused(
    client: Any, settings: Settings, factory: Any, clock: Clock
) -> None:
    link = login_link(settings, factory, AGENCY, "/", dt.timedelta(minutes=30), now=NOW)
    clock.now = NOW + dt.timedelta(minutes=31)
    assert client.get(_path(link)).status_code == 400
    post = client.post(_path(link), data={"csrf_token": csrf(client, "/login")})
    assert post.status_code == 400


def test_tampered_login_links_refused(client: Any, settings: Settings, factory: Any) -> None:
    link = _path(login_link(settings, factory, AGENCY, "/obligations/1", 3600, now=NOW))
    token = link.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    other_key = Settings(
        data_dir=settings.data_dir,
        secret_key="o" * 40,  # type: ignore[arg-type]
        portal_url="http://portal.test",
    )
    foreign = _path(login_link(other_key, factory, AGENCY, "/", 3600, now=NOW))
    for bad in (f"/login/link/{flipped}", f"/login/link/{token}x", foreign, "/login/link/x.y.z"):
        assert client.get(bad).status_code == 400, bad
        assert client.post(bad, data={"csrf_token": csrf(client, "/login")}).status_code == 400, bad
    assert client.get("/obligations", follow_redirects=False).status_code == 303  # still anonymous


def test_link_for_disabled_account_refused(client: Any, settings: Settings, factory: Any) -> None:
    link = _path(login_link(settings, factory, AGENCY, "/", 3600, now=NOW))
    with transaction(factory) as session:
        accounts.set_active(session, AGENCY, False, now=NOW)
    assert client.get(link).status_code == 400


def test_disabling_or_new_password_ends_sessions(client: Any, factory: Any) -> None:
    login(client, AGENCY)
    assert client.get("/account").status_code == 200
    with transaction(factory) as session:
        accounts.set_password(session, AGENCY, "một-mật-khẩu-mới-2026", now=NOW)
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert login(client, AGENCY, "một-mật-khẩu-mới-2026").status_code == 303
    with transaction(factory) as session:
        accounts.set_active(session, AGENCY, False, now=NOW)
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_secure_cookie_on_https(tmp_path: Path, factory: Any) -> None:
    settings = Settings(
        data_dir=tmp_path,
        secret_key="s" * 40,  # type: ignore[arg-type]
        portal_url="https://portal.example.gov.vn",
    )
    client = client_for(
        create_app(bootstrap(settings, sessions=factory, clock=lambda: NOW)), base_url="https://testserver"
    )
    response = login(client, AGENCY)
    cookies = response.headers.get_list("set-cookie")
    (cookie,) = [c for c in cookies if c.startswith("__Host-phancong=")]
    (device,) = [c for c in cookies if c.startswith("__Host-phancong-device=")]
    for value in (cookie, device):
        assert "secure" in value.lower()
        assert "httponly" in value.lower()
        assert "domain" not in value.lower()


def test_production_needs_secret_and_has_no_default_account(
    tmp_path: Path, factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHANCONG_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError):
        Settings(
            environment="production", database_url="sqlite+pysqlite:///x.db", data_dir=tmp_path
        )
    fresh = f"sqlite+pysqlite:///{tmp_path}/fresh.db"
    upgrade(fresh)  # a new database has no account at all, hence no default password
    engine = make_engine(fresh)
    with session_factory(engine)() as session:
        assert session.scalars(select(UserRow.email)).all() == []
    engine.dispose()
    prod = Settings(
        environment="production",
        database_url="sqlite+pysqlite:///x.db",  # type: ignore[arg-type]
        data_dir=tmp_path,
        secret_key="p" * 40,
        portal_url="https://portal.test",
    )
    client = client_for(
        create_app(bootstrap(prod, sessions=factory, clock=lambda: NOW)), base_url="https://portal.test"
    )
    for email, password in [
        ("admin", "admin"),
        ("admin@localhost", "admin"),
        ("admin@example.test", "changeme"),
        ("", ""),
    ]:
        assert login(client, email, password).status_code == 400


def test_security_headers(client: Any) -> None:
    response = client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_obligation_url_for_mail(settings: Settings) -> None:
    assert obligation_url(settings, 42) == "http://portal.test/obligations/42"


def test_form_posted_after_logout_returns_to_its_page(client: Any) -> None:
    response = client.post(
        "/obligations/1/submit",
        data={"note": "x", "csrf_token": csrf(client, "/login")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/obligations/1"
