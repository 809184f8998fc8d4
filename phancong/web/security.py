"""Sessions, CSRF, the login rate limit, client addresses (the request-size cap and the security
headers are :mod:`phancong.web.middleware`).

* Session: Starlette's signed cookie (itsdangerous), HttpOnly, SameSite=Lax, Secure on https or in
  production, 8 h idle; it holds the user id, a password version (a digest of the password hash
  and the account's session epoch: a password change, logout, disabling or enabling ends every
  session opened before, on the server), the login time (24 h absolute), the CSRF token and the
  chosen language.
* Device cookie: signed, long-lived, no credential — which account this browser logged in to,
  so the login back-off of an attacker's failures does not keep that account's holder out.
* CSRF: one random token per session, in a hidden ``csrf_token`` field of every form and
  compared in constant time on every POST of the HTML routers (the bearer-token API is exempt).
* Login throttle: a back-off per account and per client address, kept in the ledger (shared by
  every portal process) and reserved before the password hash (:mod:`phancong.services.throttle`).
* Proxy headers are believed only from the proxies named in ``PHANCONG_TRUSTED_PROXIES``.
"""
from __future__ import annotations

import base64
import hmac
import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from phancong.adapters.db import transaction
from phancong.services import throttle

log = logging.getLogger(__name__)


SESSION_IDLE = 8 * 3600
SESSION_ABSOLUTE = 24 * 3600


CSRF_FIELD = "csrf_token"


class CsrfError(Exception):
    """A POST form without the session's CSRF token."""


class LoginRequired(Exception):
    """An anonymous visitor asked for a page; they are sent to /login?next=…"""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _session_csrf(request: Request) -> str:
    token = request.session.get("c")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["c"] = token
    return token


def csrf_token(request: Request) -> str:
    """The session's CSRF token, masked afresh for each page (so compressed pages leak nothing)."""
    raw = _session_csrf(request).encode()
    mask = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(
        mask + bytes(a ^ b for a, b in zip(raw, mask, strict=True))
    ).decode()


def _unmask(value: str) -> bytes | None:
    try:
        data = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    if len(data) % 2 or not data:
        return None
    half = len(data) // 2
    mask, masked = data[:half], data[half:]
    return bytes(a ^ b for a, b in zip(masked, mask, strict=True))


