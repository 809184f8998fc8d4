"""One engine per database URL per process, built on first use (never at import)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory
from phancong.settings import get_settings

_built: list[Engine] = []


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    engine = make_engine(url)
    _built.append(engine)
    return engine


def sessions() -> sessionmaker[Session]:
    """The session factory of the configured ledger (``PHANCONG_DATABASE_URL`` or SQLite)."""
    return session_factory(engine_for(get_settings().effective_database_url))


def dispose_all() -> None:
    """Close the connections of every engine this process built (tests, shutdown)."""
    for engine in _built:
        engine.dispose()
    _built.clear()
    engine_for.cache_clear()
