from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from phancong.adapters.db import make_engine
from phancong.adapters.dialect import Dialect, dialect_of
from phancong.adapters.orm import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=dialect_of(connection) is Dialect.SQLITE,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
