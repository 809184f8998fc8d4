"""Portal addresses for emails: plain obligation pages and signed one-time login links.

Used by the portal, the CLI and the login-link email (:mod:`phancong.services.login_mail`).
A login link is ``{portal_url}/login/link/{token}``, where the token is an itsdangerous-signed,
timestamped payload carrying a random nonce (its SHA-256 is stored in ``login_links``, used
once) and the local path to land on after login.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.services import accounts, credentials
from phancong.services.errors import NotFound
from phancong.services.notices import obligation_link
from phancong.settings import Settings

LINK_SALT = "phancong.login-link"
DEFAULT_TTL = dt.timedelta(days=7)
MAX_TTL = dt.timedelta(days=30)


def serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=LINK_SALT)


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a path on this site (no scheme, host or backslash), else ``default``."""
    if not value or len(value) > 1000 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def base_url(settings: Settings) -> str:
    return settings.portal_url.rstrip("/")


def obligation_url(settings: Settings, obligation_id: int) -> str:
    """The obligation's page on the configured portal (:func:`obligation_link`, the one builder
    emails and tables use too); an anonymous visitor is sent to log in and then comes back."""
    return obligation_link(settings.portal_url, int(obligation_id))


def login_link(
    settings: Settings,
    factory_or_session: sessionmaker[Session] | Session,
    user_email: str,
    next_path: str | None = None,
    ttl: dt.timedelta | float = DEFAULT_TTL,
    *,
    now: dt.datetime | None = None,
) -> str:
    """A one-time signed login link for ``user_email`` landing on ``next_path`` (a local path).

    With a Session the nonce is written in the caller's transaction (the email and the link
    commit together); with a sessionmaker it is committed here. ``ttl`` in seconds or a timedelta.
    """
    lifetime = ttl if isinstance(ttl, dt.timedelta) else dt.timedelta(seconds=ttl)
    lifetime = min(lifetime, MAX_TTL)
    instant = now or dt.datetime.now(dt.UTC)
    target = safe_next(next_path)

    def grant(session: Session) -> str:
        user = accounts.find_user(session, user_email)
        if user is None:
            raise NotFound(f"Không có tài khoản '{user_email}'", f"No account '{user_email}'")
        return credentials.create_login_nonce(session, user, ttl=lifetime, now=instant).nonce

    if isinstance(factory_or_session, Session):
        nonce = grant(factory_or_session)
    else:
        with transaction(factory_or_session) as session:
            nonce = grant(session)
    token = serializer(settings.signing_key()).dumps({"n": nonce, "p": target})
    return f"{base_url(settings)}/login/link/{token}"


def obligation_login_link(
    settings: Settings,
    factory_or_session: sessionmaker[Session] | Session,
    user_email: str,
    obligation_id: int,
    ttl: dt.timedelta | float = DEFAULT_TTL,
    *,
    now: dt.datetime | None = None,
) -> str:
    """A signed login link that lands on the obligation's page."""
    return login_link(
        settings, factory_or_session, user_email, f"/obligations/{int(obligation_id)}", ttl, now=now
    )
