"""Portal accounts: users, roles, argon2 passwords, hashed API/feed tokens, one-time login nonces.

Secrets never rest in the database in the clear: passwords are argon2 hashes, API and feed tokens
and login-link nonces are SHA-256 digests; the clear value is shown once, when it is issued.
Every change writes an audit entry (entity ``user``) in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from phancong.adapters.orm import LoginLinkRow, PlanRow, UnitRow, UserRow
from phancong.services import throttle
from phancong.services.audit import record
from phancong.services.errors import Conflict, NotFound, Refused

ROLES = ("agency", "coordinator", "viewer")
LANGUAGES = ("vi", "en")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
API_TOKEN_PREFIX = "pca_"  # noqa: S105 - a prefix, not a secret
FEED_TOKEN_PREFIX = "pcf_"  # noqa: S105
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "password123",
        "password12",
        "matkhau123",
        "matkhau1234",
        "abcdefghij",
        "admin12345",
        "administrator",
        "phancong123",
        "1111111111",
        "0000000000",
        "iloveyou12",
        "qwerty12345",
        "changeme123",
    }
)


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """argon2id with the library's (RFC 9106 low-memory) parameters; built on first use."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise Refused(
            f"Địa chỉ email không hợp lệ: '{email}'", f"Not a valid email address: '{email}'"
        )
    return value


def check_password(password: str, email: str = "") -> None:
    """Refuse weak passwords: shorter than 10 characters, well known, or the email itself."""
    if len(password) < MIN_PASSWORD:
        raise Refused(
            f"Mật khẩu quá ngắn (tối thiểu {MIN_PASSWORD} ký tự)",
            f"Password too short (at least {MIN_PASSWORD} characters)",
        )
    if len(password) > MAX_PASSWORD:
        raise Refused("Mật khẩu quá dài", "Password too long")
    lowered = password.lower()
    local = email.split("@", 1)[0].lower() if email else ""
    if (
        lowered in COMMON_PASSWORDS
        or len(set(password)) < 4
        or (local and lowered in (local, email.lower()))
    ):
        raise Refused("Mật khẩu quá dễ đoán", "Password too easy to guess")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


def _audit(
    session: Session,
    user: UserRow,
    actor: str,
    action: str,
    at: dt.datetime,
    after: dict[str, Any] | None = None,
) -> None:
    record(session, at=at, actor=actor, action=action, plan_id=user.plan_id, entity="user",
           entity_id=user.email, after=after)


def _describe(user: UserRow) -> dict[str, Any]:
    return {
        "role": user.role,
        "plan_id": user.plan_id,
        "unit_code": user.unit_code,
        "language": user.language,
        "active": user.active,
    }


# ----------------------------------------------------------------------------- users


def find_user(session: Session, email: str) -> UserRow | None:
    try:
        value = normalize_email(email)
    except Refused:
        return None
    return session.scalars(select(UserRow).where(UserRow.email == value)).first()


def get_user(session: Session, email: str) -> UserRow:
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"Không có tài khoản '{email}'", f"No account '{email}'")
    return user


def list_users(session: Session, plan_id: str | None = None) -> list[UserRow]:
    query = select(UserRow).order_by(UserRow.plan_id, UserRow.role, UserRow.email)
    if plan_id:
        query = query.where(UserRow.plan_id == plan_id)
    return list(session.scalars(query))


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    now: dt.datetime,
    plan_id: str | None = None,
    unit_code: str | None = None,
    language: str = "vi",
    password: str | None = None,
    actor: str = "system",
) -> UserRow:
    """Create an account. Agency users belong to one unit of one plan; others may span plans."""
    email = normalize_email(email)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise Refused(
            "Cần có họ tên (tối đa 200 ký tự)", "A name is required (at most 200 characters)"
        )
    if role not in ROLES:
        raise Refused(
            f"Vai trò '{role}' không hợp lệ (agency, coordinator, viewer)",
            f"Unknown role '{role}' (agency, coordinator, viewer)",
        )
    if language not in LANGUAGES:
        raise Refused(
            f"Ngôn ngữ '{language}' không hỗ trợ (vi, en)", f"Unsupported language '{language}'"
        )
    if plan_id is not None and session.get(PlanRow, plan_id) is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    if role == "agency":
        if not plan_id or not unit_code:
            raise Refused(
                "Tài khoản đơn vị cần --plan và --unit", "An agency account needs --plan and --unit"
            )
        unit = session.scalars(
            select(UnitRow).where(UnitRow.plan_id == plan_id, UnitRow.code == unit_code)
        ).first()
        if unit is None:
            raise NotFound(
                f"Kế hoạch '{plan_id}' không có đơn vị '{unit_code}'",
                f"Plan '{plan_id}' has no unit '{unit_code}'",
            )
    elif unit_code:
        raise Refused(
            "Chỉ tài khoản đơn vị (agency) mới gắn với một đơn vị",
            "Only agency accounts belong to a unit",
        )
    if find_user(session, email) is not None:
        raise Conflict(f"Tài khoản '{email}' đã tồn tại", f"Account '{email}' already exists")
    password_hash = None
    if password is not None:
        check_password(password, email)
        password_hash = hasher().hash(password)
    user = UserRow(
        email=email,
        name=name,
        role=role,
        plan_id=plan_id,
        unit_code=unit_code,
        language=language,
        password_hash=password_hash,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, user, actor, "user.created", now, _describe(user))
    return user


