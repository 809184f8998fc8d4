"""What coordinators read in the Prefect UI: the overdue table, the summary, sweep progress.

Keys are stable per plan (``<plan>-overdue``, ``<plan>-summary``, ``<plan>-sweep-progress``) so
each sweep adds a new version under the same key. Markdown is built here from plain values;
every piece of user text — agency names, titles, every text cell of the overdue table and of
the summary — goes through :func:`cell` (the summary's :func:`md` is the same escaping).

Coordinators read these in Vietnamese: column headers, levels, roles, statuses and periods are
translated (English when the plan's Standing Office is declared ``language: en``), and every
instant is shown in Asia/Ho_Chi_Minh (``as_of`` may arrive in UTC, e.g. from the command line).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from phancong.domain.calendar import period_title
from phancong.domain.citation import fmt_citation
from phancong.domain.status import LABELS, LATE, Status
from phancong.domain.zone import DEFAULT_TZ
from phancong.services.reads import DutyRollup, UnitRollup

TZ = DEFAULT_TZ
_KEY_BAD = re.compile(r"[^a-z0-9-]+")
OVERDUE_COLUMNS = ("agency", "role", "duty", "citation", "period", "deadline", "days_late",
                   "status", "escalation_level", "blocked_by")
OVERDUE_LIMIT = 1000  # rows of the overdue table artifact; the portal lists them all

# (Vietnamese, English)
HEADERS: dict[str, tuple[str, str]] = {
    "agency": ("Đơn vị", "Agency"),
    "role": ("Vai trò", "Role"),
    "duty": ("Nhiệm vụ", "Duty"),
    "citation": ("Căn cứ", "Citation"),
    "period": ("Kỳ báo cáo", "Period"),
    "deadline": ("Hạn", "Deadline"),
    "days_late": ("Số ngày quá hạn", "Days late"),
    "status": ("Trạng thái", "Status"),
    "escalation_level": ("Đã đôn đốc đến", "Escalated to"),
    "blocked_by": ("Đang chờ đơn vị", "Waiting on"),
}
LEVELS: dict[str, tuple[str, str]] = {
    "reminder": ("Nhắc hạn", "Reminder"),
    "overdue": ("Thông báo quá hạn", "Overdue notice"),
    "standing_office": ("Thường trực Ban Chỉ đạo", "Standing Office"),
    "steering_committee": ("Ban Chỉ đạo", "Steering Committee"),
}
ROLES: dict[str, tuple[str, str]] = {
    "lead": ("Chủ trì", "Lead"),
    "support": ("Phối hợp", "Supporting"),
    "requested": ("Đề nghị", "Requested"),
}


def _word(words: Mapping[str, tuple[str, str]], value: str, lang: str) -> str:
    pair = words.get(value)
    if pair is None:
        return value
    return pair[1] if lang == "en" else pair[0]


def local_time(instant: dt.datetime, tz: str = TZ) -> str:
    """'25/03/2026 08:00': an instant as a person in Hà Nội reads it (naive means UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return f"{instant.astimezone(ZoneInfo(tz)):%d/%m/%Y %H:%M}"


def local_date_text(instant: dt.datetime, tz: str = TZ) -> str:
    """'25/03/2026': the day of an instant in Hà Nội (06:00 there is still yesterday in UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return f"{instant.astimezone(ZoneInfo(tz)):%d/%m/%Y}"


def number(value: int, lang: str = "vi") -> str:
    """1359 → '1.359' (Vietnamese) or '1,359' (English)."""
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", ".")


def artifact_language(session: Session, plan_id: str) -> str:
    """The language of the plan's Standing Office (the coordinators who read the artifacts)."""
    from phancong.services.plans import standing_office_language

    return "en" if standing_office_language(session, plan_id) == "en" else "vi"


def late_list_url(portal_url: str, plan_id: str) -> str:
    """The portal's full late list of a plan (every period): the same rows as the table."""
    query = urllib.parse.urlencode({"plan": plan_id, "status": LATE, "period": ""})
    return f"{portal_url.rstrip('/')}/obligations?{query}"


def late_description(as_of: dt.datetime, shown: int, total: int, *, lang: str = "vi",
                        list_url: str = "", tz: str = TZ) -> str:
    """The table artifact's description: when, and "x / N shown" with a link when cut."""
    when = local_time(as_of, tz)
    if lang == "en":
        out = (f"Late list — obligations an owner still owes after the deadline (returned or"
               f" waiting included), as of {when} (Hà Nội time): {number(total, lang)}")
    else:
        out = (f"Danh sách chậm trễ — nghĩa vụ đơn vị chủ trì, được đề nghị còn nợ sau hạn (kể cả"
               f" bị trả lại, đang chờ đơn vị khác) tính đến {when} (giờ Hà Nội):"
               f" {number(total, lang)}")
    if shown < total:
        if lang == "en":
            out += f". {number(shown, lang)} of {number(total, lang)} shown"
            link = "the full list in the portal"
        else:
            out += f". {number(shown, lang)} / {number(total, lang)} được hiển thị"
            link = "danh sách đầy đủ trên cổng thông tin"
        if list_url:
            out += f" — [{link}]({list_url})"
    return out


def key(plan_id: str, what: str) -> str:
    """A Prefect artifact key: lowercase letters, digits and dashes only."""
    raw = f"{plan_id}-{what}".lower()
    return _KEY_BAD.sub("-", raw).strip("-")


def overdue_key(plan_id: str) -> str:
    """The late list's key; "overdue" since the first release, kept so links to it still work."""
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


def late_rows(rows: Iterable[dict[str, Any]], lang: str = "vi") -> list[dict[str, Any]]:
    """The service's overdue list, reduced to the columns of the table artifact (keys are
    :data:`OVERDUE_COLUMNS`), values in the reader's language — citations, periods, roles,
    statuses and levels — and text cells escaped with :func:`cell` (numbers stay numbers:
    both UIs show those as text)."""
    out = []
    for row in rows:
        values = {column: _shown(column, row, lang) for column in OVERDUE_COLUMNS}
        out.append({column: cell(value) if isinstance(value, str) else value
                    for column, value in values.items()})
    return out


def headed(rows: Iterable[dict[str, Any]], lang: str = "vi") -> list[dict[str, Any]]:
    """Rows keyed by the column headers a coordinator reads (the table artifact's header)."""
    index = 1 if lang == "en" else 0
    return [{HEADERS[column][index]: value for column, value in row.items()} for row in rows]


def _status(row: dict[str, Any]) -> str:
    if row.get("blocked_by"):
        return Status.BLOCKED.value
    if row.get("state") == "returned":
        return Status.RETURNED.value
    return Status.OVERDUE.value


def _shown(column: str, row: dict[str, Any], lang: str) -> object:
    if column == "status":
        return LABELS[Status(_status(row))][1 if lang == "en" else 0]
    value = row.get(column, "")
    if not isinstance(value, str):
        return value
    if column == "citation":
        return fmt_citation(value, lang)
    if column == "period":
        try:
            return period_title(value, lang)
        except (ValueError, KeyError, IndexError):
            return value
    if column == "escalation_level":
        return _word(LEVELS, value, lang)
    if column == "role":
        return _word(ROLES, value, lang)
    return value


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.0f}%" if whole else "—"


