"""Only SQLite and PostgreSQL: a third database is refused loudly, never sent down the SQLite
path (where, among others, the audit log's append-only triggers would be SQLite's)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from phancong.adapters.db import make_engine
from phancong.adapters.dialect import (
    Dialect,
    UnsupportedDatabase,
    check_url,
    dialect_of,
    is_postgresql,
)

pytestmark = pytest.mark.unit


def test_supported_urls_name_their_database() -> None:
    assert check_url("sqlite:///var/phancong.db") is Dialect.SQLITE
    assert check_url("postgresql+psycopg://u@localhost/db") is Dialect.POSTGRESQL
    assert check_url("postgresql://u@localhost/db") is Dialect.POSTGRESQL


@pytest.mark.parametrize("url", ["mysql+pymysql://u@localhost/db", "mssql+pyodbc://dsn",
                                 "oracle://u@host/db"])
def test_an_unknown_database_is_refused_before_an_engine_is_built(url: str) -> None:
    with pytest.raises(UnsupportedDatabase) as refused:
        make_engine(url)
    message = str(refused.value)
    assert "SQLite hoặc PostgreSQL" in message and "SQLite or PostgreSQL" in message
    assert refused.value.name == url.split("+")[0].split(":")[0]


def test_an_engine_of_another_dialect_is_refused_where_sql_differs() -> None:
    sqlite = make_engine("sqlite://")
    assert dialect_of(sqlite) is Dialect.SQLITE and not is_postgresql(sqlite)
    other = create_engine("sqlite://")
    other.dialect.name = "firebird"  # an engine made elsewhere, of a database we do not know
    with pytest.raises(UnsupportedDatabase):
        is_postgresql(other)