async def csrf_protect(request: Request) -> None:
    """Router dependency: every POST must carry the session's token in ``csrf_token``."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    expected = request.session.get("c")
    sent: Any = None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str) or not sent or len(sent) > 200:
        raise CsrfError()
    unmasked = _unmask(sent)
    if unmasked is None or not hmac.compare_digest(expected.encode(), unmasked):
        raise CsrfError()


def start_session(request: Request, user_id: int, password_version: str) -> None:
    """A fresh session for a user who just proved who they are (new CSRF token: no fixation)."""
    lang = request.session.get("l")
    request.session.clear()
    request.session.update(
        {"u": user_id, "v": password_version, "t": int(time.time()), "c": secrets.token_urlsafe(32)}
    )
    if isinstance(lang, str):
        request.session["l"] = lang


def end_session(request: Request) -> None:
    lang = request.session.get("l")
    request.session.clear()
    if isinstance(lang, str):
        request.session["l"] = lang


def session_user(request: Request) -> tuple[int, str] | None:
    """(user id, password version) of a live session, or None."""
    session = request.session
    uid, version, started = session.get("u"), session.get("v"), session.get("t")
    if not isinstance(uid, int) or not isinstance(version, str) or not isinstance(started, int):
        return None
    if time.time() - started > SESSION_ABSOLUTE:
        return None
    return uid, version


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


_FORWARDING = ("x-forwarded-for", "forwarded", "x-real-ip")


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(value: str, proxies: Sequence[Network]) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in proxies)


def client_address(request: Request, proxies: Sequence[Network]) -> str | None:
    """The client's own address, or None when the portal cannot know it.

    A request from a proxy named in ``PHANCONG_TRUSTED_PROXIES`` is from the right-most
    ``X-Forwarded-For`` entry that is not itself a trusted proxy (None if there is none: the
    proxy's own address is shared by all its clients). Any other peer is the client, whatever
    proxy headers it writes: those are believed from named proxies only.
    """
    peer = request.client.host if request.client else None
    if peer is None:
        return None
    if not _trusted(peer, proxies):
        if _FORWARDING_WARNED.is_set() or not any(h in request.headers for h in _FORWARDING):
            return peer
        _FORWARDING_WARNED.set()
        log.warning(
            "a request from %s carries proxy headers, which are ignored: if the portal is behind "
            "a reverse proxy, name it in PHANCONG_TRUSTED_PROXIES (every client now shares its "
            "address)",
            peer,
        )
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        address = _address(hop)
        if address is None:
            return None
        if not _trusted(hop, proxies):
            return str(address)
    return None


_FORWARDING_WARNED = threading.Event()


class LoginThrottle:
    """The login back-off of :mod:`phancong.services.throttle`, kept in the ledger.

    ``clock`` gives epoch seconds (a test moves it); the state is shared by every process on
    the same database.
    """

    def __init__(
        self, factory: sessionmaker[Session], clock: Callable[[], float] = time.time
    ) -> None:
        self.factory = factory
        self.clock = clock
        self._count = 0
        self._lock = threading.Lock()

    @staticmethod
    def keys(
        email: str, address: str | None, device: str | None = None
    ) -> list[tuple[str, throttle.Policy]]:
        """A browser that logged in to this account before (``device``) has a back-off of its
        own and none of the account's or the address's, so an attacker cannot keep the account's
        holder out; any other attempt counts against the account and the client's address."""
        if device is not None:
            return [(throttle.device_key(device), throttle.ACCOUNT)]
        keys = [(throttle.account_key(email), throttle.ACCOUNT)]
        if address is not None:
            keys.append((throttle.address_key(address), throttle.ADDRESS))
        return keys

    def reserve(
        self, email: str, address: str | None, device: str | None = None
    ) -> throttle.Reservation:
        """Count this attempt before the password is checked, or refuse it."""
        now = self.clock()
        with self._lock:
            self._count += 1
            prune = self._count % 500 == 0
        if prune:
            with transaction(self.factory) as session:
                throttle.prune(session, now)
        return throttle.reserve(self.factory, self.keys(email, address, device), now)

    def succeeded(self, email: str, address: str | None, device: str | None = None) -> None:
        """The reserved attempt was right: the account (and the device) start afresh, the
        address gets its attempt back."""
        clear = [throttle.account_key(email)]
        refund: list[tuple[str, throttle.Policy]] = []
        if device is not None:
            clear.append(throttle.device_key(device))
        elif address is not None:
            refund.append((throttle.address_key(address), throttle.ADDRESS))
        throttle.release(self.factory, clear, refund)


DEVICE_SALT = "phancong.device"
DEVICE_AGE = 180 * 24 * 3600


def device_cookie_name(secure: bool) -> str:
    return "__Host-phancong-device" if secure else "phancong_device"


def read_device(request: Request, secret: str, secure: bool) -> tuple[int, str] | None:
    """(user id, device id) of the signed device cookie a past login left, or None."""
    value = request.cookies.get(device_cookie_name(secure))
    if not value or len(value) > 300:
        return None
    try:
        data = URLSafeTimedSerializer(secret, salt=DEVICE_SALT).loads(value, max_age=DEVICE_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    user_id, device = data.get("u"), data.get("d")
    if not isinstance(user_id, int) or not isinstance(device, str) or len(device) > 40:
        return None
    return user_id, device


def remember_device(
    response: Response, secret: str, secure: bool, user_id: int, device: str | None
) -> None:
    """Mark this browser as one the user logged in from (see :meth:`LoginThrottle.keys`)."""
    value = URLSafeTimedSerializer(secret, salt=DEVICE_SALT).dumps(
        {"u": user_id, "d": device or secrets.token_urlsafe(18)}
    )
    response.set_cookie(
        device_cookie_name(secure),
        value,
        max_age=DEVICE_AGE,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
