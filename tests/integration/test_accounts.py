"""The accounts service: users, password hashes, hashed tokens, one-time login nonces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.adapters.orm import AuditRow, LoginLinkRow, UserRow
from phancong.services import accounts, credentials
from phancong.services.errors import Conflict, NotFound, Refused
from tests.portal_support import fast_hasher, seed_ledger

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
GOOD = "một mật khẩu đủ dài 2026"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    factory = seed_ledger(database_url, through=dt.date(2026, 12, 31), now=NOW)
    yield factory
    factory.kw["bind"].dispose()


def add(session: Session, email: str = "Sgd@Example.Test", **kw: object) -> UserRow:
    values: dict[str, object] = {
        "name": "Sở GD&ĐT",
        "role": "agency",
        "plan_id": "mini",
        "unit_code": "sgd",
        "password": GOOD,
        "now": NOW,
    }
    values.update(kw)
    return accounts.add_user(session, email=email, **values)  # type: ignore[arg-type]


def test_add_user_normalises_and_hashes(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        user = add(session)
        assert user.email == "sgd@example.test"
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert GOOD not in user.password_hash
    with factory() as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.entity == "user")).all()
        assert [a.action for a in audit] == ["user.created"]
        assert accounts.authenticate(session, "SGD@example.test", GOOD) is not None
        assert accounts.authenticate(session, "sgd@example.test", GOOD + "x") is None
        assert accounts.authenticate(session, "nobody@example.test", GOOD) is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"password": "ngắn"}, Refused),
        ({"password": "1234567890"}, Refused),
        ({"password": "aaaaaaaaaaaa"}, Refused),
        ({"role": "admin"}, Refused),
        ({"unit_code": None}, Refused),
        ({"unit_code": "ward-99999"}, NotFound),
        ({"plan_id": "no-such-plan"}, NotFound),
        ({"role": "viewer", "unit_code": "sgd"}, Refused),
        ({"email": "not-an-email"}, Refused),
        ({"language": "fr"}, Refused),
        ({"name": " "}, Refused),
    ],
)
def test_add_user_refusals(
    factory: sessionmaker[Session], kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error), transaction(factory) as session:
        add(session, **kwargs)  # type: ignore[arg-type]


def test_duplicate_and_email_as_password(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        add(session)
    with pytest.raises(Conflict), transaction(factory) as session:
        add(session, email="sgd@example.test")
    with pytest.raises(Refused, match="dễ đoán"), transaction(factory) as session:
        add(session, email="lanhdao@example.test", password="lanhdao@example.test")


def test_coordinator_without_plan_sees_all(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        user = add(
            session, email="tt@example.test", role="coordinator", plan_id=None, unit_code=None
        )
        assert user.plan_id is None


def test_tokens_stored_as_digests_and_revocable(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        add(session)
        api = credentials.issue_api_token(session, "sgd@example.test", now=NOW)
        feed = credentials.issue_feed_token(session, "sgd@example.test", now=NOW)
    with factory() as session:
        row = session.scalars(select(UserRow)).one()
        assert row.api_token_hash == accounts.token_digest(api) != api
        assert row.feed_token_hash == accounts.token_digest(feed)
        assert credentials.api_token_owner(session, api) is not None
        assert credentials.api_token_owner(session, feed) is None  # wrong kind of token
        assert credentials.user_for_feed_token(session, feed) is not None
    with transaction(factory) as session:
        new_api = credentials.issue_api_token(session, "sgd@example.test", now=NOW)
        credentials.revoke_feed_token(session, "sgd@example.test", now=NOW)
    with factory() as session:
        assert credentials.api_token_owner(session, api) is None
        assert credentials.api_token_owner(session, new_api) is not None
        assert credentials.user_for_feed_token(session, feed) is None
    with transaction(factory) as session:
        accounts.set_active(session, "sgd@example.test", False, now=NOW)
    with factory() as session:
        assert credentials.api_token_owner(session, new_api) is None
        assert accounts.authenticate(session, "sgd@example.test", GOOD) is None


def test_login_nonce_single_use_and_expiry(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        user = add(session)
        grant = credentials.create_login_nonce(session, user, ttl=dt.timedelta(hours=1), now=NOW)
        short = credentials.create_login_nonce(session, user, ttl=dt.timedelta(minutes=5), now=NOW)
    with factory() as session:
        stored = session.scalars(select(LoginLinkRow.nonce)).all()
        assert grant.nonce not in stored
        assert accounts.token_digest(grant.nonce) in stored
    with transaction(factory) as session:
        assert (
            credentials.consume_login_nonce(session, grant.nonce, now=NOW).email == "sgd@example.test"
        )
    with pytest.raises(credentials.InvalidLink), transaction(factory) as session:
        credentials.consume_login_nonce(session, grant.nonce, now=NOW)
    with pytest.raises(credentials.InvalidLink), transaction(factory) as session:
        credentials.consume_login_nonce(session, short.nonce, now=NOW + dt.timedelta(minutes=6))
    with pytest.raises(credentials.InvalidLink), transaction(factory) as session:
        credentials.consume_login_nonce(session, "made-up", now=NOW)
    with pytest.raises(Refused), transaction(factory) as session:
        credentials.create_login_nonce(
            session,
            session.get(UserRow, user.id),  # type: ignore[arg-type]
            ttl=dt.timedelta(days=90),
            now=NOW,
        )


def test_password_change_changes_session_version(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as session:
        user = add(session)
        before = accounts.password_version(user)
        accounts.set_password(session, "sgd@example.test", "một mật khẩu khác 2027", now=NOW)
        assert accounts.password_version(user) != before
        with pytest.raises(Refused):
            accounts.set_password(session, "sgd@example.test", "short", now=NOW)
