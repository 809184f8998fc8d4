"""The portal application: ``create_app(wiring)`` builds it on a wiring; nothing at import.

``phancong portal serve`` runs ``from_environment`` (a factory) under uvicorn.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import fastapi.routing
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from phancong.bootstrap import Wiring, wired
from phancong.services.errors import LedgerError
from phancong.web import (
    api,
    api_rollups,
    auth,
    events_api,
    events_pages,
    exports,
    feeds,
    i18n,
    pages,
    pages_account,
    pages_matrix,
    reports,
)
from phancong.web.catalog import CATALOG
from phancong.web.context import (
    PORTAL_DIR,
    Page,
    Portal,
    get_portal,
    make_templates,
    page_optional,
)
from phancong.web.middleware import (
    BODY_LIMIT,
    UPLOAD_OVERHEAD,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
)
from phancong.web.security import SESSION_IDLE, CsrfError, LoginRequired, LoginThrottle

log = logging.getLogger(__name__)

_OBLIGATION_ACTION = re.compile(r"^/obligations/(\d+)/\w+$")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _api_lang(request: Request) -> str:
    asked = request.query_params.get("lang")
    header = request.headers.get("accept-language", "")[:2].lower()
    return i18n.pick_lang(asked, header if header in i18n.LANGS else None)


def _html_error(
    request: Request,
    status_code: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    try:
        page = page_optional(request)
    except (SQLAlchemyError, LedgerError):
        page = Page(
            request, get_portal(request), None, i18n.pick_lang(request.query_params.get("lang"))
        )
    key = f"error.{status_code}"
    title = page.t(key) if key in CATALOG else page.t("error.title")
    match = _OBLIGATION_ACTION.match(request.url.path)
    response = page.render(
        "error.html",
        status_code=status_code,
        title=title,
        message=message or title,
        code=status_code,
        back=f"/obligations/{match.group(1)}" if match else None,
    )
    if headers:
        response.headers.update(headers)
    return response


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        lang = i18n.pick_lang(request.query_params.get("lang"), request.session.get("l"))
        return _html_error(request, 403, i18n.t("error.csrf", lang))

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.message(_api_lang(request))}, status_code=exc.http_status
            )
        page_lang = i18n.pick_lang(request.query_params.get("lang"), request.session.get("l"))
        return _html_error(request, exc.http_status, exc.message(page_lang))

    @app.exception_handler(OperationalError)
    @app.exception_handler(DisconnectionError)
    @app.exception_handler(SqlTimeoutError)
    async def _database_down(request: Request, exc: Exception) -> Response:
        log.warning(
            "database unavailable on %s: %s", redact(request.url.path), type(exc).__name__
        )
        headers = {"Retry-After": "60"}
        if _is_api(request):
            detail = i18n.t("error.503", _api_lang(request))
            return JSONResponse({"detail": detail}, status_code=503, headers=headers)
        lang = i18n.pick_lang(request.query_params.get("lang"), request.session.get("l"))
        response = _html_error(request, 503, i18n.t("error.503", lang))
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}"
            for e in exc.errors()[:5]
        )
        if _is_api(request):
            lang = _api_lang(request)
            return JSONResponse(
                {"detail": f"{i18n.t('error.422', lang)}: {problems}"}, status_code=422
            )
        lang = i18n.pick_lang(request.query_params.get("lang"), request.session.get("l"))
        return _html_error(request, 422, f"{i18n.t('error.422', lang)}: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        if _is_api(request) or request.url.path in ("/openapi.json", "/healthz", "/readyz"):
            detail = (
                exc.detail
                if exc.status_code == 401
                else (
                    i18n.t(f"error.{exc.status_code}", _api_lang(request))
                    if f"error.{exc.status_code}" in CATALOG
                    else exc.detail
                )
            )
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
        return _html_error(request, exc.status_code, headers=headers)


_SECRET_PATHS = re.compile(r"(/feeds/|/login/link/)[^/?\s\"]+")


def redact(text: str) -> str:
    """``text`` with the token of every feed or login-link path replaced by an ellipsis."""
    return _SECRET_PATHS.sub(r"\1…", text)


class RedactTokens(logging.Filter):
    """Access logs show feed and login-link URLs without the token in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PATHS.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET_PATHS.sub(r"\1…", record.msg)
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


def create_app(wiring: Wiring) -> FastAPI:
    """Build the portal's routes and middleware on ``wiring`` (:func:`phancong.bootstrap.wired`
    for the process's, :func:`phancong.bootstrap.bootstrap` for given parts)."""
    _redact_access_log()
    settings, factory = wiring.settings, wiring.sessions
    secure = settings.environment == "production" or settings.portal_url.startswith("https://")
    css = (PORTAL_DIR / "static" / "portal.css").read_bytes()
    portal = Portal(
        settings=settings,
        factory=factory,
        clock=wiring.clock,
        renderer=wiring.renderer,
        templates=make_templates(),
        throttle=LoginThrottle(factory),
        secure_cookies=secure,
        proxies=settings.trusted_networks(),
        css=css,
        css_version=hashlib.sha256(css).hexdigest()[:10],
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(portal.submits.close)  # record what is queued, then stop

    app = FastAPI(
        lifespan=lifespan,
        title="phancong portal API",
        version="1.0",
        description=(
            "Cổng thông tin theo dõi thực hiện kế hoạch liên ngành. JSON API dưới `/api`, xác thực "
            "bằng mã API (`Authorization: Bearer …`, cấp bằng `phancong users token EMAIL`). / "
            "Agency portal JSON API under `/api`, bearer-token authentication."
        ),
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.portal = portal

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key(),
        session_cookie="__Host-phancong" if secure else "phancong_session",
        max_age=SESSION_IDLE,
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=BODY_LIMIT,
        upload_limit=settings.upload_total_limit + UPLOAD_OVERHEAD,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.hsts)
    _install_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers (no database access)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "database unreachable"}})
    def readyz() -> Response:
        """Readiness: the database answers."""
        try:
            with portal.factory() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "error"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/static/portal.css", include_in_schema=False)
    def stylesheet() -> Response:
        return Response(
            portal.css,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # FastAPI tries routes in order, a few microseconds each: the JSON API, which scripts call
    # at rates no person reaches, comes first (its paths all start with /api/, so the order
    # changes no match)
    app.include_router(api.router)
    app.include_router(api_rollups.router)
    app.include_router(events_api.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(pages_matrix.router)
    app.include_router(pages_account.router)
    app.include_router(events_pages.router)
    app.include_router(exports.router)
    app.include_router(feeds.router)
    app.include_router(reports.router)
    return app


def from_environment() -> FastAPI:
    """uvicorn factory (``phancong.web.app:from_environment``), settings from PHANCONG_*."""
    app = create_app(wired())
    # the modules and the app built so far live as long as the process: keep them out of the
    # cyclic collector's full passes, which otherwise walk them all every few hundred requests
    gc.collect()
    gc.freeze()
    return app


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route, for tests that want an authorization entry for each."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.16x
    routes: Any = iterate(app.routes) if iterate is not None else app.routes
    out: list[tuple[str, str]] = []
    for route in routes:
        methods: Any = getattr(route, "methods", None) or set()
        path = getattr(route, "path", "") or ""
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out
