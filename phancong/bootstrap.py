"""The wiring point: what a process needs, built once and handed down.

Every entry point — the CLI, the portal (``create_app``), the Prefect tasks, the delivery
worker and the simulator — gets its collaborators from here and passes them down as
arguments; nothing below reads the environment or builds an engine of its own:

- ``settings``: read from ``PHANCONG_*`` once per process (:func:`phancong.settings.get_settings`);
- ``sessions``: the session factory of the configured ledger, on one engine per database URL
  per process (built on first use, never at import);
- ``transport()``: the email channel the settings name (a Maildir/.eml folder or SMTP), a new
  one per delivery batch because an SMTP connection does not outlive it;
- ``renderer``: turns a notice into the email a unit receives (Jinja2, ``templates/email``);
- ``clock``: now, in UTC — or the instant ``PHANCONG_PORTAL_NOW`` fixes for a demonstration.

:func:`wired` is the process's wiring (rebuilt when the settings are re-read, as tests do);
:func:`bootstrap` builds one from given parts (tests, ``phancong simulate``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory
from phancong.mail.render import render_notice
from phancong.mail.transport import Transport, transport_from_settings
from phancong.services.notices import Renderer
from phancong.settings import Settings, get_settings

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clock_from(settings: Settings) -> Clock:
    """The real clock, or the instant fixed by ``PHANCONG_PORTAL_NOW`` (the settings refuse
    that in production)."""
    fixed = settings.portal_now
    if fixed is None:
        return utcnow
    return lambda: fixed


@dataclass(frozen=True)
class Wiring:
    """What one process works with (see the module's docstring)."""

    settings: Settings
    sessions: sessionmaker[Session]
    renderer: Renderer
    clock: Clock

    def transport(self) -> Transport:
        return transport_from_settings(self.settings)


_built: list[Engine] = []


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The process's engine for ``url`` (one per URL, pooled)."""
    engine = make_engine(url)
    _built.append(engine)
    return engine


def bootstrap(
    settings: Settings | None = None,
    *,
    sessions: sessionmaker[Session] | None = None,
    renderer: Renderer | None = None,
    clock: Clock | None = None,
) -> Wiring:
    """A wiring from the given parts; what is not given comes from ``settings`` (by default the
    process's)."""
    settings = settings or get_settings()
    return Wiring(
        settings=settings,
        sessions=sessions or session_factory(engine_for(settings.effective_database_url)),
        renderer=renderer or render_notice,
        clock=clock or clock_from(settings),
    )


_current: list[Wiring] = []


def wired() -> Wiring:
    """The process's wiring, built on first use from its settings."""
    settings = get_settings()
    if not _current or _current[0].settings is not settings:
        _current[:] = [bootstrap(settings)]
    return _current[0]


def dispose_all() -> None:
    """Close the connections of every engine this process built (tests, shutdown)."""
    for engine in _built:
        engine.dispose()
    _built.clear()
    engine_for.cache_clear()
    _current.clear()
