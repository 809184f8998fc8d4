"""Shared fixtures for the whole suite (no tests here).

`database_url` runs a test once against SQLite and once against PostgreSQL. The
PostgreSQL cluster is the throw-away one that scripts/test.sh starts and announces
in PHANCONG_TEST_POSTGRES_URL; each test gets a fresh database on it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_ENV = "PHANCONG_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _release_engines() -> Iterator[None]:
    """Close the pooled connections of the engines a test's process wiring built (each test
    has its own database; the next test's wiring builds its own)."""
    yield
    from phancong.bootstrap import dispose_all

    dispose_all()


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def test_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory for artefacts (screenshots, reports): PHANCONG_TEST_OUTPUT or a tmp dir."""
    configured = os.environ.get("PHANCONG_TEST_OUTPUT")
    path = Path(configured) if configured else tmp_path_factory.mktemp("test-output")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _postgres_database_url() -> Iterator[str]:
    server_url = os.environ.get(POSTGRES_URL_ENV)
    if not server_url:
        message = f"PostgreSQL not started (run scripts/test.sh); {POSTGRES_URL_ENV} is unset"
        if _running_in_ci():
            pytest.fail(f"CI must not skip PostgreSQL: {message}")
        pytest.skip("PostgreSQL not started (run scripts/test.sh)")

    url = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    else:
        yield from _postgres_database_url()
