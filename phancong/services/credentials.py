"""An account's credentials besides its password: the API token, the calendar-feed token and
one-time login links — issued (shown once), stored only as digests, looked up to the account
they name. Accounts themselves are :mod:`phancong.services.accounts`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from phancong.adapters.orm import LoginLinkRow, UserRow
from phancong.services import throttle
from phancong.services.accounts import audit_user, get_user, token_digest
from phancong.services.errors import Refused

API_TOKEN_PREFIX = "pca_"  # noqa: S105 - a prefix, not a secret
FEED_TOKEN_PREFIX = "pcf_"  # noqa: S105


def _issue(session: Session, email: str, kind: str, now: dt.datetime, actor: str) -> str:
    """A new token of ``kind`` (``api`` or ``feed``) for the active account ``email``; only its
    digest is kept, so the previous token of that kind stops working."""
    user = get_user(session, email)
    if not user.active:
        raise Refused(f"Tài khoản '{user.email}' đã bị khóa", f"Account '{user.email}' is disabled")
    prefix = API_TOKEN_PREFIX if kind == "api" else FEED_TOKEN_PREFIX
    token = prefix + secrets.token_urlsafe(32)
    setattr(user, f"{kind}_token_hash", token_digest(token))
    audit_user(session, user, actor, f"user.{kind}_token_issued", now)
    return token


def issue_api_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> str:
    """A new API token (shown once); the previous one stops working."""
    return _issue(session, email, "api", now, actor)


def issue_feed_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> str:
    """A new private calendar-feed token (shown once); the previous feed URL stops working."""
    return _issue(session, email, "feed", now, actor)


def revoke_feed_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> None:
    user = get_user(session, email)
    user.feed_token_hash = None
    audit_user(session, user, actor, "user.feed_token_revoked", now)


def _user_by_digest(session: Session, column: Any, token: str, prefix: str) -> UserRow | None:
    if not token or not token.startswith(prefix) or len(token) > 200:
        return None
    user = session.scalars(select(UserRow).where(column == token_digest(token))).first()
    return user if user is not None and user.active else None


@lru_cache(maxsize=1)
def _api_token_owner_query() -> Any:
    return select(
        UserRow.api_token_hash,
        UserRow.id,
        UserRow.email,
        UserRow.name,
        UserRow.role,
        UserRow.plan_id,
        UserRow.unit_code,
        UserRow.language,
    ).where(
        UserRow.api_token_hash.in_(bindparam("digests", expanding=True)),
        UserRow.active.is_(True),
    )


TokenOwner = tuple[int, str, str, str, str | None, str | None, str]


def is_api_token(token: str) -> bool:
    """Whether ``token`` has the form of an API token (no database needed to refuse one)."""
    return bool(token) and token.startswith(API_TOKEN_PREFIX) and len(token) <= 200


def api_token_owner(session: Session, token: str) -> TokenOwner | None:
    """(id, email, name, role, plan_id, unit_code, language) of an API token's active owner.

    Columns rather than the ORM row: the API asks this on every request.
    """
    return api_token_owners(session, [token]).get(token)


def api_token_owners(session: Session, tokens: Sequence[str]) -> dict[str, TokenOwner]:
    """:func:`api_token_owner` for several tokens in one query: the tokens that have one."""
    digests = {token_digest(token): token for token in tokens if is_api_token(token)}
    if not digests:
        return {}
    rows = session.connection().execute(_api_token_owner_query(), {"digests": list(digests)})
    return {digests[row[0]]: cast(TokenOwner, tuple(row[1:])) for row in rows}


def user_for_feed_token(session: Session, token: str) -> UserRow | None:
    return _user_by_digest(session, UserRow.feed_token_hash, token, FEED_TOKEN_PREFIX)


class InvalidLink(Refused):
    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            "Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn",
            "The login link is invalid, already used or expired",
        )


@dataclass(frozen=True)
class LinkGrant:
    nonce: str
    user_id: int
    expires_at: dt.datetime


def create_login_nonce(
    session: Session, user: UserRow, *, ttl: dt.timedelta, now: dt.datetime
) -> LinkGrant:
    """Record a one-time nonce for ``user``; only its digest is stored."""
    if not user.active:
        raise Refused(f"Tài khoản '{user.email}' đã bị khóa", f"Account '{user.email}' is disabled")
    if ttl <= dt.timedelta(0) or ttl > dt.timedelta(days=30):
        raise Refused(
            "Thời hạn liên kết phải từ vài phút đến 30 ngày",
            "A link's lifetime must be positive and at most 30 days",
        )
    nonce = secrets.token_urlsafe(32)
    expires = now + ttl
    session.add(LoginLinkRow(nonce=token_digest(nonce), user_id=user.id, expires_at=expires))
    session.flush()
    return LinkGrant(nonce, user.id, expires)


def _link_row(session: Session, nonce: str, now: dt.datetime) -> tuple[LoginLinkRow, UserRow]:
    if not nonce or len(nonce) > 100:
        raise InvalidLink()
    row = session.scalars(
        select(LoginLinkRow).where(LoginLinkRow.nonce == token_digest(nonce))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidLink()
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise InvalidLink()
    return row, user


def check_login_nonce(session: Session, nonce: str, *, now: dt.datetime) -> UserRow:
    """The user a still-valid nonce belongs to, without using it up."""
    return _link_row(session, nonce, now)[1]


def consume_login_nonce(session: Session, nonce: str, *, now: dt.datetime) -> UserRow:
    """Use a nonce up (once) and return its user; refuses unknown, used or expired nonces.

    The conditional UPDATE makes two concurrent uses of one link yield one login.
    """
    _, user = _link_row(session, nonce, now)
    result = session.execute(
        update(LoginLinkRow)
        .where(LoginLinkRow.nonce == token_digest(nonce), LoginLinkRow.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise InvalidLink()
    audit_user(session, user, user.email, "user.login_link_used", now)
    throttle.clear_account(session, user.email)  # the holder proved it: no back-off left
    return user
