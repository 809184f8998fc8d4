"""Helpers of the flow tests (a plain module: ``tests/flows`` is not a package, so that it
does not shadow the top-level ``flows`` package)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session, sessionmaker

from phancong import bootstrap

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MINI = Path(__file__).resolve().parents[1] / "data" / "mini.yaml"


def at(day: str, hour: int = 8) -> dt.datetime:
    """An instant in Asia/Ho_Chi_Minh, the way coordinators say it."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), HCM)


@dataclass
class Ledger:
    url: str
    plan_file: Path
    plan_id: str
    data_dir: Path

    def sessions(self) -> sessionmaker[Session]:
        return bootstrap.wired().sessions


def mini_with_indicators(target: Path) -> Path:
    """mini.yaml with indicators on the units' report and an agency name full of markup."""
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    for agency in data["agencies"]:
        if agency["id"] == "ca":  # user text that must stay inert in markdown and HTML
            agency["name"] = "Công an <b>Thành phố</b> | CA & Co"
    for duty in data["duties"]:
        if duty["id"] == "report":
            duty["indicators"] = [
                {"id": "cases", "name": "Số vụ việc | phát hiện", "unit": "vụ"},
                {"id": "trainings", "name": "Số buổi tập huấn", "unit": "buổi", "target": 10},
            ]
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target
