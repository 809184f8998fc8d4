"""`phancong flows run` never starts a throw-away Prefect server of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phancong.cli import app
from phancong.orchestration import instance
from phancong.settings import get_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_flows_run_refuses_when_no_server_is_running(no_server: Path) -> None:
    result = CliRunner().invoke(app, ["flows", "run", "deliver"])
    assert result.exit_code == 3
    assert "PREFECT_API_URL" in result.output and "phancong up" in result.output


def test_a_stale_instance_file_is_not_trusted(no_server: Path) -> None:
    """An `up` that died left its record: its process is gone, so nothing is found."""
    instance.record(no_server, instance.Instance("http://127.0.0.1:9/api", "", None, 2**22 + 7))
    assert instance.find_api_url(no_server) is None
    result = CliRunner().invoke(app, ["flows", "run", "deliver"])
    assert result.exit_code == 3


def test_the_running_instance_is_found(no_server: Path) -> None:
    instance.record(no_server, instance.Instance("http://127.0.0.1:9/api", "", None, os.getpid()))
    assert instance.find_api_url(no_server) == "http://127.0.0.1:9/api"
    result = CliRunner().invoke(app, ["flows", "run", "deliver"])
    assert result.exit_code == 3 and "http://127.0.0.1:9/api" in result.output  # unreachable
    instance.clear(no_server, os.getpid())
    assert instance.read(no_server) is None
