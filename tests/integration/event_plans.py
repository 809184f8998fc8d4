"""The mini plan with two event-triggered duties, for the tests of event obligations."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import MINI

EVENT_DUTIES = """
  - id: su-viec
    title: Báo cáo kịp thời khi có sự việc
    text: Các đơn vị kịp thời báo cáo khi có sự việc.
    source: V.4
    lead: [units]
    requested: [vks]
    cadence: {kind: on_event, within: 2}
  - id: pc02-su-viec
    title: Phòng Cảnh sát hình sự báo cáo sự việc
    text: Phòng Cảnh sát hình sự báo cáo khi có sự việc.
    source: V.5
    lead: [pc02]
    cadence: {kind: on_event, within: 7, day_count: calendar}
"""


def mini_with_events(directory: Path, *, within: int = 2, without: str | None = None) -> Path:
    """mini.yaml plus ``su-viec`` (ca and sgd lead, vks requested; due ``within`` working days
    after the event) and ``pc02-su-viec``; ``without`` drops one of the two."""
    duties = EVENT_DUTIES.replace("within: 2}", f"within: {within}}}")
    if without is not None:
        start = duties.index(f"  - id: {without}\n")
        end = duties.find("\n  - id:", start + 1)
        duties = duties[:start] + (duties[end + 1 :] if end != -1 else "")
    path = directory / f"mini-events-{within}-{without or 'all'}.yaml"
    path.write_text(MINI.read_text(encoding="utf-8").rstrip("\n") + "\n" + duties, encoding="utf-8")
    return path
