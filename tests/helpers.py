"""Helpers shared by tests (not fixtures): paths, instants, a plain renderer for sweep tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from phancong.services.notices import Notice, RenderedMail

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
HANOI_SEED = SEEDS / "000_7e7d40b05ebb0a3d.txt"
HAIDUONG_SEED = SEEDS / "001_c9389132f2adf9db.txt"
HANOI = ROOT / "responsibilities" / "hanoi-2026-2030.yaml"
HAIDUONG = ROOT / "responsibilities" / "haiduong-787-2021-2025.yaml"
MINI = ROOT / "tests" / "data" / "mini.yaml"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> dt.datetime:
    """A local Hà Nội instant: '2026-03-16' (08:00) or '2026-03-16T23:59'."""
    if len(text) == 10:
        text += "T08:00"
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN).astimezone(dt.UTC)


def plain_renderer(notice: Notice) -> RenderedMail:
    """A renderer for tests of the sweep's decisions (the real templates are tested apart)."""
    lines = [f"{i.level} {i.unit_code} {i.duty_code} {i.period_label}" for i in notice.items]
    return RenderedMail(f"{notice.kind.value} {len(notice.items)}", "\n".join(lines), "<p></p>")
