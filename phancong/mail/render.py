"""Render a :class:`~phancong.services.notices.Notice` into subject, plain text and HTML.

The wording lives in the templates: ``templates/email/<lang>/<kind>.txt`` holds a letter's
subject, opening and closing (written once, used by both parts), ``_words.txt`` the shared
labels of a language, and ``_layout.txt`` / ``_layout.html`` the two bodies. This module only
prepares what the templates show: items grouped by escalation level, then by agency.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from phancong.domain.collation import vietnamese_key
from phancong.domain.status import Status
from phancong.services.notices import (
    Level,
    Notice,
    NoticeItem,
    NoticeKind,
    RenderedMail,
    obligation_link,
)
from phancong.templating import DISPLAY_TZ, environment, language

SUBJECT_LIMIT = 120
SUBJECT_TAG = "phancong"
# obligations described one by one in an email; the counts (per level, per agency) cover every
# one, and the rest are on the portal (a first sweep over a year's backlog told the Steering
# Committee of 4,084 obligations: a 7 MB email of 32,000 lines)
DETAIL_LIMIT = 200

# most urgent first: the reader sees what matters before what can wait
LEVEL_ORDER = (
    Level.STEERING_COMMITTEE.value,
    Level.STANDING_OFFICE.value,
    Level.OVERDUE.value,
    "blocker",
    "review",
    Level.REMINDER.value,
)
# levels whose items belong to many agencies: counted and listed per agency
BY_UNIT_LEVELS = (Level.STANDING_OFFICE.value, Level.STEERING_COMMITTEE.value)
# the owner's mail is one letter whatever its kind: its wording follows the groups it holds
# (the sweep merges a unit's reminders, overdue notices and blocker urges into one mail)
LETTERS = {
    NoticeKind.REMINDER: "owner",
    NoticeKind.OVERDUE: "owner",
    NoticeKind.BLOCKER: "owner",
    NoticeKind.STANDING_OFFICE: "standing_office",
    NoticeKind.STEERING_COMMITTEE: "steering_committee",
    NoticeKind.DIGEST: "digest",
    NoticeKind.REVIEW: "review",
}


@dataclass(frozen=True)
class UnitGroup:
    code: str
    name: str
    items: tuple[NoticeItem, ...]  # those described (see DETAIL_LIMIT)
    count: int  # all of the agency's obligations at this level


@dataclass(frozen=True)
class LevelGroup:
    level: str
    items: tuple[NoticeItem, ...]  # those described (see DETAIL_LIMIT)
    units: tuple[UnitGroup, ...]
    by_unit: bool
    count: int  # all of the level's obligations


def _item_key(item: NoticeItem) -> tuple[object, ...]:
    return (item.deadline, item.period_label, item.duty_code, vietnamese_key(item.unit_name),
            item.obligation_id)


def _by_unit(items: Iterable[NoticeItem]) -> tuple[UnitGroup, ...]:
    units: dict[str, list[NoticeItem]] = {}
    names: dict[str, str] = {}
    for item in items:
        units.setdefault(item.unit_code, []).append(item)
        names[item.unit_code] = item.unit_name
    groups = [UnitGroup(code, names[code], tuple(sorted(found, key=_item_key)), len(found))
              for code, found in units.items()]
    groups.sort(key=lambda g: (-g.count, vietnamese_key(g.name), g.code))
    return tuple(groups)


def group_items(notice: Notice) -> tuple[LevelGroup, ...]:
    """The notice's items by level (most urgent first), and within a level by agency."""
    items = [
        item if item.link else dataclasses.replace(
            item, link=obligation_link(notice.portal_url, item.obligation_id))
        for item in notice.items
    ]
    levels: dict[str, list[NoticeItem]] = {}
    for item in items:
        levels.setdefault(item.level, []).append(item)
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    out = []
    for level in sorted(levels, key=lambda lv: (rank.get(lv, len(rank)), lv)):
        units = _by_unit(levels[level])
        by_unit = level in BY_UNIT_LEVELS or notice.kind is NoticeKind.DIGEST
        found = tuple(i for u in units for i in u.items) if by_unit else tuple(
            sorted(levels[level], key=_item_key))
        out.append(LevelGroup(level, found, units, by_unit, len(found)))
    return tuple(out)


