"""The wiring point (:mod:`phancong.bootstrap`): built once per process, handed down, and the
only place that reads the settings or builds an engine."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from phancong import bootstrap
from phancong.mail.render import render_notice
from phancong.mail.transport import FileTransport
from phancong.settings import Settings, get_settings
from tests.unit.test_layering import ROOT, sources

pytestmark = pytest.mark.unit


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PHANCONG_DATABASE_URL", raising=False)
    monkeypatch.delenv("PHANCONG_PORTAL_NOW", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    bootstrap.dispose_all()
    get_settings.cache_clear()


def test_wiring_is_built_once_per_process(env: Path) -> None:
    first = bootstrap.wired()
    assert bootstrap.wired() is first
    assert first.settings is get_settings()
    assert first.renderer is render_notice
    assert str(env / "phancong.db") in str(first.sessions.kw["bind"].url)
    # one engine per database URL, whoever asks
    assert bootstrap.bootstrap().sessions.kw["bind"] is first.sessions.kw["bind"]


def test_wiring_follows_the_settings_when_they_are_read_again(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = bootstrap.wired()
    monkeypatch.setenv("PHANCONG_MAIL_DIR", str(env / "mail"))
    get_settings.cache_clear()
    second = bootstrap.wired()
    assert second is not first
    assert isinstance(second.transport(), FileTransport)


def test_wiring_takes_given_parts(env: Path) -> None:
    fixed = dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC)
    settings = Settings(data_dir=env, database_url=f"sqlite+pysqlite:///{env}/other.db")
    made = bootstrap.bootstrap(settings, clock=lambda: fixed)
    assert made.clock() == fixed
    assert "other.db" in str(made.sessions.kw["bind"].url)
    real = bootstrap.bootstrap(settings).clock()
    assert abs(real - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_wiring_clock_fixed_for_a_demonstration(env: Path) -> None:
    settings = Settings(data_dir=env, portal_now=dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC))
    assert bootstrap.bootstrap(settings).clock() == dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)


def _calls(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute)
                      else func.id if isinstance(func, ast.Name) else "")
    return names


# who may read the environment's settings or build an engine, and why
SETTINGS_READERS = {"phancong/bootstrap.py", "phancong/settings.py"}
ENGINE_BUILDERS = {
    "phancong/bootstrap.py",  # the processes' engines
    "phancong/adapters/db.py",  # make_engine itself, and the migration runner's
    "phancong/migrations/env.py",  # Alembic's one-off engine for an upgrade
}


def test_wiring_only_the_wiring_point_reads_settings_and_builds_engines() -> None:
    files = {str(p.relative_to(ROOT)): _calls(p) for p in sources()}
    readers = {f for f, calls in files.items() if "get_settings" in calls}
    builders = {f for f, calls in files.items() if {"make_engine", "create_engine"} & calls}
    assert readers <= SETTINGS_READERS, "take the settings from phancong.bootstrap.wired()"
    assert builders <= ENGINE_BUILDERS, "take sessions from phancong.bootstrap.wired()"
    assert "phancong/bootstrap.py" in readers & builders  # the check sees the calls it is about
