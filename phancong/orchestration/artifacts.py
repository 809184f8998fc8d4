"""What coordinators read in the Prefect UI: the overdue table, the summary, sweep progress.

Keys are stable per plan (``<plan>-overdue``, ``<plan>-summary``, ``<plan>-sweep-progress``) so
each sweep adds a new version under the same key. Markdown is built here from plain values;
every piece of user text — agency names, titles, every text cell of the overdue table and of
the summary — goes through :func:`cell` (the summary's :func:`md` is the same escaping).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from phancong.domain.calendar import period_title
from phancong.domain.citation import fmt_citation
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


# Prefect 3.8.8 serves two UIs. The V1 UI renders every text cell of a table artifact as markdown:
# links (``javascript:`` ones too), images, headings, lists, bare URLs turned into links, raw HTML
# through DOMPurify. The V2 UI, the default, shows cells as plain text. So a cell gets a backslash
# (a CommonMark escape, which V1 shows as the bare character) before every character that could
# start markup, and nothing else: V1 shows the text exactly; V2 shows ordinary text unchanged and
# a backslash before those few characters.
_CELL_INLINE = re.compile(r"[\\`*_\[\]<>|#~@]|&(?=#?\w+;)|(?<=[A-Za-z]):(?=//)|(?i:(?<=www))\.")
# a list item, a thematic break ("---"), an ordered list item ("1986. …")
_CELL_BLOCK_START = re.compile(r"[-+](?=\s|$)|-(?=-)|\d{1,9}(?=[.)](?:\s|$))")


def cell(value: str) -> str:
    """User text made inert in a table-artifact cell: one line, markup characters escaped."""
    text = _CELL_INLINE.sub(lambda m: "\\" + m.group(0), " ".join(value.split()))
    start = _CELL_BLOCK_START.match(text)
    if start is None:
        return text
    if text[0].isdigit():  # "1986. …" is an ordered list: escape the dot
        return f"{text[: start.end()]}\\{text[start.end() :]}"
    return f"\\{text}"


def md(value: object) -> str:
    """User text in the summary markdown (title, agency names, duty titles, citations): escaped
    by :func:`cell`, the one escaping of every artifact cell (the summary once escaped less —
    bare URLs and ``~~`` stayed live under GFM)."""
    return cell(str(value))


def overdue_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service's overdue list, reduced to the columns of the table artifact, text cells
    escaped with :func:`cell` (numbers stay numbers: both UIs show those as text); citations
    in Vietnamese, as the coordinators read them elsewhere."""
    return [
        {
            column: cell(_shown(column, row[column])) if isinstance(row[column], str)
            else row[column]
            for column in OVERDUE_COLUMNS
        }
        for row in rows
    ]


def _shown(column: str, value: str) -> str:
    return fmt_citation(value) if column == "citation" else value


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
        out += [f"Lần rà soát này / this sweep: {taken}; "
                f"thư xếp hàng / emails queued: {emails or 0}.", ""]
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
            ([md(period_title(d.period_label)), md(d.title), md(fmt_citation(d.source)),
              f"{d.submitted} / {d.total}", d.accepted, d.overdue] for d in duties))
    else:
        out.append("_Không có kỳ báo cáo nào đang diễn ra / no current period._")
    return "\n".join(out) + "\n"


def summary_for(session: Session, plan_id: str, as_of: dt.datetime,
                steps: dict[str, int] | None = None, emails: int | None = None) -> str:
    """The summary markdown of a plan as of an instant, from the ledger's roll-ups."""
    from phancong.adapters.orm import PlanRow
    from phancong.domain.status import local_date
    from phancong.services.consolidate import current_periods
    from phancong.services.ledger import rollup_by_duty, rollup_by_unit

    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise LookupError(f"no plan {plan_id!r} in the ledger")
    periods = set(current_periods(session, plan_id, as_of))
    duties = [d for d in rollup_by_duty(session, plan_id, as_of) if d.period_label in periods]
    return summary_markdown(plan.title, as_of, local_date(as_of, plan.timezone),
                            rollup_by_unit(session, plan_id, as_of), duties, steps, emails)


class ProgressReporter:
    """A ``progress(done, total, what)`` callback that moves a Prefect progress artifact.

    Updates are throttled to one per ``step`` percent (and the last one), so a long run costs
    a few API calls, not one per item.
    """

    def __init__(self, artifact_key: str, description: str, step: float = 10.0) -> None:
        from prefect.artifacts import create_progress_artifact

        self.description = description
        self.step = step
        self.shown = 0.0
        created: Any = create_progress_artifact(progress=0.0, key=artifact_key,  # type: ignore[call-arg]
                                                description=description, _sync=True)
        self.artifact_id: UUID = created

    def __call__(self, done: int, total: int, what: str) -> None:
        from prefect.artifacts import update_progress_artifact

        progress = min(100.0, done * 100.0 / max(total, 1))
        if progress - self.shown < self.step and done < total:
            return
        self.shown = progress
        update_progress_artifact(artifact_id=self.artifact_id,  # type: ignore[call-arg]
                                 progress=progress,
                                 description=f"{self.description} — {what}", _sync=True)


def progress_reporter(artifact_key: str, description: str) -> Callable[[int, int, str], None]:
    return ProgressReporter(artifact_key, description)
