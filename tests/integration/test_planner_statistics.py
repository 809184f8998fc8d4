"""A materialisation that creates many obligations refreshes PostgreSQL's planner statistics at
once, instead of leaving the next sweep planned for the ledger as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import make_engine, session_factory, transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.services import materialize as service
from tests.portal_support import MINI_PLAN

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 1, 2, 2, 0, tzinfo=dt.UTC)


def _last_analyze(factory: sessionmaker[Session]) -> object:
    with factory() as session:
        return session.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'obligations'")
        ).scalar_one()


@pytest.mark.parametrize("threshold", [1, 10**9])
def test_statistics_follow_a_large_materialisation(
    database_url: str, threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "STATISTICS_AFTER", threshold)
    upgrade(database_url)
    factory = session_factory(make_engine(database_url))
    plan = load(MINI_PLAN)
    with transaction(factory) as session:
        report = service.materialize(
            session, plan, directory(plan), through=dt.date(2026, 12, 31), now=NOW
        )
    assert report.obligations_created > 0
    refreshed = service.refresh_statistics(factory, report)
    postgres = factory.kw["bind"].dialect.name == "postgresql"
    assert refreshed == (postgres and threshold == 1)
    if postgres:  # analysed just now, or not at all (autovacuum waits a minute at least)
        assert (_last_analyze(factory) is not None) == refreshed
    factory.kw["bind"].dispose()
