"""`phancong up` from nothing: Prefect UI, portal, the sweep deployment; Ctrl-C stops it all."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from phancong.orchestration.processes import free_port

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT = 150


def _processes_with(marker: str) -> list[int]:
    """Live processes whose environment mentions ``marker`` (the test's own data dir)."""
    found = []
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return int(response.status)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc (Linux)")
def test_up_brings_everything_up_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "phancong-data"
    portal_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "PHANCONG_"))}
    env.update({"PHANCONG_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    command = [str(Path(sys.executable).with_name("phancong")), "up",
               "--port", str(portal_port), "--prefect-port", str(prefect_port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not any("Press Ctrl-C" in line for line in output):
            assert process.poll() is None or not lines.empty(), "".join(output)
            assert time.monotonic() < deadline, "not up in time:\n" + "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        text = "".join(output)
        ui = re.search(r"Prefect UI:\s+(\S+)", text)
        portal = re.search(r"Portal:\s+(http\S+)", text)
        assert ui is not None, text
        assert portal is not None, text
        assert ui.group(1) == f"http://127.0.0.1:{prefect_port}"
        assert portal.group(1) == f"http://127.0.0.1:{portal_port}"
        assert re.search(r"Coordinator: \S+@\S+\s+password: \S{12,}", text), text
        assert _get(ui.group(1) + "/") == 200
        assert _get(portal.group(1) + "/healthz") == 200

        from prefect import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: f"{ui.group(1)}/api"}), \
                get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("sweep/hanoi-2026-2030")
            schedule = deployment.schedules[0].schedule
            assert getattr(schedule, "cron", None) == "0 8 * * *"
            assert getattr(schedule, "timezone", None) == "Asia/Ho_Chi_Minh"
            assert deployment.schedules[0].active

        assert _processes_with(str(data_dir)), "the children carry the data dir"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert process.returncode == 0
        time.sleep(0.5)
        assert _processes_with(str(data_dir)) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pid in _processes_with(str(data_dir)):
            os.kill(pid, signal.SIGKILL)