def set_password(
    session: Session, email: str, password: str, *, now: dt.datetime, actor: str = "system"
) -> UserRow:
    user = get_user(session, email)
    check_password(password, user.email)
    user.password_hash = hasher().hash(password)
    _audit(session, user, actor, "user.password_set", now)
    end_sessions(session, user, now=now, actor=actor)
    return user


def change_password(
    session: Session,
    email: str,
    *,
    current: str | None,
    new: str,
    again: str,
    now: dt.datetime,
) -> UserRow:
    """The account holder changes their own password; every session of the account ends (the
    portal signs the caller's own in again).

    ``current`` is required when the account has a password; None skips the check (a session
    opened by a one-time login link within the hour, see the portal). Raises Refused with a
    message for the person: wrong current password, the two new ones differ, too weak.
    """
    user = get_user(session, email)
    if current is not None and user.password_hash is not None:
        try:
            hasher().verify(user.password_hash, current)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise Refused("Mật khẩu hiện tại không đúng", "The current password is wrong") from None
    if new != again:
        raise Refused(
            "Hai lần nhập mật khẩu mới không khớp nhau", "The two new passwords differ"
        )
    check_password(new, user.email)
    if current is not None and new == current:
        raise Refused(
            "Mật khẩu mới phải khác mật khẩu hiện tại",
            "The new password must differ from the current one",
        )
    user.password_hash = hasher().hash(new)
    _audit(session, user, user.email, "user.password_changed", now)
    end_sessions(session, user, now=now, actor=user.email)  # every session, this one too
    return user


def clear_login_backoff(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> bool:
    """A coordinator lets the account holder try their password again at once (failed logins
    forgotten); True when there was a back-off to clear."""
    user = get_user(session, email)
    cleared = throttle.clear_account(session, user.email)
    _audit(session, user, actor, "user.login_backoff_cleared", now, {"cleared": cleared})
    return cleared


def end_sessions(
    session: Session, user: UserRow, *, now: dt.datetime, actor: str = "system"
) -> int:
    """End every session of ``user`` (their cookies carry the old epoch) and revoke every
    outstanding login link; returns how many links were revoked. Nothing revives them: the
    epoch only grows and a revoked link stays used."""
    user.session_epoch = (user.session_epoch or 0) + 1
    result = session.execute(
        update(LoginLinkRow)
        .where(
            LoginLinkRow.user_id == user.id,
            LoginLinkRow.used_at.is_(None),
            LoginLinkRow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    revoked = int(getattr(result, "rowcount", 0) or 0)
    _audit(session, user, actor, "user.sessions_ended", now, {"links_revoked": revoked})
    return revoked


def set_active(
    session: Session, email: str, active: bool, *, now: dt.datetime, actor: str = "system"
) -> UserRow:
    user = get_user(session, email)
    user.active = active
    if not active:  # a disabled account keeps no working credential
        user.api_token_hash = None
        user.feed_token_hash = None
    _audit(session, user, actor, "user.enabled" if active else "user.disabled", now)
    end_sessions(session, user, now=now, actor=actor)  # enabling again revives none of them
    return user


def authenticate(session: Session, email: str, password: str) -> UserRow | None:
    """The active user whose password matches, else None (same work whether or not they exist)."""
    user = find_user(session, email)
    stored = user.password_hash if user is not None and user.active else None
    if not password or len(password) > MAX_PASSWORD:
        return None
    try:
        hasher().verify(stored or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or stored is None:
        return None
    if hasher().check_needs_rehash(stored):
        user.password_hash = hasher().hash(password)
    return user


def password_version(user: UserRow) -> str:
    """Changes when the password changes or the account's sessions are ended (logout,
    disabling, enabling: :func:`end_sessions`), so sessions opened before stop working."""
    material = f"{user.password_hash or '-'}|{user.session_epoch or 0}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- tokens


def issue_api_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> str:
    """A new API token (shown once); the previous one stops working."""
    user = get_user(session, email)
    if not user.active:
        raise Refused(f"Tài khoản '{user.email}' đã bị khóa", f"Account '{user.email}' is disabled")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = token_digest(token)
    _audit(session, user, actor, "user.api_token_issued", now)
    return token


def issue_feed_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> str:
    """A new private calendar-feed token (shown once); the previous feed URL stops working."""
    user = get_user(session, email)
    if not user.active:
        raise Refused(f"Tài khoản '{user.email}' đã bị khóa", f"Account '{user.email}' is disabled")
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.feed_token_hash = token_digest(token)
    _audit(session, user, actor, "user.feed_token_issued", now)
    return token


def revoke_feed_token(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> None:
    user = get_user(session, email)
    user.feed_token_hash = None
    _audit(session, user, actor, "user.feed_token_revoked", now)


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


# ----------------------------------------------------------------------------- login links


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
    _audit(session, user, user.email, "user.login_link_used", now)
    throttle.clear_account(session, user.email)  # the holder proved it: no back-off left
    return user
