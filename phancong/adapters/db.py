"""Engine and session factory, and Alembic upgrades. Built on demand, never at import."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.dialect import Dialect, check_url, is_postgresql

WRITE_OPTION = "phancong_write"

# SQLite has one writer at a time. Writers of the same process queue on this lock (a fair,
# wake-on-release wait) rather than in SQLite's busy handler, which polls with sleeps of up to
# 100 ms and lets a burst of portal writes starve; other processes still wait in busy_timeout.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite or PostgreSQL (any other database is refused, see
    :mod:`phancong.adapters.dialect`), with the session settings phancong relies on."""
    if check_url(url) is Dialect.SQLITE:
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy emit BEGIN itself so BEGIN IMMEDIATE can serialise writers
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # writers take the write lock up front so concurrent writers queue instead of
            # failing on lock upgrade; readers begin deferred and never block anyone (WAL)
            write = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        _SQLITE_WRITERS[engine] = threading.RLock()
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if is_postgresql(engine):

        @event.listens_for(engine, "connect", insert=True)
        def _session_settings(dbapi_connection: Any, _record: Any) -> None:
            # No JIT compilation. The planner costs the status expression's dependency check
            # (an EXISTS per row) so high that a query over a few thousand obligations passes
            # jit_above_cost, and compiling it takes longer than running it: 15-80 ms against
            # 20 ms for a matrix page, 55 ms against 125 ms for the national duty roll-up.
            # The sweep's statements cost less than the threshold, so JIT never ran for them.
            # Set per session rather than as a startup option, which poolers may refuse.
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            cursor = dbapi_connection.cursor()
            cursor.execute("SET jit = off")
            cursor.close()
            dbapi_connection.autocommit = autocommit

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A write transaction: commits on success, rolls back on error."""
    with ExitStack() as stack:
        bind = factory.kw.get("bind")
        writers = _SQLITE_WRITERS.get(bind) if isinstance(bind, Engine) else None
        if writers is not None:
            stack.enter_context(writers)
        session = stack.enter_context(factory())
        stack.enter_context(session.begin())
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def analyze(factory: sessionmaker[Session], tables: tuple[str, ...]) -> bool:
    """Refresh the PostgreSQL planner's statistics of ``tables`` now, rather than when
    autovacuum next passes (a large insert leaves plans made for the empty table until then).
    SQLite keeps no statistics unless asked (ANALYZE) and its plans do not rely on them: a
    no-op there. Returns whether statistics were refreshed."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine) or not is_postgresql(bind):
        return False
    with bind.begin() as conn:
        conn.execute(text("ANALYZE " + ", ".join(f'"{name}"' for name in tables)))
    return True


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("phancong") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
