"""Where the running ``phancong up`` is: its Prefect API, recorded in the data directory.

``up`` writes ``instance.json`` once its Prefect server answers and removes it when it stops;
commands that talk to Prefect (``flows run``, ``status``) find the server there when
``PREFECT_API_URL`` is not set, instead of starting a throw-away server of their own.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

FILE = "instance.json"


@dataclass(frozen=True)
class Instance:
    prefect_api: str
    prefect_ui: str
    portal_url: str | None
    pid: int


def path(data_dir: Path) -> Path:
    return data_dir / FILE


def record(data_dir: Path, instance: Instance) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    target = path(data_dir)
    temp = target.with_suffix(".tmp")
    temp.write_text(json.dumps(instance.__dict__, indent=2), encoding="utf-8")
    temp.replace(target)


def clear(data_dir: Path, pid: int) -> None:
    """Forget the instance, if it is the one ``pid`` recorded."""
    found = read(data_dir)
    if found is not None and found.pid == pid:
        path(data_dir).unlink(missing_ok=True)


def read(data_dir: Path) -> Instance | None:
    try:
        raw = json.loads(path(data_dir).read_text(encoding="utf-8"))
        return Instance(str(raw["prefect_api"]), str(raw["prefect_ui"]),
                        raw.get("portal_url"), int(raw["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def healthy(api: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api.rstrip('/')}/health", timeout=timeout) as r:  # noqa: S310 - a URL of our own configuration
            return int(r.status) == 200
    except OSError:
        return False


def find_api_url(data_dir: Path) -> str | None:
    """``PREFECT_API_URL`` if set, else the API of a running ``phancong up`` of this data
    directory, else None."""
    explicit = os.environ.get("PREFECT_API_URL")
    if explicit:
        return explicit.rstrip("/")
    found = read(data_dir)
    if found is None or not _alive(found.pid):
        return None
    return found.prefect_api
