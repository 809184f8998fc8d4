from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text


def test_database_url(database_url: str, test_output: Path) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("create table t (x int)"))
        conn.execute(text("insert into t values (1)"))
        assert conn.execute(text("select count(*) from t")).scalar_one() == 1
    engine.dispose()
    assert test_output.is_dir()
