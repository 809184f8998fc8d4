"""The Prefect server down, with a real ``prefect server start`` that the test stops and restarts.

While it is down the portal (which does not depend on Prefect) keeps serving, the ledger's own
services and CLI keep working, and a flow run fails quickly with a clear message without
touching the ledger. Once it is back the sweep flow catches up: the ledger equals that of an
uninterrupted run, every step taken once.

With the server up, a sweep flow started while the ledger database (PostgreSQL) is unreachable
fails its sweep task, Prefect retries it with backoff, and the run completes once the database
is back, with every due step taken once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from phancong.adapters.db import transaction
from phancong.bootstrap import bootstrap
from phancong.mail.render import render_notice
from phancong.orchestration import processes
from phancong.services import accounts
from phancong.services.sweep import sweep
from phancong.settings import Settings
from phancong.web.app import create_app
from tests.helpers import MINI, at
from tests.integration.test_outages import (
    PORTAL,
    SEEDED,
    ledger_snapshot,
    reference_ledger,
    unreachable,
)
from tests.portal_support import add_user, client_for, fast_hasher, login, seed_ledger

pytestmark = pytest.mark.e2e

DAY1, DAY2 = at("2026-03-11"), at("2026-03-17")
PHANCONG = str(Path(sys.executable).with_name("phancong"))
FLOW_TIMEOUT = 60  # a flow run against a dead server must give up well before this


class PrefectServer:
    """``prefect server start`` on a fixed loopback port and home, stopped and started at will."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = processes.free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.child: processes.Child | None = None

    def start(self) -> float:
        started = time.monotonic()
        env = processes.prefect_server_env(os.environ, self.home, self.port)
        self.child = processes.spawn("prefect-server", processes.prefect_server_argv(self.port),
                                     env, self.home / "logs")
        processes.wait_for(f"{self.api}/health", self.child, 90, "the Prefect server",
                           lambda _: None)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()
            self.child = None
        assert not processes.http_ok(f"{self.api}/health", timeout=1)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(tmp_path_factory.mktemp("prefect-home"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def cli_env(database_url: str, api: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PHANCONG_"))}
    env.update({"PHANCONG_DATABASE_URL": database_url, "PHANCONG_DATA_DIR": str(tmp_path / "data"),
                "PHANCONG_PORTAL_URL": PORTAL, "PREFECT_API_URL": api,
                "PREFECT_HOME": str(tmp_path / "prefect-client"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONUNBUFFERED": "1"})
    return env


def phancong(env: dict[str, str], *args: str, timeout: float = FLOW_TIMEOUT,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PHANCONG, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def flow_result(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The JSON ``phancong flows run`` prints last."""
    start = proc.stdout.rindex("\n{") + 1 if "\n{" in proc.stdout else proc.stdout.index("{")
    result: dict[str, object] = json.loads(proc.stdout[start:])
    return result


def total_steps(result: dict[str, object]) -> int:
    steps = result["steps"]
    assert isinstance(steps, dict)
    return sum(int(v) for v in steps.values())


def test_prefect_server_down_portal_and_ledger_work_flows_fail_clearly_then_catch_up(
        prefect_server: PrefectServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", fast_hasher)
    url = f"sqlite+pysqlite:///{tmp_path}/ledger.db"
    factory = seed_ledger(url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    add_user(factory, "sgd@example.test", "agency", plan="mini", unit="sgd", now=SEEDED)
    add_user(factory, "pc02@example.test", "coordinator", plan=None, now=SEEDED)
    expected = reference_ledger(f"sqlite+pysqlite:///{tmp_path}/reference.db", DAY1, DAY2)
    env = cli_env(url, prefect_server.api, tmp_path)
    started = time.monotonic()

    prefect_server.stop()
    stopped = time.monotonic()

    # the portal does not need Prefect
    settings = Settings(data_dir=tmp_path / "data", secret_key="s" * 40,  # type: ignore[arg-type]
                        portal_url=PORTAL, prefect_ui_url=prefect_server.api.removesuffix("/api"))
    app = create_app(bootstrap(settings, sessions=factory, clock=lambda: DAY2))
    agency, coordinator = client_for(app), client_for(app)
    assert agency.get("/readyz").json() == {"status": "ok", "database": "ok"}
    assert login(agency, "sgd@example.test").status_code == 303
    assert login(coordinator, "pc02@example.test").status_code == 303
    assert agency.get("/obligations").status_code == 200
    matrix = coordinator.get("/matrix")
    assert matrix.status_code == 200
    assert 'id="nav-prefect"' in matrix.text  # only a link: nothing is fetched from Prefect

    # the ledger's services and CLI do not need Prefect either
    with transaction(factory) as session:
        day1 = sweep(session, "mini", DAY1, renderer=render_notice, portal_url=PORTAL)
    assert sum(day1.steps.values()) > 0
    status = phancong(env, "ledger", "status", str(MINI), "--as-of", "2026-03-17")
    assert status.returncode == 0, status.stderr[-2000:]
    assert "Đã nộp theo nhiệm vụ" in status.stdout
    after_day1 = ledger_snapshot(factory)

    # a flow run gives up quickly and clearly, and leaves the ledger as it was
    attempt_started = time.monotonic()
    failed = phancong(env, "flows", "run", "sweep", "--plan", str(MINI), "--as-of", "2026-03-17")
    attempt = time.monotonic() - attempt_started
    assert failed.returncode != 0
    assert f"unreachable at {prefect_server.api}" in failed.stderr, failed.stderr[-2000:]
    assert ledger_snapshot(factory) == after_day1

    restart = prefect_server.start()
    down = time.monotonic() - stopped
    # the missed sweep catches up through the flow, once
    done = phancong(env, "flows", "run", "sweep", "--plan", str(MINI), "--as-of", "2026-03-17")
    assert done.returncode == 0, done.stderr[-3000:]
    assert total_steps(flow_result(done)) > 0
    assert ledger_snapshot(factory) == expected
    again = phancong(env, "flows", "run", "sweep", "--plan", str(MINI), "--as-of", "2026-03-17")
    assert again.returncode == 0, again.stderr[-3000:]
    assert total_steps(flow_result(again)) == 0
    assert ledger_snapshot(factory) == expected
    factory.kw["bind"].dispose()
    print(f"\nPrefect server down {down:.1f}s; failed flow run gave up in {attempt:.1f}s; "
          f"restart {restart:.1f}s; whole scenario {time.monotonic() - started:.1f}s")


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_sweep_flow_retries_with_backoff_through_a_database_outage(
        prefect_server: PrefectServer, database_url: str, tmp_path: Path) -> None:
    factory = seed_ledger(database_url, MINI, through=dt.date(2026, 12, 31), now=SEEDED)
    expected = reference_ledger(f"sqlite+pysqlite:///{tmp_path}/reference.db", DAY2)
    env = cli_env(database_url, prefect_server.api, tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    retried = threading.Event()
    with unreachable(database_url):
        proc = subprocess.Popen(
            [PHANCONG, "flows", "run", "sweep", "--plan", str(MINI), "--as-of", "2026-03-17"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout],  # type: ignore[union-attr]
                         daemon=True).start()
        deadline = time.monotonic() + FLOW_TIMEOUT
        while not retried.is_set() and time.monotonic() < deadline and proc.poll() is None:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            output.append(line)
            if re.search(r"Retry 1/3 will start", line):
                retried.set()
        assert retried.is_set(), "".join(output)[-3000:]
        outage = "".join(output)
        assert "not currently accepting connections" in outage, outage[-3000:]
    try:
        proc.wait(FLOW_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.2)
    while not lines.empty():
        output.append(lines.get())
    log = "".join(output)
    assert proc.returncode == 0, log[-3000:]
    assert "Retry 2/3" not in log  # the first retry, after the outage, went through
    assert total_steps(json.loads(log[log.rindex("\n{") + 1:])) > 0
    assert ledger_snapshot(factory) == expected
    factory.kw["bind"].dispose()
