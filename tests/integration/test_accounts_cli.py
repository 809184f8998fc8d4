"""``phancong users …``, ``phancong obligation …`` and ``phancong portal`` from the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from phancong.adapters.orm import ObligationRow, UserRow
from phancong.bootstrap import bootstrap
from phancong.cli import app
from phancong.services import accounts
from phancong.settings import get_settings
from phancong.web.app import create_app
from tests.portal_support import client_for, csrf_from, fast_hasher, seed_ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
PASSWORD = "mật khẩu dòng lệnh 2026"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, through=dt.date(2026, 12, 31), now=NOW)
    monkeypatch.setenv("PHANCONG_DATABASE_URL", url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHANCONG_PORTAL_URL", "http://portal.test")
    monkeypatch.delenv("PHANCONG_SECRET_KEY", raising=False)
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield {"factory": factory, "url": url}
    get_settings.cache_clear()
    factory.kw["bind"].dispose()


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=input)


def test_users_add_list_token_disable(env: dict[str, Any]) -> None:
    weak = run(
        "users",
        "add",
        "a@example.test",
        "--name",
        "A",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "sgd",
        "--password-stdin",
        input="ngắn\n",
    )
    assert weak.exit_code == 1
    assert "Mật khẩu quá ngắn" in weak.output
    ok = run(
        "users",
        "add",
        "a@example.test",
        "--name",
        "Cán bộ Sở GD&ĐT",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "sgd",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert ok.exit_code == 0, ok.output
    gen = run(
        "users",
        "add",
        "tt@example.test",
        "--name",
        "Thường trực",
        "--role",
        "coordinator",
        "--generate",
    )
    assert gen.exit_code == 0, gen.output
    generated = re.search(r"password: (\S+)", gen.output)
    assert generated is not None
    assert len(generated.group(1)) >= 10
    bad_unit = run(
        "users",
        "add",
        "b@example.test",
        "--name",
        "B",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "ward-00004",
    )
    assert bad_unit.exit_code == 1
    assert "không có đơn vị 'ward-00004'" in bad_unit.output
    listing = run("users", "list")
    assert "a@example.test\tagency\tmini\tsgd\tactive\tpassword" in listing.output
    assert "tt@example.test\tcoordinator\t*" in listing.output
    token = run("users", "token", "a@example.test")
    assert token.exit_code == 0
    assert token.output.strip().startswith("pca_")
    with env["factory"]() as session:
        row = session.scalars(select(UserRow).where(UserRow.email == "a@example.test")).one()
        assert row.api_token_hash == accounts.token_digest(token.output.strip())
    assert run("users", "disable", "a@example.test").exit_code == 0
    assert "disabled" in run("users", "list").output
    assert run("users", "disable", "nobody@example.test").exit_code == 1


def test_feed_token_rotation(env: dict[str, Any]) -> None:
    run(
        "users",
        "add",
        "a@example.test",
        "--name",
        "A",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "sgd",
    )
    first = run("users", "feed-token", "a@example.test")
    assert first.exit_code == 0
    assert first.output.startswith("http://portal.test/feeds/pcf_")
    again = run("users", "feed-token", "a@example.test")
    assert again.exit_code == 1
    assert "--rotate" in again.output
    rotated = run("users", "feed-token", "a@example.test", "--rotate")
    assert rotated.exit_code == 0
    assert rotated.output != first.output
    settings = get_settings()
    client = client_for(create_app(bootstrap(settings, sessions=env["factory"], clock=lambda: NOW)))
    assert client.get(urlsplit(first.output.strip()).path).status_code == 404
    assert client.get(urlsplit(rotated.output.strip()).path).status_code == 200
    assert run("users", "feed-token", "a@example.test", "--revoke").exit_code == 0
    assert client.get(urlsplit(rotated.output.strip()).path).status_code == 404


def test_invite_link_logs_in(env: dict[str, Any]) -> None:
    run("users", "add", "v@example.test", "--name", "BCĐ", "--role", "viewer", "--plan", "mini")
    assert run("users", "invite", "v@example.test", "--next", "https://evil.example").exit_code == 2
    invite = run("users", "invite", "v@example.test", "--next", "/matrix", "--hours", "2")
    assert invite.exit_code == 0, invite.output
    link = urlsplit(invite.output.strip())
    assert link.netloc == "portal.test"
    client = client_for(create_app(bootstrap(get_settings(), sessions=env["factory"], clock=lambda: NOW)))
    page = client.get(link.path)
    assert page.status_code == 200
    done = client.post(link.path, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert done.headers["location"] == "/matrix"
    assert client.get("/matrix").status_code == 200


def test_obligation_commands_use_the_same_rules(env: dict[str, Any]) -> None:
    run(
        "users",
        "add",
        "a@example.test",
        "--name",
        "A",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "sgd",
    )
    run(
        "users",
        "add",
        "c@example.test",
        "--name",
        "C",
        "--role",
        "agency",
        "--plan",
        "mini",
        "--unit",
        "ca",
    )
    run(
        "users", "add", "tt@example.test", "--name", "TT", "--role", "coordinator", "--plan", "mini"
    )
    at = ("--at", "2026-03-02")
    other = run("obligation", "done", "1", "--as", "c@example.test", "--note", "x", *at)
    assert other.exit_code == 1
    assert "Không có nghĩa vụ số 1" in other.output
    bad_indicator = run(
        "obligation", "done", "1", "--as", "a@example.test", "--indicator", "x", *at
    )
    assert bad_indicator.exit_code == 2
    done = run(
        "obligation",
        "done",
        "1",
        "--as",
        "a@example.test",
        "--note",
        "Đã hoàn thành quý I",
        "--evidence",
        "https://example.gov.vn/bc.pdf",
        *at,
    )
    assert done.exit_code == 0, done.output
    refused = run("obligation", "accept", "1", "--as", "a@example.test", *at)
    assert refused.exit_code == 1
    assert "không có quyền" in refused.output
    assert (
        run(
            "obligation", "return", "1", "--as", "tt@example.test", "--reason", "Bổ sung", *at
        ).exit_code
        == 0
    )
    assert (
        run("obligation", "done", "1", "--as", "a@example.test", "--note", "Lần 2", *at).exit_code
        == 0
    )
    assert run("obligation", "accept", "1", "--as", "tt@example.test", *at).exit_code == 0
    assert (
        run(
            "obligation",
            "extend",
            "2",
            "--as",
            "tt@example.test",
            "--until",
            "2026-07-15",
            "--reason",
            "Gia hạn",
            *at,
        ).exit_code
        == 0
    )
    assert (
        run(
            "obligation", "waive", "3", "--as", "tt@example.test", "--reason", "Miễn", *at
        ).exit_code
        == 0
    )
    nobody = run("obligation", "accept", "1", "--as", "nobody@example.test")
    assert nobody.exit_code == 1
    with env["factory"]() as session:
        states = dict(
            session.execute(
                select(ObligationRow.id, ObligationRow.state).where(ObligationRow.id.in_([1, 2, 3]))
            )
            .tuples()
            .all()
        )
        assert states == {1: "accepted", 2: "open", 3: "waived"}


def test_portal_serve_help() -> None:
    result = run("portal", "serve", "--help")
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers"):
        assert option in result.output


def test_portal_serve_refuses_unsafe_production(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "production")
    get_settings.cache_clear()
    result = run("portal", "serve", "--port", "1")
    assert result.exit_code == 2
    assert "PHANCONG_SECRET_KEY" in result.output


def test_unthrottle_and_on_behalf_reason_from_the_command_line(env: dict[str, Any]) -> None:
    from phancong.adapters.db import transaction
    from phancong.adapters.orm import AuditRow, LoginThrottleRow, SubmissionRow
    from phancong.services import throttle

    assert run("users", "add", "dp@example.test", "--name", "Điều phối", "--role",
               "coordinator", "--generate").exit_code == 0
    factory = env["factory"]
    key = throttle.account_key("dp@example.test")
    for _ in range(throttle.ACCOUNT.free):
        assert throttle.reserve(factory, [(key, throttle.ACCOUNT)], 1000.0).allowed
    assert not throttle.reserve(factory, [(key, throttle.ACCOUNT)], 1001.0).allowed
    cleared = run("users", "unthrottle", "DP@example.test")
    assert cleared.exit_code == 0, cleared.output
    assert "đã xoá lượt đăng nhập sai" in cleared.output
    again = run("users", "unthrottle", "dp@example.test")
    assert again.exit_code == 0 and "không bị giãn cách" in again.output
    assert throttle.reserve(factory, [(key, throttle.ACCOUNT)], 1002.0).allowed
    assert run("users", "unthrottle", "ai@example.test").exit_code != 0
    with factory() as session:
        ob = session.scalars(select(ObligationRow.id).order_by(ObligationRow.id)).first()
        actions = list(session.scalars(select(AuditRow.action).where(
            AuditRow.entity_id == "dp@example.test")))
        assert session.get(LoginThrottleRow, key) is not None  # the attempt after the reset
    assert actions.count("user.login_backoff_cleared") == 2
    at = ["--at", "2026-03-02"]
    bare = run("obligation", "done", str(ob), "--as", "dp@example.test", "--note", "x", *at)
    assert bare.exit_code != 0 and "lý do nộp thay" in bare.output
    done = run("obligation", "done", str(ob), "--as", "dp@example.test", "--note", "x",
               "--on-behalf-reason", "Đơn vị gửi văn bản giấy", *at)
    assert done.exit_code == 0, done.output
    with transaction(factory) as session:
        reason = session.scalars(select(SubmissionRow.on_behalf_reason)).one()
    assert reason == "Đơn vị gửi văn bản giấy"
    own = run("obligation", "accept", str(ob), "--as", "dp@example.test", *at)
    assert own.exit_code != 0 and "tự chấp nhận" in own.output
