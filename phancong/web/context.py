"""What every request can reach: the wiring (``Portal``) and the per-request ``Page``/``Caller``.

The dependencies here resolve who is calling — a session cookie for pages, a bearer token for
the API — and in which language; scope checks live in :mod:`phancong.services.access`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from phancong.domain.access import Principal
from phancong.domain.status import local_date
from phancong.resources import templates_dir
from phancong.services import credentials, reads, sessions
from phancong.services.notices import Renderer
from phancong.settings import Settings
from phancong.templating import environment
from phancong.web import i18n
from phancong.web.batching import SubmitBatcher
from phancong.web.security import LoginRequired, LoginThrottle, Network, csrf_token, session_user

T = TypeVar("T")
_ACTION = re.compile(r"^/obligations/\d+/[a-z]+$")
PORTAL_DIR = templates_dir() / "portal"


@dataclass
class Portal:
    settings: Settings
    factory: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    templates: Jinja2Templates
    throttle: LoginThrottle
    secure_cookies: bool
    renderer: Renderer  # review notices queued by the actions
    proxies: tuple[Network, ...] = ()
    css: bytes = b""
    css_version: str = ""
    memo_seconds: float = 30.0
    rollup_seconds: float = 15.0
    generation: int = 0  # bumped by this process's own ledger writes
    _memo: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock)
    submits: SubmitBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.submits = SubmitBatcher(self.factory, self.now)

    def memo(self, key: str, compute: Callable[[], T], seconds: float | None = None) -> T:
        """A value kept for ``seconds`` (default ``memo_seconds``), e.g. a plan's period labels."""
        now = time.monotonic()
        with self._memo_lock:
            hit = self._memo.get(key)
            if hit is not None and hit[0] > now:
                value: T = hit[1]
                return value
        value = compute()
        with self._memo_lock:
            if len(self._memo) > 1000:
                self._memo.clear()
            ttl = self.memo_seconds if seconds is None else seconds
            self._memo[key] = (now + ttl, value)
        return value

    def periods(self, session: Session, plan_id: str) -> list[str]:
        return list(self.memo(f"periods:{plan_id}", lambda: reads.plan_periods(session, plan_id)))

    def ledger_changed(self) -> None:
        """This process changed the ledger: summaries it keeps are recomputed on next use."""
        with self._memo_lock:
            self.generation += 1

    def duty_progress(
        self, session: Session, plan: reads.PlanInfo, period: str
    ) -> tuple[list[reads.DutyProgress], dt.datetime]:
        """The plan-wide 'x of N submitted' per duty and the instant it was counted.

        A scan of every unit's obligations for the period (tens of thousands of rows at
        national scale), so it is kept for ``rollup_seconds`` and dropped at once when this
        process records an action; writes by other processes show within ``rollup_seconds``.
        """
        now = self.now()
        key = f"rollups:{plan.id}:{period}:{local_date(now, plan.timezone)}:{self.generation}"
        return self.memo(
            key,
            lambda: (reads.duty_progress(session, plan, now, period), now),
            seconds=self.rollup_seconds,
        )

    @property
    def tz(self) -> str:
        return self.settings.timezone

    def now(self) -> dt.datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the portal clock must return aware datetimes")
        return value


def make_templates() -> Jinja2Templates:
    """The portal's templates: ``portal/…`` of the one environment (:mod:`phancong.templating`)."""
    return Jinja2Templates(env=environment())


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def db(request: Request) -> Iterator[Session]:
    """A read session for one request (actions open their own transaction)."""
    with get_portal(request).factory() as session:
        yield session


def _load_user(portal: Portal, user_id: int, version: str) -> Principal | None:
    with portal.factory() as session:
        return sessions.session_principal(session, user_id, version)


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
        other = "en" if lang == "vi" else "vi"
        # the switch is a query-only reference, which a browser resolves against the current
        # page: never a path of the request's (``//evil.example/x`` would leave the site)
        switched = self.request.url.include_query_params(lang=other)
        base: dict[str, Any] = {
            "lang": lang,
            "user": self.principal,
            "csrf": csrf_token(self.request),
            "path": self.request.url.path,
            "other_lang": other,
            "lang_url": f"?{switched.query}",
            "prefect_url": self.portal.settings.prefect_ui_url,
            "css_version": self.portal.css_version,
            "flash": None,
            "_": lambda key, **kw: i18n.t(key, lang, **kw),
            "status_label": lambda s: i18n.status_label(s, lang),
            "status_mark": i18n.status_mark,
            "status_short": lambda s: i18n.status_short(s, lang),
            "period_name": lambda p: i18n.period_name(p, lang),
            "days_text": lambda n: i18n.days_text(n, lang),
            "fmt_dt": lambda v: i18n.fmt_datetime(v, tz),
            "fmt_date": i18n.fmt_date,
            "kind_label": lambda k: i18n.kind_label(k, lang),
        }
        base.update(context)
        return self.portal.templates.TemplateResponse(
            self.request, f"portal/{name}", base, status_code=status_code
        )


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
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:  # a form posted after the session ended: come back to the page it was on
            target = request.url.path.rsplit("/", 1)[0] if _ACTION.match(request.url.path) else "/"
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


bearer_scheme = HTTPBearer(
    auto_error=False, description="API token from `phancong users token EMAIL`"
)


@dataclass
class Bearer:
    """An API request's bearer token, not yet checked.

    Action routes authenticate in the same worker-thread hop as the action itself
    (:meth:`caller`), sparing a thread hand-off per request on the API's busiest routes.
    """

    portal: Portal
    request: Request
    token: str | None

    @property
    def plausible(self) -> bool:
        """Whether the token has an API token's form (else refused without the database)."""
        return self.token is not None and credentials.is_api_token(self.token)

    def unauthorized(self) -> HTTPException:
        return HTTPException(
            status_code=401,
            detail=i18n.t("error.401", _api_lang(self.request, None)),
            headers={"WWW-Authenticate": "Bearer"},
        )

    def caller(self, session: Session | None = None) -> Caller:
        """The authenticated caller, looked up in ``session`` or a session of its own
        (blocking: call it from a worker thread); 401 otherwise."""
        if self.token is None or not credentials.is_api_token(self.token):
            raise self.unauthorized()
        if session is not None:
            owner = credentials.api_token_owner(session, self.token)
        else:
            with self.portal.factory() as own:
                owner = credentials.api_token_owner(own, self.token)
        if owner is None:
            raise self.unauthorized()
        return self.as_caller(Principal(*owner))

    def as_caller(self, principal: Principal) -> Caller:
        """The caller, once its token's owner is known (e.g. found by the submit batcher)."""
        return Caller(self.portal, principal, _api_lang(self.request, principal))


async def api_bearer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Bearer:
    token = credentials.credentials if credentials is not None else None
    return Bearer(get_portal(request), request, token)


def api_caller(bearer: Annotated[Bearer, Depends(api_bearer)]) -> Caller:
    return bearer.caller()


def _api_lang(request: Request, principal: Principal | None) -> str:
    asked = request.query_params.get("lang")
    header = request.headers.get("accept-language", "")[:2].lower()
    return i18n.pick_lang(
        asked, header if header in i18n.LANGS else None, principal.language if principal else None
    )
