"""Left alone, it does its job: `phancong up` on a fresh data directory, Prefect's own scheduler
creates and runs the sweep and the delivery, and the emails arrive in a real SMTP mailbox.

Nothing here triggers a run: the schedules are shortened through the documented settings
(PHANCONG_SWEEP_CRON, PHANCONG_DELIVER_CRON: every minute) and the test only watches. It fails
on any traceback in the Prefect server's log (a dependency that breaks the scheduler shows up
there first: prefect 3.8.8 with SQLAlchemy 2.1 logged one a minute and never scheduled a run).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from phancong.orchestration.processes import free_port
from tests.integration.smtp_server import SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTUP_TIMEOUT = 180
SCHEDULED_TIMEOUT = 300
PHANCONG = str(Path(sys.executable).with_name("phancong"))


def _runs(api: str, deployment_id: str) -> list[dict[str, Any]]:
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "sort": "EXPECTED_START_TIME_ASC"}
    response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    runs: list[dict[str, Any]] = response.json()
    return runs


def _deployment(api: str, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{api}/deployments/name/{name}", timeout=10)
        if response.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(1)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def test_left_alone_it_sweeps_and_delivers_by_itself(tmp_path: Path) -> None:
    smtp = SmtpServer()
    smtp.start()
    data_dir = tmp_path / "data"
    portal_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PHANCONG_"))}
    env.update({
        "PHANCONG_DATA_DIR": str(data_dir),
        "PHANCONG_SMTP_HOST": smtp.host,
        "PHANCONG_SMTP_PORT": str(smtp.port),
        "PHANCONG_SWEEP_CRON": "* * * * *",
        "PHANCONG_DELIVER_CRON": "* * * * *",
        "PYTHONUNBUFFERED": "1",
    })
    process = subprocess.Popen(
        [PHANCONG, "up", "--port", str(portal_port), "--prefect-port", str(prefect_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()

    def drain() -> None:
        while not lines.empty():
            output.append(lines.get())

    api = f"http://127.0.0.1:{prefect_port}/api"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not any("Press Ctrl-C" in line for line in output):
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "not up in time:\n" + "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        up_at = time.monotonic()
        sweep = _deployment(api, "sweep/hanoi-2026-2030")
        deliver = _deployment(api, "deliver/outbox")
        assert sweep["schedules"][0]["schedule"]["cron"] == "* * * * *"

        # wait: the scheduler must create runs, the runner execute them, SMTP receive mail
        deadline = up_at + SCHEDULED_TIMEOUT
        done: dict[str, list[dict[str, Any]]] = {}
        while time.monotonic() < deadline:
            done = {
                name: [r for r in _runs(api, d["id"]) if r["state_type"] == "COMPLETED"]
                for name, d in (("sweep", sweep), ("deliver", deliver))
            }
            if done["sweep"] and any(
                r["start_time"] > done["sweep"][0]["start_time"] for r in done["deliver"]
            ) and smtp.mailbox.count():
                break
            time.sleep(5)
        drain()
        log = "".join(output)
        assert done.get("sweep"), f"no scheduled sweep ran within {SCHEDULED_TIMEOUT} s\n{log}"
        assert done.get("deliver"), f"no scheduled delivery ran\n{log}"
        # created by Prefect's scheduler, not by anyone calling run_deployment
        for run in done["sweep"] + done["deliver"]:
            assert "auto-scheduled" in run["tags"], run["tags"]
        upcoming = [r for r in _runs(api, sweep["id"]) if r["state_type"] == "SCHEDULED"]
        assert upcoming, "the scheduler keeps upcoming runs"
        received = smtp.mailbox.messages()
        assert received, "the scheduled delivery sent the scheduled sweep's emails"
        subjects = [str(m.message["Subject"]) for m in received]
        assert any("hanoi-2026-2030" in s for s in subjects), subjects[:5]
        first_mail = time.monotonic() - up_at

        # `flows run` without PREFECT_API_URL finds the server `up` started
        before = len(httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json())
        manual = subprocess.run(
            [PHANCONG, "flows", "run", "deliver"], env=env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL, check=False)
        assert manual.returncode == 0, manual.stderr[-3000:]
        assert "database is locked" not in manual.stderr
        after = len(httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json())
        assert after > before, "the manual run is recorded on up's server"

        # and it says it is healthy: every deployment has its next run, a recent sweep, no
        # stale mail, SMTP and Prefect reachable (the server found through the data directory)
        doctor = subprocess.run(
            [PHANCONG, "status", "--json"], env=env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL, check=False)
        assert doctor.returncode == 0, doctor.stdout[-3000:] + doctor.stderr[-2000:]
        assert '"healthy": true' in doctor.stdout

        server_log = (data_dir / "logs" / "prefect-server.log").read_text(errors="replace")
        assert "Traceback" not in server_log, server_log[-5000:]
        print(f"\nfirst scheduled email {first_mail:.0f} s after 'up'; "
              f"{len(done['sweep'])} sweeps, {len(done['deliver'])} deliveries by the scheduler, "
              f"{len(received)} emails received")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        smtp.stop()
    assert process.returncode == 0
    assert not (data_dir / "instance.json").exists()