SUMMARY_WORDS: dict[str, tuple[str, str]] = {
    "as_of": ("Tình hình đến ngày **{day}** (lúc {when}, giờ Hà Nội).",
              "Status on **{day}** (as of {when}, Hà Nội time)."),
    "sweep": ("Lần rà soát này: {taken}; thư xếp hàng: {emails}.",
              "This sweep: {taken}; emails queued: {emails}."),
    "units": ("Tỉ lệ hoàn thành đúng hạn theo đơn vị", "On-time rate per agency"),
    "no_units": ("_Chưa có nghĩa vụ nào đến hạn._", "_Nothing due yet._"),
    "duties": ("Đã nộp theo nhiệm vụ", "Submitted per duty"),
    "no_duties": ("_Không có kỳ báo cáo nào đang diễn ra._", "_No current period._"),
}
UNIT_HEADERS = (("Đơn vị", "Agency"), ("Đến hạn", "Due"), ("Đúng hạn", "On time"),
                ("Trễ hạn", "Late"), ("Quá hạn", "Overdue"), ("Đang mở", "Open"),
                ("Tỉ lệ đúng hạn", "On-time rate"))
DUTY_HEADERS = (("Kỳ báo cáo", "Period"), ("Nhiệm vụ", "Duty"), ("Căn cứ", "Citation"),
                ("Đã nộp", "Submitted"), ("Đã duyệt", "Accepted"), ("Quá hạn", "Overdue"))


