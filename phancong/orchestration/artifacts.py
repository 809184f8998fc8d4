"""What coordinators read in the Prefect UI: the overdue table, the summary, sweep progress.

Keys are stable per plan (``<plan>-overdue``, ``<plan>-summary``, ``<plan>-sweep-progress``) so
each sweep adds a new version under the same key. Markdown is built here from plain values;
every piece of user text (agency names, titles) goes through :func:`md` first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from phancong.domain.calendar import period_title
from phancong.services.ledger import DutyRollup, UnitRollup

_KEY_BAD = re.compile(r"[^a-z0-9-]+")
OVERDUE_COLUMNS = ("agency", "duty", "citation", "period", "deadline", "days_late",
                   "escalation_level", "blocked_by")


def key(plan_id: str, what: str) -> str:
    """A Prefect artifact key: lowercase letters, digits and dashes only."""
    raw = f"{plan_id}-{what}".lower()
    return _KEY_BAD.sub("-", raw).strip("-")


def overdue_key(plan_id: str) -> str:
    return key(plan_id, "overdue")


def summary_key(plan_id: str) -> str:
    return key(plan_id, "summary")


def progress_key(plan_id: str, flow: str) -> str:
    return key(plan_id, f"{flow}-progress")


def report_key(plan_id: str, period_label: str) -> str:
    return key(plan_id, f"report-{period_label}")


_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\\": "\\\\", "*": "\\*",
               "_": "\\_", "`": "\\`", "[": "\\[", "]": "\\]", "#": "\\#"}


def md(value: object) -> str:
    """User text made inert inside a markdown table cell: HTML, pipes and emphasis escaped."""
    text = " ".join(str(value).split())
    return "".join(_MD_ESCAPES.get(ch, ch) for ch in text)


def overdue_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service's overdue list, reduced to the columns of the table artifact."""
    return [{column: row[column] for column in OVERDUE_COLUMNS} for row in rows]


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.0f}%" if whole else "—"


def summary_markdown(plan_title: str, as_of: dt.datetime, day: dt.date,
                     units: Sequence[UnitRollup], duties: Sequence[DutyRollup],
                     steps: dict[str, int] | None = None, emails: int | None = None) -> str:
    """On-time rate per agency and "x of N submitted" per duty for the current periods."""
    out = [f"# {md(plan_title)}", "",
           f"Tình hình đến ngày **{day:%d/%m/%Y}** (as of {as_of.isoformat(timespec='minutes')}).",
           ""]
    if steps is not None:
        taken = ", ".join(f"{md(level)}: {count}" for level, count in steps.items())
        out += [f"Lần rà soát này / this sweep: {taken}; thư xếp hàng / emails queued: {emails or 0}.",
                ""]
    out += ["## Tỉ lệ hoàn thành đúng hạn theo đơn vị / on-time rate per agency", ""]
    due_units = [u for u in units if u.due or u.open]
    if due_units:
        out += _table(
            ["Đơn vị / agency", "Đến hạn / due", "Đúng hạn / on time", "Trễ / late",
             "Quá hạn / overdue", "Đang mở / open", "Tỉ lệ đúng hạn / on-time rate"],
            ([md(u.unit_name), u.due, u.on_time, u.late, u.overdue, u.open, _pct(u.on_time, u.due)]
             for u in due_units))
    else:
        out.append("_Chưa có nghĩa vụ nào đến hạn / nothing due yet._")
    out += ["", "## Đã nộp theo nhiệm vụ / submitted per duty", ""]
    if duties:
        out += _table(
            ["Kỳ / period", "Nhiệm vụ / duty", "Trích dẫn / citation", "Đã nộp / submitted",
             "Đã duyệt / accepted", "Quá hạn / overdue"],
            ([md(period_title(d.period_label)), md(d.title), md(d.source),
              f"{d.submitted} / {d.total}", d.accepted, d.overdue] for d in duties))
    else:
        out.append("_Không có kỳ báo cáo nào đang diễn ra / no current period._")
    return "\n".join(out) + "\n"


def current_duty_rollups(duties: Sequence[DutyRollup], periods: Iterable[str]) -> list[DutyRollup]:
    wanted = set(periods)
    return [d for d in duties if d.period_label in wanted]


class ProgressReporter:
    """A ``progress(done, total, what)`` callback that moves a Prefect progress artifact."""

    def __init__(self, artifact_key: str, description: str) -> None:
        from prefect.artifacts import create_progress_artifact

        self.description = description
        self.artifact_id = create_progress_artifact(progress=0.0, key=artifact_key,
                                                    description=description, _sync=True)  # type: ignore[call-arg]

    def __call__(self, done: int, total: int, what: str) -> None:
        from prefect.artifacts import update_progress_artifact

        update_progress_artifact(artifact_id=self.artifact_id,  # type: ignore[call-arg]
                                 progress=min(100.0, done * 100.0 / max(total, 1)),
                                 description=f"{self.description} — {what}", _sync=True)


def progress_reporter(artifact_key: str, description: str) -> Callable[[int, int, str], None]:
    return ProgressReporter(artifact_key, description)
