"""The portal's words, Vietnamese first and English second, and how dates and times are shown."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from phancong.domain import citation
from phancong.domain.calendar import period_title
from phancong.domain.status import LABELS, LATE, LATE_LABEL, Status
from phancong.domain.zone import DEFAULT_TZ
from phancong.web.catalog import CATALOG

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"


TZ = DEFAULT_TZ


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    vi, en = CATALOG[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def pick_lang(*candidates: str | None) -> str:
    for value in candidates:
        if value in LANGS:
            return value
    return DEFAULT_LANG


def status_label(status: str, lang: str = DEFAULT_LANG) -> str:
    """A status's name, or the late list's (the obligations list filters on both)."""
    vi, en = LATE_LABEL if status == LATE else LABELS[Status(status)]
    return en if lang == "en" else vi


# a cell of a matrix shows a symbol and a short word with its colour (colour alone says nothing
# to a colour-blind reader or on a black-and-white printout)
STATUS_MARKS: dict[str, str] = {
    "completed_on_time": "✓",
    "completed_late": "✓",
    "in_progress": "○",
    "overdue": "!",
    "submitted": "◔",
    "returned": "↩",
    "blocked": "‖",
    "not_open": "–",
    "waived": "∅",
    "cancelled": "×",
}


STATUS_SHORT: dict[str, tuple[str, str]] = {
    "completed_on_time": ("Đúng hạn", "On time"),
    "completed_late": ("Trễ hạn", "Late"),
    "in_progress": ("Đang làm", "Open"),
    "overdue": ("Quá hạn", "Overdue"),
    "submitted": ("Chờ duyệt", "Submitted"),
    "returned": ("Trả lại", "Returned"),
    "blocked": ("Đang chờ", "Blocked"),
    "not_open": ("Chưa đến kỳ", "Not open"),
    "waived": ("Miễn", "Waived"),
    "cancelled": ("Đã hủy", "Cancelled"),
}


def kind_label(kind: str, lang: str = DEFAULT_LANG) -> str:
    """A unit kind in words ('commune' → 'Xã, phường'); an unknown kind as stored."""
    return t(f"kind.{kind}", lang) if f"kind.{kind}" in CATALOG else kind


def status_mark(status: str) -> str:
    return STATUS_MARKS.get(status, "")


def status_short(status: str, lang: str = DEFAULT_LANG) -> str:
    vi, en = STATUS_SHORT.get(status, (status, status))
    return en if lang == "en" else vi


def period_name(label: str, lang: str = DEFAULT_LANG) -> str:
    try:
        return period_title(label, lang)
    except (ValueError, KeyError, IndexError):
        return label


def fmt_citation(source: str, lang: str = DEFAULT_LANG) -> str:
    """A duty's citation in the reader's language: 'IV.3, bullet 2' → 'Mục IV.3, gạch đầu dòng 2'.

    Stored citations keep their English form; see :mod:`phancong.domain.citation`.
    """
    return citation.fmt_citation(source, lang)


def fmt_date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def fmt_datetime(instant: dt.datetime | None, tz: str = TZ) -> str:
    if instant is None:
        return ""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")


def days_text(days_left: int, lang: str = DEFAULT_LANG) -> str:
    if days_left > 0:
        return t("days.left", lang, n=days_left)
    if days_left == 0:
        return t("days.today", lang)
    return t("days.late", lang, n=-days_left)


def parse_day(text: str) -> dt.date:
    """'31/12/2026' or '2026-12-31'; raises ValueError."""
    value = (text or "").strip()
    if "/" in value:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()
    return dt.date.fromisoformat(value)
