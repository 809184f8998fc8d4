"""Who a signed-in browser is, ending an account's sessions, and the login links already sent.

A portal session carries a user id and the account's password version
(:func:`phancong.services.accounts.password_version`); it is worth a principal only while the
account is active and that version is unchanged (a new password, a logout everywhere, disabling
and enabling all change it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import LoginLinkRow, UserRow
from phancong.domain.access import Principal
from phancong.services import accounts
from phancong.services.access import principal_of


def session_principal(session: Session, user_id: int, version: str) -> Principal | None:
    """The principal of a portal session, or ``None`` when the session no longer counts."""
    user = session.get(UserRow, user_id)
    if user is None or not user.active or accounts.password_version(user) != version:
        return None
    return principal_of(user)


def log_out_everywhere(session: Session, user_id: int, *, now: dt.datetime) -> None:
    """The user ends every session and login link of their own account (nothing if the account
    is gone); recorded with the user as the actor."""
    user = session.get(UserRow, user_id)
    if user is not None:
        accounts.end_sessions(session, user, now=now, actor=user.email)


def login_link_sent_recently(session: Session, user_id: int, *, now: dt.datetime,
                             ttl: dt.timedelta, within: dt.timedelta) -> bool:
    """Whether an unused login link valid for ``ttl`` was issued to the user less than
    ``within`` before ``now``."""
    return session.scalar(
        select(LoginLinkRow.nonce).where(
            LoginLinkRow.user_id == user_id,
            LoginLinkRow.used_at.is_(None),
            LoginLinkRow.expires_at > now + ttl - within,
        )
    ) is not None


def people_names(session: Session, emails: set[str]) -> dict[str, str]:
    """Account names by email, for showing people by name rather than by address."""
    if not emails:
        return {}
    rows = session.execute(select(UserRow.email, UserRow.name).where(UserRow.email.in_(emails)))
    return {email: name for email, name in rows if name}


def account_has(session: Session, user_id: int) -> tuple[bool, bool]:
    """Whether the account has a calendar feed token, and a password."""
    row = session.get(UserRow, user_id)
    return bool(row and row.feed_token_hash), bool(row and row.password_hash)
