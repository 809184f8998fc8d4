"""Child processes of ``phancong up``: the local Prefect server, the portal, the runner.

Each child runs in its own session (process group), so a Ctrl-C in the terminal reaches only
``phancong up``, which then stops the children in order: a polite signal to the whole group,
then SIGKILL after a timeout. Their output goes to log files under the data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """``preferred`` when it is free, otherwise one the system hands out."""
    if preferred and port_is_free(preferred, host):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> int | None:
        """Signal the child's process group, wait, then kill what is left of it."""
        if self.running:
            _signal_group(self.process.pid, self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(5)
        # stragglers of the group (a flow run the runner started) go too
        _signal_group(self.process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def spawn(name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path,
          stop_signal: int = signal.SIGTERM) -> Child:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed by Child.stop
    process = subprocess.Popen(list(argv), env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    return Child(name, process, log_path, stop_signal, log)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our URLs
            return 200 <= int(response.status) < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_for(url: str, child: Child | None, timeout: float, what: str,
             say: Callable[[str], None], every: float = 5.0) -> None:
    """Poll ``url`` until it answers; fail early if ``child`` exits. Progress every few seconds."""
    start = time.monotonic()
    last = start
    while not http_ok(url):
        now = time.monotonic()
        if child is not None and not child.running:
            raise RuntimeError(f"{what} exited (code {child.process.returncode}); "
                               f"log {child.log_path}:\n{child.tail()}")
        if now - start > timeout:
            raise TimeoutError(f"{what} did not answer at {url} within {timeout:.0f} s"
                               + (f"; log {child.log_path}:\n{child.tail()}" if child else ""))
        if now - last >= every:
            say(f"  … waiting for {what} ({now - start:.0f} s)")
            last = now
        time.sleep(0.3)


def prefect_server_argv(port: int, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "prefect", "server", "start", "--host", host,
            "--port", str(port)]


def prefect_server_env(base: Mapping[str, str], home: Path, port: int,
                       host: str = "127.0.0.1") -> dict[str, str]:
    api = f"http://{host}:{port}/api"
    env = dict(base)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": api,
        "PREFECT_API_URL": api,
    })
    env.pop("PREFECT_API_KEY", None)
    return env
