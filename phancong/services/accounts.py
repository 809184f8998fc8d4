"""Portal accounts: users, roles, argon2 passwords (their tokens and login links: credentials.py).

Secrets never rest in the database in the clear: passwords are argon2 hashes, API and feed tokens
and login-link nonces are SHA-256 digests; the clear value is shown once, when it is issued.
Every change writes an audit entry (entity ``user``) in the caller's transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
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


def audit_user(
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
    audit_user(session, user, actor, "user.created", now, _describe(user))
    return user


def set_password(
    session: Session, email: str, password: str, *, now: dt.datetime, actor: str = "system"
) -> UserRow:
    user = get_user(session, email)
    check_password(password, user.email)
    user.password_hash = hasher().hash(password)
    audit_user(session, user, actor, "user.password_set", now)
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
    audit_user(session, user, user.email, "user.password_changed", now)
    end_sessions(session, user, now=now, actor=user.email)  # every session, this one too
    return user


def clear_login_backoff(
    session: Session, email: str, *, now: dt.datetime, actor: str = "system"
) -> bool:
    """A coordinator lets the account holder try their password again at once (failed logins
    forgotten); True when there was a back-off to clear."""
    user = get_user(session, email)
    cleared = throttle.clear_account(session, user.email)
    audit_user(session, user, actor, "user.login_backoff_cleared", now, {"cleared": cleared})
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
    audit_user(session, user, actor, "user.sessions_ended", now, {"links_revoked": revoked})
    return revoked


def set_active(
    session: Session, email: str, active: bool, *, now: dt.datetime, actor: str = "system"
) -> UserRow:
    user = get_user(session, email)
    user.active = active
    if not active:  # a disabled account keeps no working credential
        user.api_token_hash = None
        user.feed_token_hash = None
    audit_user(session, user, actor, "user.enabled" if active else "user.disabled", now)
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
