"""Fixtures for ledger tests: a migrated database with a materialised plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.services.materialize import MaterializeReport, materialize
from tests.helpers import at


@dataclass
class Ledger:
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def materialize(
        self, path: Path, through: str = "2026-12-31", now: str = "2026-01-02"
    ) -> MaterializeReport:
        plan = load(path)
        with transaction(self.factory) as session:
            return materialize(
                session,
                plan,
                directory(plan),
                through=dt.date.fromisoformat(through),
                now=at(now),
                source=str(path),
            )


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield Ledger(database_url, engine, session_factory(engine))
    engine.dispose()
