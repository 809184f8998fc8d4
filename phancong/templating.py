"""The one Jinja2 environment for every template of the project (email, portal, reports).

Templates live in the shipped ``templates/`` folder (:mod:`phancong.resources`) and are named
from it: ``email/vi/owner.txt``, ``portal/matrix.html``, ``report/consolidated.html``; partials
are prefixed ``_``. HTML and XML are autoescaped, plain-text email parts are not; undefined
names are errors. Filters that depend on the reader's language take it from the template's
``lang`` (Vietnamese when there is none). The environment is built once per process, on first
use.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from phancong.domain.calendar import period_title
from phancong.domain.citation import fmt_citation
from phancong.domain.status import LABELS, Status
from phancong.domain.zone import DEFAULT_TZ
from phancong.resources import templates_dir
from phancong.services.attachments import human_size
from phancong.services.report_docx import counts_sentence, indicator_result

TEMPLATES_DIR = templates_dir()
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DISPLAY_TZ = DEFAULT_TZ


def language(value: str | None) -> str:
    """A supported language code; anything else falls back to Vietnamese."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _lang(context: Context) -> str:
    value = context.get("lang")
    return language(value if isinstance(value, str) else None)


def format_date(value: dt.date | dt.datetime | None, tz: str = DISPLAY_TZ) -> str:
    """dd/mm/YYYY; an aware datetime is shown as its local date in ``tz``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(tz))
        value = value.date()
    return f"{value:%d/%m/%Y}"


def format_datetime(value: dt.datetime | None, tz: str = DISPLAY_TZ) -> str:
    """dd/mm/YYYY HH:MM in local time."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(tz))
    return f"{value:%d/%m/%Y %H:%M}"


@pass_context
def _period(context: Context, label: str, lang: str | None = None) -> str:
    return period_title(label, language(lang) if lang else _lang(context))


@pass_context
def _citation(context: Context, source: str, lang: str | None = None) -> str:
    """A duty's citation as the letter's reader says it ('Mục IV.3, gạch đầu dòng 2')."""
    return fmt_citation(source, language(lang) if lang else _lang(context))


@pass_context
def _status(context: Context, value: str, lang: str | None = None) -> str:
    try:
        vi, en = LABELS[Status(value)]
    except ValueError:
        return value
    return vi if (language(lang) if lang else _lang(context)) == "vi" else en


@pass_context
def _number(context: Context, value: int | float, lang: str | None = None) -> str:
    """Thousands separated the local way: 3.321 in Vietnamese, 3,321 in English."""
    text = f"{value:,}"
    if (language(lang) if lang else _lang(context)) == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@pass_context
def _t(context: Context, vi: str, en: str) -> str:
    """Pick the Vietnamese or English text by the template's ``lang``."""
    return vi if _lang(context) == "vi" else en


def wrap(text: str, width: int = 76, indent: str = "", first: str | None = None) -> str:
    """Wrap each paragraph of plain text; never breaks words or links."""
    return _wrap(str(text), width, indent, first)


@lru_cache(maxsize=16384)
def _wrap(text: str, width: int, indent: str, first: str | None) -> str:
    # cached: a sweep wraps the same duty titles and texts for thousands of communes
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = [" ".join(line.split()) for line in para.splitlines()]
        out.append(textwrap.fill(
            " ".join(line for line in lines if line), width=width,
            initial_indent=indent if first is None else first, subsequent_indent=indent,
            break_long_words=False, break_on_hyphens=False,
        ))
    return "\n\n".join(out)


def report_figure(value: float) -> str:
    """A figure of the consolidated report: up to two decimals, thousands separated by a
    no-break space (as the report's tables of indicators print them)."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u00a0")


def report_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/YYYY, or a dash where a report's cell has no date."""
    return format_date(value) if value is not None else "—"


def paragraphs(text: str) -> Markup:
    """Plain text → escaped HTML paragraphs (blank lines separate paragraphs)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(text).strip()) if p.strip()]
    return Markup("\n").join(
        Markup('<p style="margin:0 0 12px;">{}</p>').format(Markup(" ").join(
            escape(" ".join(line.split())) for line in p.splitlines() if line.strip()
        )) for p in parts
    )


def roman(number: int) -> str:
    values = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, numeral in values:
        while number >= value:
            out += numeral
            number -= value
    return out


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (built once, on first call)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"),
                                     default_for_string=True, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Any] = {
        "date": format_date,
        "datetime": format_datetime,
        "period": _period,
        "status": _status,
        "citation": _citation,
        "number": _number,
        "wrap": wrap,
        "paragraphs": paragraphs,
        "roman": roman,
        "filesize": human_size,
        "figure": report_figure,
        "vndate": report_date,
        "indicator_result": indicator_result,
        "counts_sentence": counts_sentence,
    }
    env.filters.update(filters)
    env.globals.update({"LANGUAGES": LANGUAGES, "DEFAULT_LANGUAGE": DEFAULT_LANGUAGE, "t": _t})
    return env