def _say(key: str, lang: str, **values: object) -> str:
    vi, en = SUMMARY_WORDS[key]
    return (en if lang == "en" else vi).format(**values)


def summary_markdown(plan_title: str, as_of: dt.datetime, day: dt.date,
                     units: Sequence[UnitRollup], duties: Sequence[DutyRollup],
                     steps: dict[str, int] | None = None, emails: int | None = None,
                     lang: str = "vi", tz: str = TZ) -> str:
    """On-time rate per agency and "x of N submitted" per duty for the current periods, in
    the reader's language, the instant in Hà Nội time (``day`` is the plan's local day)."""
    index = 1 if lang == "en" else 0
    when = local_time(as_of, tz)
    out = [f"# {md(plan_title)}", "", _say("as_of", lang, day=f"{day:%d/%m/%Y}", when=when), ""]
    if steps is not None:
        taken = ", ".join(f"{md(_word(LEVELS, level, lang))}: {number(count, lang)}"
                          for level, count in steps.items())
        out += [_say("sweep", lang, taken=taken, emails=number(emails or 0, lang)), ""]
    out += [f"## {_say('units', lang)}", ""]
    due_units = [u for u in units if u.due or u.open]
    if due_units:
        out += _table(
            [pair[index] for pair in UNIT_HEADERS],
            ([md(u.unit_name), u.due, u.on_time, u.late, u.overdue, u.open, _pct(u.on_time, u.due)]
             for u in due_units))
    else:
        out.append(_say("no_units", lang))
    out += ["", f"## {_say('duties', lang)}", ""]
    if duties:
        out += _table(
            [pair[index] for pair in DUTY_HEADERS],
            ([md(period_title(d.period_label, lang)), md(d.title),
              md(fmt_citation(d.source, lang)), f"{d.submitted} / {d.total}", d.accepted,
              d.overdue] for d in duties))
    else:
        out.append(_say("no_duties", lang))
    return "\n".join(out) + "\n"


def summary_for(session: Session, plan_id: str, as_of: dt.datetime,
                steps: dict[str, int] | None = None, emails: int | None = None,
                lang: str | None = None) -> str:
    """The summary markdown of a plan as of an instant, from the ledger's roll-ups, in the
    language of the plan's Standing Office unless ``lang`` is given."""
    from phancong.domain.status import local_date
    from phancong.services.consolidate import current_periods
    from phancong.services.plans import plan_heading
    from phancong.services.reads import rollup_by_duty, rollup_by_unit

    plan = plan_heading(session, plan_id)
    if plan is None:
        raise LookupError(f"no plan {plan_id!r} in the ledger")
    periods = set(current_periods(session, plan_id, as_of))
    duties = [d for d in rollup_by_duty(session, plan_id, as_of) if d.period_label in periods]
    return summary_markdown(plan.title, as_of, local_date(as_of, plan.timezone),
                            rollup_by_unit(session, plan_id, as_of), duties, steps, emails,
                            lang=lang or artifact_language(session, plan_id), tz=plan.timezone)


class ProgressReporter:
    """A ``progress(done, total, what)`` callback that moves a Prefect progress artifact.

    Updates are throttled to one per ``step`` percent (and the last one), so a long run costs
    a few API calls, not one per item.
    """

    def __init__(self, artifact_key: str, description: str, step: float = 10.0,
                 lang: str = "vi") -> None:
        from prefect.artifacts import create_progress_artifact

        self.description = description
        self.step = step
        self.lang = lang
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
        note = progress_words(what, self.lang)
        update_progress_artifact(artifact_id=self.artifact_id,  # type: ignore[call-arg]
                                 progress=progress, description=f"{self.description} — {note}",
                                 _sync=True)


_PROGRESS_WORD = re.compile(r"\b(reminder|overdue|standing_office|steering_committee|emails)(?=:)")


def progress_words(what: str, lang: str = "vi") -> str:
    """A service's progress note ("standing_office: 126") in the reader's words."""
    words = {**LEVELS, "emails": ("thư xếp hàng", "emails queued")}
    return _PROGRESS_WORD.sub(lambda m: _word(words, m.group(1), lang), what)


def progress_reporter(artifact_key: str, description: str,
                      lang: str = "vi") -> Callable[[int, int, str], None]:
    return ProgressReporter(artifact_key, description, lang=lang)
