"""Sessions, CSRF, the login rate limit, request-size cap and security headers.

* Session: Starlette's signed cookie (itsdangerous), HttpOnly, SameSite=Lax, Secure on https or in
  production, 8 h idle; it holds the user id, a password version (changing the password ends
  old sessions), the login time (24 h absolute), the CSRF token and the chosen language.
* CSRF: one random token per session, in a hidden ``csrf_token`` field of every form and
  compared in constant time on every POST of the HTML routers (the bearer-token API is exempt).
* Login rate limit: an in-process sliding window of failures per (client IP, email) and per IP.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_IDLE = 8 * 3600
SESSION_ABSOLUTE = 24 * 3600
CSRF_FIELD = "csrf_token"
BODY_LIMIT = 64 * 1024
UPLOAD_OVERHEAD = 1024 * 1024  # a multipart body's fields and boundaries beyond its files


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


class LoginLimiter:
    """Sliding-window count of failed logins; thread-safe, bounded memory.

    ``max_failures`` per (ip, email) and ``max_per_ip`` per ip within ``window`` seconds; while
    either is reached, further attempts are refused before the password is even checked.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 900.0,
        max_per_ip: int = 50,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_per_ip = max_per_ip
        self.clock = clock
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def blocked(self, ip: str, email: str) -> bool:
        now = self.clock()
        with self._lock:
            return (
                len(self._recent((ip, email.lower()), now)) >= self.max_failures
                or len(self._recent((ip, "*"), now)) >= self.max_per_ip
            )

    def failure(self, ip: str, email: str) -> None:
        now = self.clock()
        with self._lock:
            for key in ((ip, email.lower()), (ip, "*")):
                times = self._failures.setdefault(key, deque())
                times.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def success(self, ip: str, email: str) -> None:
        with self._lock:
            self._failures.pop((ip, email.lower()), None)


UPLOAD_PATHS = re.compile(r"^/(api/)?obligations/\d{1,10}/(submit|submit-files)$")


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, before any handler parses them.

    A multipart submission (the routes of ``UPLOAD_PATHS``) may carry report files up to
    ``upload_limit`` bytes: its body is not held here but passed on as it arrives (the form
    parser spools files to disk), counted, and answered 413 as soon as the count passes the
    limit — the rest is never read. A declared Content-Length over the limit is refused before
    any byte of the body is read.
    """

    def __init__(self, app: ASGIApp, limit: int = BODY_LIMIT, upload_limit: int = 0) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.limit
        upload = (
            self.upload_limit > self.limit
            and headers.get(b"content-type", b"").startswith(b"multipart/form-data")
            and UPLOAD_PATHS.match(str(scope.get("path", ""))) is not None
        )
        if upload:
            limit = self.upload_limit
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                await self._refuse(scope, send, limit)
                return
        if upload:
            await self._stream(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._refuse(scope, send, self.limit)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        payload = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": payload, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass the body on as it comes; past ``limit``, answer 413 and tell the app the client
        left (whatever it still sends is dropped)."""
        size = 0
        answered = False
        started = False

        async def counted() -> Message:
            nonlocal size, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    answered = True
                    if not started:
                        await self._refuse(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 413 went out already
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not answered:
                raise

    async def _refuse(self, scope: Scope, send: Send, limit: int = BODY_LIMIT) -> None:
        is_api = str(scope.get("path", "")).startswith("/api")
        most = f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"
        if is_api:
            body = f'{{"detail":"Nội dung gửi lên quá lớn (tối đa {most})"}}'.encode()
            kind = b"application/json"
        else:
            body = (
                "<!doctype html><meta charset=utf-8><title>413</title>"
                f"<p>Nội dung gửi lên quá lớn (tối đa {most}). / The request is too large.</p>"
            ).encode()
            kind = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """Headers on every response; pages are not cached (they show a user's data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not path.startswith(("/docs", "/redoc")):
                    extra.append((b"content-security-policy", CSP.encode()))
                if b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
