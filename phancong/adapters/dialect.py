"""The two databases phancong runs on, and every place their SQL differs.

phancong is tested on SQLite and PostgreSQL only. :func:`dialect_of` names the database of an
engine, connection or session and refuses any other loudly, so that a third database never
takes the SQLite path silently (its append-only audit triggers included); :func:`check_url`
refuses it before an engine is even built.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class UnsupportedDatabase(RuntimeError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"phancong chạy trên SQLite hoặc PostgreSQL, không chạy trên '{name}'"
            f" / phancong runs on SQLite or PostgreSQL, not on '{name}'"
        )
        self.name = name


def _named(name: str) -> Dialect:
    try:
        return Dialect(name)
    except ValueError:
        raise UnsupportedDatabase(name) from None


def check_url(url: str) -> Dialect:
    """The database of a connection URL (``postgresql+psycopg://…``, ``sqlite:///…``)."""
    return _named(make_url(url).get_backend_name())


def dialect_of(bind: Engine | Connection | Session) -> Dialect:
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return _named(bind.dialect.name)


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    return dialect_of(bind) is Dialect.POSTGRESQL


def insert_missing(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, skipping those whose key exists (``ON CONFLICT DO NOTHING``)."""
    build = pg_insert if is_postgresql(session) else sqlite_insert
    session.execute(build(table).values(list(rows)).on_conflict_do_nothing())


def lock_for_transaction(session: Session, name: str) -> None:
    """Serialise transactions that take the same ``name`` until they end: a PostgreSQL advisory
    lock. SQLite already serialises writers (``BEGIN IMMEDIATE``): nothing to take there."""
    if is_postgresql(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())}
        )
