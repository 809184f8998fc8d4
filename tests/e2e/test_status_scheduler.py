"""``phancong status`` on the real thing: ``prefect server start`` and the runner serving the
mini plan's deployments, a real SMTP server. With Prefect's scheduler working, every deployment
gets upcoming runs and, once a sweep has run, status exits 0. With the scheduler broken (here
switched off: the failure issue 12 describes left the server up and creating no run), status
exits 1 naming every deployment without an upcoming run."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from phancong.adapters.db import transaction, upgrade
from phancong.adapters.loader import directory, load
from phancong.bootstrap import dispose_all, wired
from phancong.cli import app
from phancong.orchestration import processes
from phancong.services.materialize import materialize
from phancong.settings import get_settings
from tests.integration.smtp_server import SmtpServer

pytestmark = pytest.mark.e2e

MINI = Path(__file__).resolve().parents[1] / "data" / "mini.yaml"
DEPLOYMENTS = {"materialize/mini", "sweep/mini", "digest/mini", "consolidate/mini",
               "deliver/outbox"}


def status(api: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["status", "--json", "--prefect-api", api])
    return result.exit_code, json.loads(result.output)


@pytest.fixture(params=[True, False], ids=["scheduler-on", "scheduler-off"])
def service(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, bool]]:
    """A Prefect server (its scheduler on or off), a migrated ledger, the runner, SMTP."""
    scheduler = bool(request.param)
    port = processes.free_port()
    env = processes.prefect_server_env(os.environ, tmp_path / "prefect", port)
    env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "true" if scheduler else "false"
    server = processes.spawn("prefect-server", processes.prefect_server_argv(port), env,
                             tmp_path / "logs")
    api = f"http://127.0.0.1:{port}/api"
    smtp = SmtpServer()
    smtp.start()
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    for key, value in {"PHANCONG_DATABASE_URL": url, "PHANCONG_DATA_DIR": str(tmp_path / "data"),
                       "PHANCONG_SMTP_HOST": smtp.host, "PHANCONG_SMTP_PORT": str(smtp.port),
                       "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_RUNNER_POLL_FREQUENCY": "1"}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    upgrade(url)
    plan = load(MINI)
    with transaction(wired().sessions) as session:  # loaded now: a first sweep is not yet due
        materialize(session, plan, directory(plan), through=dt.date(2026, 12, 31),
                    now=dt.datetime.now(dt.UTC), source=str(MINI))
    runner = None
    try:
        processes.wait_for(f"{api}/health", server, 90, "the Prefect server", lambda _: None)
        runner = processes.spawn(
            "deployments",
            [sys.executable, "-m", "phancong.orchestration.serve", "--plan", str(MINI)],
            dict(os.environ), tmp_path / "logs", signal.SIGINT)
        processes.wait_for(f"{api}/deployments/name/deliver/outbox", runner, 60,
                           "the deployments", lambda _: None)
        yield api, scheduler
        log = (tmp_path / "logs" / "prefect-server.log")
        assert "Traceback" not in (log.read_text() if log.exists() else "")
    finally:
        if runner is not None:
            runner.stop()
        server.stop()
        smtp.stop()
        dispose_all()
        get_settings.cache_clear()


def test_status_follows_prefects_scheduler(service: tuple[str, bool]) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api, scheduler = service
    # by the runner, as of now: the sweep records itself. (An in-process flow run would leave
    # Prefect's log worker flushing to the stopped server when the test process exits.)
    with temporary_settings(updates={PREFECT_API_URL: api}):
        run = run_deployment("sweep/mini", timeout=90, poll_interval=0.5)
    assert run.state is not None and run.state.is_completed(), run.state

    # the scheduler looks at new deployments every 5 s, at all of them every 60 s
    deadline = time.monotonic() + 75
    while True:
        code, report = status(api)
        upcoming = {d["name"] for d in report["prefect"]["deployments"] if d["next_run"]}
        if not scheduler or upcoming == DEPLOYMENTS or time.monotonic() > deadline:
            break
        time.sleep(1)

    assert report["plans"][0]["last_sweep_source"] == "ledger"
    if scheduler:
        assert (code, report["problems"]) == (0, []), report["problems"]
        assert upcoming == DEPLOYMENTS
    else:
        assert code == 1
        assert upcoming == set()
        assert sorted((p["code"], p["message"].split()[2]) for p in report["problems"]) == \
            sorted(("no_upcoming_run", name) for name in DEPLOYMENTS)
