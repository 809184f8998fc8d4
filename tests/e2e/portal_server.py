"""Start the portal as a real process: ``phancong portal serve`` (uvicorn) on a loopback port.

Used by the browser tests and by ``benchmarks/portal_load.py``. The database must already be
prepared (migrated, a plan materialised, users created); the child gets only PHANCONG_* settings
from here (the caller's own PHANCONG_* variables are not inherited), logs to a file, and runs in
its own process group so that its uvicorn workers are stopped with it. ``now`` fixes the
portal's clock (``PHANCONG_PORTAL_NOW``) so that what the pages show does not depend on the day
the tests run.

    with portal_server(url, data_dir, now=NOW) as portal:
        httpx.get(portal.url + "/healthz")
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, workers: int = 1, log_level: str = "warning") -> list[str]:
    """``phancong portal serve`` with this interpreter (the venv's console script if present)."""
    script = Path(sys.executable).with_name("phancong")
    head = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from phancong.cli import main; main()"]
    )
    return [
        *head,
        "portal",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        log_level,
    ]


@dataclass
class PortalProcess:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (uvicorn's graceful shutdown) to the server's group, then SIGKILL if it hangs."""
        if self.process.poll() is not None:
            return
        group = self.process.pid  # start_new_session: the group id is the child's pid
        try:
            os.killpg(group, signal.SIGINT)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=5)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start_portal(
    database_url: str,
    data_dir: Path,
    *,
    workers: int = 1,
    extra_env: Mapping[str, str] | None = None,
    log_level: str = "warning",
    timeout: float = STARTUP_TIMEOUT,
    now: dt.datetime | None = None,
    command: Callable[[int], list[str]] | None = None,
) -> PortalProcess:
    """Start the portal and wait until /healthz answers; raise with its log if it does not.

    ``now`` (aware) fixes the portal's clock at that instant; without it the portal runs on
    the real clock. ``command(port)`` replaces ``phancong portal serve`` (e.g. ``up``'s own
    uvicorn command line).
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    data_dir.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for attempt in range(3):  # the free port may be taken between the probe and uvicorn's bind
        port = free_port()
        url = f"http://{HOST}:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHANCONG_")}
        env.update(
            {
                "PHANCONG_DATABASE_URL": database_url,
                "PHANCONG_DATA_DIR": str(data_dir),
                "PHANCONG_PORTAL_URL": url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if now is not None:
            env["PHANCONG_PORTAL_NOW"] = now.isoformat()
        env.update(extra_env or {})
        log_path = data_dir / f"portal-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command(port) if command else serve_command(port, workers, log_level),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = PortalProcess(url, port, process, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if _healthy(url):
                return server
            time.sleep(0.1)
        server.stop()
        last_error = f"attempt {attempt + 1}: exit {process.returncode}\n{server.log_tail()}"
        if "address already in use" not in last_error.lower():
            break
    raise RuntimeError(f"the portal did not answer /healthz:\n{last_error}")


@contextmanager
def portal_server(
    database_url: str,
    data_dir: Path,
    *,
    workers: int = 1,
    extra_env: Mapping[str, str] | None = None,
    log_level: str = "warning",
    now: dt.datetime | None = None,
) -> Iterator[PortalProcess]:
    server = start_portal(
        database_url, data_dir, workers=workers, extra_env=extra_env, log_level=log_level, now=now
    )
    try:
        yield server
    finally:
        server.stop()
