"""What every request can reach: the app's wiring (``Portal``) and the per-request ``Page``/``Caller``.

The dependencies here resolve who is calling — a session cookie for pages, a bearer token for
the API — and in which language; scope checks live in :mod:`phancong.web.authz`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from phancong.adapters.orm import UserRow
from phancong.services import accounts
from phancong.settings import Settings
from phancong.web import i18n
from phancong.web.authz import Principal
from phancong.web.security import LoginLimiter, LoginRequired, csrf_token, session_user

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "portal"


@dataclass
class Portal:
    settings: Settings
    factory: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    templates: Jinja2Templates
    limiter: LoginLimiter
    secure_cookies: bool
    css: bytes = b""
    css_version: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> str:
        return self.settings.timezone

    def now(self) -> dt.datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the portal clock must return aware datetimes")
        return value


def make_templates(directory: Path = TEMPLATES_DIR) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        autoescape=jinja2.select_autoescape(("html", "xml"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = i18n.fmt_date
    return Jinja2Templates(env=env)


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def db(request: Request) -> Iterator[Session]:
    """A read session for one request (actions open their own transaction)."""
    with get_portal(request).factory() as session:
        yield session


def _load_user(portal: Portal, user_id: int, version: str) -> Principal | None:
    with portal.factory() as session:
        user = session.get(UserRow, user_id)
        if user is None or not user.active or accounts.password_version(user) != version:
            return None
        return Principal.of(user)


def _request_lang(request: Request) -> str | None:
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        request.session["l"] = asked
        return asked
    stored = request.session.get("l")
    return stored if isinstance(stored, str) else None


@dataclass
class Page:
    """A page request: who (maybe nobody), the language, and how to render."""

    request: Request
    portal: Portal
    principal: Principal | None
    lang: str

    @property
    def user(self) -> Principal:
        assert self.principal is not None
        return self.principal

    def now(self) -> dt.datetime:
        return self.portal.now()

    def t(self, key: str, **values: object) -> str:
        return i18n.t(key, self.lang, **values)

    def render(self, name: str, status_code: int = 200, **context: Any) -> Response:
        lang = self.lang
        tz = self.portal.tz
        base: dict[str, Any] = {
            "lang": lang,
            "user": self.principal,
            "csrf": csrf_token(self.request),
            "path": self.request.url.path,
            "other_lang": "en" if lang == "vi" else "vi",
            "prefect_url": self.portal.settings.prefect_ui_url,
            "css_version": self.portal.css_version,
            "flash": None,
            "_": lambda key, **kw: i18n.t(key, lang, **kw),
            "status_label": lambda s: i18n.status_label(s, lang),
            "period_name": lambda p: i18n.period_name(p, lang),
            "days_text": lambda n: i18n.days_text(n, lang),
            "fmt_dt": lambda v: i18n.fmt_datetime(v, tz),
            "fmt_date": i18n.fmt_date,
        }
        base.update(context)
        return self.portal.templates.TemplateResponse(self.request, name, base, status_code=status_code)


def page_optional(request: Request) -> Page:
    portal = get_portal(request)
    found = session_user(request)
    principal = _load_user(portal, *found) if found else None
    lang = i18n.pick_lang(_request_lang(request), principal.language if principal else None)
    return Page(request, portal, principal, lang)


def page_user(request: Request) -> Page:
    """A signed-in page; an anonymous visitor is redirected to /login?next=<this page>."""
    page = page_optional(request)
    if page.principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return page


@dataclass
class Caller:
    """An API request authenticated by a bearer token."""

    portal: Portal
    principal: Principal
    lang: str

    def now(self) -> dt.datetime:
        return self.portal.now()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_caller(request: Request) -> Caller:
    portal = get_portal(request)
    token = bearer_token(request)
    principal = None
    if token:
        with portal.factory() as session:
            user = accounts.user_for_api_token(session, token)
            principal = Principal.of(user) if user is not None else None
    if principal is None:
        raise HTTPException(status_code=401, detail=i18n.t("error.401", _api_lang(request, None)),
                            headers={"WWW-Authenticate": "Bearer"})
    return Caller(portal, principal, _api_lang(request, principal))


def _api_lang(request: Request, principal: Principal | None) -> str:
    asked = request.query_params.get("lang")
    header = request.headers.get("accept-language", "")[:2].lower()
    return i18n.pick_lang(asked, header if header in i18n.LANGS else None,
                          principal.language if principal else None)