def described(groups: tuple[LevelGroup, ...], limit: int = DETAIL_LIMIT) -> tuple[LevelGroup, ...]:
    """``groups`` with only their first ``limit`` obligations described, most urgent first (an
    agency's list is a prefix of its level's); the counts stay those of every obligation."""
    left = limit
    out = []
    for group in groups:
        items = group.items[:left]
        left -= len(items)
        budget = len(items)
        units = []
        for unit in group.units:
            units.append(dataclasses.replace(unit, items=unit.items[:budget]))
            budget -= len(units[-1].items)
        out.append(dataclasses.replace(group, items=items, units=tuple(units)))
    return tuple(out)


def context(notice: Notice) -> dict[str, object]:
    """Everything a notice's templates may use."""
    lang = language(notice.language)
    every = group_items(notice)
    items = tuple(i for g in every for i in g.items)
    groups = described(every)
    shown = sum(len(g.items) for g in groups)
    local = notice.as_of.astimezone(ZoneInfo(DISPLAY_TZ)) if notice.as_of.tzinfo else notice.as_of
    iso = local.date().isocalendar()
    deadlines = sorted({i.deadline for i in items})
    return {
        "lang": lang,
        "kind": notice.kind.value,
        "letter_template": f"email/{lang}/{LETTERS[notice.kind]}.txt",
        "notice": notice,
        "plan_id": notice.plan_id,
        "plan_title": notice.plan_title,
        "recipient_name": notice.recipient_name,
        "portal_url": notice.portal_url.rstrip("/"),
        "as_of": local,
        "week": f"{iso.week:02d}/{iso.year}",
        "groups": groups,
        "items": items,
        "total": len(items),
        "counts": {g.level: g.count for g in groups},
        "unit_count": len({i.unit_code for i in items}),
        "level_units": {g.level: len(g.units) for g in every},
        # found late by the first sweep that took a step of them: nobody was told before
        "first_counts": {
            g.level: sum(1 for i in g.items if i.first_notice) for g in every
        },
        "past_owner_count": sum(1 for i in items if i.past_owner),
        "deadlines": deadlines,
        "first_deadline": deadlines[0] if deadlines else None,
        "level_deadlines": {g.level: sorted({i.deadline for i in g.items}) for g in every},
        "review": notice.review or "",
        "reason": notice.reason or "",
        "summary": dict(notice.summary),
        "figures": figures(notice.summary),
        # obligations not described: the digest lists only some of the overdue ones it counts
        "more": max(
            (notice.summary.get("overdue", 0) if notice.kind is NoticeKind.DIGEST else len(items))
            - shown,
            0,
        ),
        "level_office": notice.office,
        "level_board": notice.board,
        "tag": f"[{SUBJECT_TAG} · {notice.plan_id}]" if notice.plan_id else f"[{SUBJECT_TAG}]",
    }


FIGURE_ORDER = ("total", "due", "overdue", "units_with_overdue", "on_time_pct",
                *(s.value for s in Status if s is not Status.OVERDUE))


def figures(summary: dict[str, int]) -> list[tuple[str, int]]:
    """The digest's summary figures in a fixed order (known keys first, then the rest)."""
    known = [(k, summary[k]) for k in FIGURE_ORDER if k in summary]
    return known + sorted((k, v) for k, v in summary.items() if k not in FIGURE_ORDER)


def clean_subject(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line, at most ``limit`` characters (cut at a word, with an ellipsis)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:–-") + "…"


def _tidy_text(text: str) -> str:
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))  # linear, unlike a regex
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.replace("\n--\n", "\n-- \n")  # the signature separator keeps its space
    return text.strip() + "\n"


def render_notice(notice: Notice) -> RenderedMail:
    """Subject, plain-text and HTML parts of one notice (implements ``Renderer``)."""
    env = environment()
    ctx = context(notice)
    letter = env.get_template(str(ctx["letter_template"])).make_module(ctx)
    subject = clean_subject(f"{ctx['tag']} {letter.subject()}")  # type: ignore[attr-defined]
    ctx["subject"] = subject
    text = env.get_template("email/_layout.txt").render(ctx)
    html = env.get_template("email/_layout.html").render(ctx)
    return RenderedMail(subject=subject, text=_tidy_text(text), html=html)
