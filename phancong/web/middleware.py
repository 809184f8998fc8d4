"""The portal's ASGI middleware of its own: the request-size cap (a larger allowance for the
upload routes) and the security headers (CSP, frame and referrer policies, HSTS in
production). Sessions, CSRF and the login throttle are :mod:`phancong.web.security`.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_LIMIT = 64 * 1024


UPLOAD_OVERHEAD = 1024 * 1024  # a multipart body's fields and boundaries beyond its files


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


# the API documentation page (off in production unless PHANCONG_API_DOCS=true) is FastAPI's
# Swagger UI: its script and stylesheet come from a CDN and it has one inline script; it may
# fetch nothing but this origin's /openapi.json, and may not be framed or post anywhere
DOCS_CSP = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


HSTS = b"max-age=31536000"  # a year; production on an https portal URL only


class SecurityHeadersMiddleware:
    """Headers on every response; pages are not cached (they show a user's data)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        hsts = self.hsts

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                docs = path.startswith(("/docs", "/redoc"))
                extra.append((b"content-security-policy", (DOCS_CSP if docs else CSP).encode()))
                if b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                if hsts:
                    extra.append((b"strict-transport-security", HSTS))
                headers.extend((k, v) for k, v in extra if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
