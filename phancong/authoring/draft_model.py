"""What a first draft of a plan is: its duties (each with the paragraph it comes from, the
roles read, the cadence guessed and the notes on what was guessed), the plan-wide guesses and
what is left to fill in, and the draft written as a plan file. The reader is
:mod:`phancong.authoring.draft_plan`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from phancong.authoring.draft_roles import (
    Roles,
)


@dataclass
class DutyDraft:
    source: str
    text: str
    roles: Roles
    notes: list[str] = field(default_factory=list)
    cadence: dict[str, Any] = field(default_factory=lambda: {"kind": "periodic"})
    depends_on: list[str] = field(default_factory=list)
    id: str = ""


@dataclass
class Draft:
    data: dict[str, Any]
    notes: list[str]
    to_fill: list[str]


def ascii_text(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_text(text).casefold()).strip("-")[:60] or "x"


def duty_title(text: str) -> str:
    first = re.split(r"(?<=[.;:])\s", text.split("\n")[0])[0].rstrip(".;: ")
    if len(first) > 110:
        first = first[:110].rsplit(" ", 1)[0] + "…"
    return first if len(first) >= 3 else text[:110]


def draft_yaml(result: Draft, source_name: str) -> str:
    """The draft as a plan file, its plan-wide guesses and what is to be filled in as comments."""
    from phancong.authoring.plan_yaml import dump

    lines = [
        f"Bản nháp kế hoạch đọc từ {source_name} — cần người soát lại trước khi dùng.",
        "Draft read from the plan's text; every guess is in a duty's 'assumption'.",
        "",
    ]
    lines += ["Plan-wide assumptions:"] + [f"- {note}" for note in result.notes]
    if result.to_fill:
        lines += ["", "Cần điền / to fill in:"] + [f"- {item}" for item in result.to_fill]
    return dump(result.data, "\n".join(lines))
