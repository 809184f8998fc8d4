"""A real Prefect server: serve the deployments, run their flows, read the artifacts back."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from phancong.adapters.db import upgrade
from phancong.bootstrap import dispose_all
from phancong.orchestration import processes
from phancong.settings import get_settings

pytestmark = pytest.mark.e2e

MINI = Path(__file__).resolve().parents[1] / "data" / "mini.yaml"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``prefect server start`` on a free port with its own PREFECT_HOME; stopped at the end."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = processes.free_port()
    env = processes.prefect_server_env(os.environ, home, port)
    server = processes.spawn("prefect-server", processes.prefect_server_argv(port), env,
                             home / "logs")
    api = f"http://127.0.0.1:{port}/api"
    try:
        processes.wait_for(f"{api}/health", server, 90, "the Prefect server", lambda _: None)
        yield api
    finally:
        server.stop()


@pytest.fixture
def served(prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated ledger and ``python -m phancong.orchestration.serve --plan mini.yaml``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    data_dir = tmp_path / "data"
    env = {"PHANCONG_DATABASE_URL": url, "PHANCONG_DATA_DIR": str(data_dir),
           "PHANCONG_PORTAL_URL": "http://portal.test", "PREFECT_API_URL": prefect_api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}  # pick scheduled runs up within a second
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    upgrade(url)
    runner = processes.spawn(
        "deployments", [sys.executable, "-m", "phancong.orchestration.serve", "--plan", str(MINI)],
        dict(os.environ), tmp_path / "logs", signal.SIGINT)
    try:
        processes.wait_for(f"{prefect_api}/deployments/name/sweep/mini", runner, 60,
                           "the deployments", lambda _: None)
        with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
            yield data_dir
    finally:
        runner.stop()
        dispose_all()
        get_settings.cache_clear()


def _run(name: str, **parameters: Any) -> Any:
    from prefect.deployments import run_deployment

    run = run_deployment(name, parameters=parameters, timeout=90, poll_interval=0.5)
    assert run.state is not None
    assert run.state.is_completed(), f"{name}: {run.state}"
    return run


def test_served_deployments_run_and_publish_artifacts(served: Path) -> None:
    from prefect import get_client
    from prefect.artifacts import Artifact

    _run("materialize/mini", as_of=dt.datetime(2026, 3, 1, 1, tzinfo=HCM).isoformat())
    sweep = _run("sweep/mini", as_of=dt.datetime(2026, 3, 17, 8, tzinfo=HCM).isoformat())
    assert sweep.name == "sweep · mini · 2026-03-17"
    assert {"plan:mini", "period:2026-03-17", "flow:sweep"} <= set(sweep.tags)
    _run("consolidate/mini", as_of=dt.datetime(2026, 3, 17, 9, tzinfo=HCM).isoformat())

    overdue = Artifact.get("mini-overdue")
    assert overdue is not None
    rows = json.loads(overdue.data) if isinstance(overdue.data, str) else overdue.data
    assert isinstance(rows, list)  # a list of rows: the only form Prefect's UI V2 shows
    assert len(rows) == 5
    assert "Báo cáo tổng hợp" in {row["Nhiệm vụ"] for row in rows}  # Vietnamese headers
    summary = Artifact.get("mini-summary")
    assert summary is not None
    assert "| 0 / 2 |" in str(summary.data)
    progress = Artifact.get("mini-sweep-progress")
    assert progress is not None
    assert float(progress.data) == 100.0
    report = Artifact.get("mini-report-2026-q1")
    assert report is not None
    assert (served / "reports" / "mini" / "2026-Q1.html").is_file()
    assert (served / "reports" / "mini" / "2026-Q1.docx").is_file()

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("sweep/mini")
        cron = deployment.schedules[0].schedule
        assert getattr(cron, "cron", None) == "0 8 * * *"
        assert getattr(cron, "timezone", None) == "Asia/Ho_Chi_Minh"
        consolidate = client.read_deployment_by_name("consolidate/mini")
        rrule = getattr(consolidate.schedules[0].schedule, "rrule", "")
        assert "20260317T090000" in rrule  # 15/3/2026 is a Sunday: deadline 16/3, run 17/3
        assert client.read_deployment_by_name("deliver/outbox").schedules
