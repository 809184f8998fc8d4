"""A wheel that installs and runs: built from the checkout, installed into a fresh virtual
environment outside the repository, it validates the shipped plan, renders a letter and serves
the portal (templates and plans travel as package data)."""

from __future__ import annotations

import os
import signal
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from phancong.orchestration.processes import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, f"{argv}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_a_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHANCONG_", "PREFECT_"))}
    env["PHANCONG_DATA_DIR"] = str(tmp_path / "data")
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
         tmp_path, env)
    (wheel,) = wheels.glob("phancong-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    # the locked dependencies come from the test environment's site-packages (a path entry:
    # its .pth files, among them the editable install of the checkout, are not read)
    (purelib,) = (venv / "lib").glob("python3*/site-packages")
    (purelib / "locked-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    python = str(venv / "bin" / "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q",
          str(wheel)], tmp_path, env)
    where = _run([python, "-c", "import phancong, phancong.resources as r; "
                  "print(phancong.__file__); print(r.templates_dir())"], tmp_path, env)
    assert str(ROOT) not in where and "site-packages" in where, where
    phancong = str(venv / "bin" / "phancong")

    validated = _run([phancong, "plan", "validate",
                      str(Path(where.splitlines()[1]).parent / "responsibilities" /
                          "hanoi-2026-2030.yaml")], tmp_path, env)
    assert "hanoi-2026-2030" in validated
    letter = _run([phancong, "mail", "preview", "overdue"], tmp_path, env)
    assert "quá hạn" in letter

    port = free_port()
    portal = subprocess.Popen([phancong, "portal", "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and portal.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login",
                                            timeout=5) as response:
                    status = int(response.status)
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, portal.stdout.read().decode() if portal.stdout else ""
        assert "Đăng nhập" in page
    finally:
        portal.send_signal(signal.SIGTERM)
        try:
            portal.wait(20)
        except subprocess.TimeoutExpired:
            portal.kill()
