"""Flow tests: one Prefect test harness per session, a fresh SQLite ledger per test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowkit import Ledger, at, mini_with_indicators

from phancong import bootstrap
from phancong.adapters.db import transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.services.materialize import materialize
from phancong.settings import get_settings


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no internet here
        with prefect_test_harness(server_startup_timeout=90):
            yield


@pytest.fixture
def empty_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 prefect_harness: None) -> Iterator[Ledger]:
    """A migrated, empty SQLite ledger wired as the settings, and the mini plan file."""
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    data_dir = tmp_path / "data"
    monkeypatch.setenv("PHANCONG_DATABASE_URL", url)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PHANCONG_PORTAL_URL", "http://portal.test")
    monkeypatch.delenv("PHANCONG_MAIL_DIR", raising=False)
    get_settings.cache_clear()
    upgrade(url)
    plan_file = mini_with_indicators(tmp_path / "mini.yaml")
    yield Ledger(url=url, plan_file=plan_file, plan_id="mini", data_dir=data_dir)
    bootstrap.dispose_all()
    get_settings.cache_clear()


@pytest.fixture
def ledger(empty_ledger: Ledger) -> Ledger:
    """The mini plan materialised for the whole of 2026."""
    plan = load(empty_ledger.plan_file)
    with transaction(bootstrap.wired().sessions) as session:
        materialize(session, plan, directory(plan), through=dt.date(2026, 12, 31),
                    now=at("2026-01-01"), source=str(empty_ledger.plan_file))
    return empty_ledger
