"""The escalation ladder and who is told at each step (pure: no database, no clock).

A sweep records *steps* (an obligation reaching a level) and then asks :func:`route_step` who
hears of each one. Every step taken is routed, not only the highest one an obligation reaches
in a sweep: a first sweep that finds an obligation both overdue and past the Standing Office's
grace period tells the owner *and* the Standing Office.

Who is told, by level:

- ``reminder``: the owner.
- ``overdue``: the owner; when the obligation waits on upstream obligations still open, their
  owners instead ("blocker" lines) — and, for an upstream report that is submitted and only
  awaits review, the Standing Office, who then blocks ("review" lines).
- ``standing_office``: the plan's Standing Office; when the owner *is* the Standing Office, the
  Steering Committee (nobody is escalated to themselves).
- ``steering_committee``: the plan's Steering Committee.

When each step is due for one obligation is :func:`ladder_dates`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from phancong.domain.cadence import Ladder
from phancong.domain.calendar import shift_days
from phancong.domain.plan import Role


class Level(StrEnum):
    """Escalation steps in the order they are taken."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    STANDING_OFFICE = "standing_office"
    STEERING_COMMITTEE = "steering_committee"

    @property
    def rank(self) -> int:
        return list(Level).index(self) + 1


class Line(StrEnum):
    """What one line of a recipient's email is about (a level, or an urge to an upstream)."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    BLOCKER = "blocker"  # the recipient's own open obligation makes another one late
    REVIEW = "review"  # a submitted report awaiting the Standing Office's review does
    STANDING_OFFICE = "standing_office"
    STEERING_COMMITTEE = "steering_committee"


# a recipient's email holds one line per obligation: the most urgent it is owed
LINE_RANK = {
    Line.REMINDER: 1,
    Line.OVERDUE: 2,
    Line.BLOCKER: 2,
    Line.REVIEW: 2,
    Line.STANDING_OFFICE: 3,
    Line.STEERING_COMMITTEE: 4,
}


@dataclass(frozen=True)
class Upstream:
    """An open obligation another one waits on."""

    upstream_id: int
    unit_code: str
    awaiting_review: bool  # submitted, waiting for the Standing Office to accept or return


@dataclass(frozen=True)
class Route:
    recipient: str  # unit code
    line: Line
    upstream_id: int | None = None  # for blocker and review lines: the obligation to act on


def route_step(
    level: Level,
    owner: str,
    *,
    blocked_on: Sequence[Upstream] = (),
    standing_office: str,
    steering_committee: str,
) -> list[Route]:
    """Who hears of one step of one obligation owned by ``owner``."""
    if level is Level.REMINDER:
        return [Route(owner, Line.REMINDER)]
    if level is Level.OVERDUE:
        if not blocked_on:
            return [Route(owner, Line.OVERDUE)]
        # late because others are: urge whoever holds it up, not the one who waits
        return [
            Route(standing_office, Line.REVIEW, u.upstream_id)
            if u.awaiting_review
            else Route(u.unit_code, Line.BLOCKER, u.upstream_id)
            for u in blocked_on
        ]
    if level is Level.STANDING_OFFICE:
        if owner == standing_office:
            return [Route(steering_committee, Line.STANDING_OFFICE)]
        return [Route(standing_office, Line.STANDING_OFFICE)]
    return [Route(steering_committee, Line.STEERING_COMMITTEE)]


def escalated_past_owner(line: Line, recipient: str, standing_office: str) -> bool:
    """Whether a Standing Office line went to the Steering Committee because the owner is the
    Standing Office itself."""
    return line is Line.STANDING_OFFICE and recipient != standing_office


def one_line_each(
    routed: Iterable[tuple[int, Route]],
) -> dict[str, dict[int, Route]]:
    """Per recipient, one line per obligation: the highest-ranked it is owed this sweep (a
    reminder and an overdue notice found at once are told as the overdue notice). A line that
    outranks an urge keeps the urge's upstream obligation, so the recipient still learns it
    holds the obligation up (the Standing Office escalated about a duty waiting on its own)."""
    out: dict[str, dict[int, Route]] = {}
    for obligation_id, route in routed:
        lines = out.setdefault(route.recipient, {})
        held = lines.get(obligation_id)
        if held is None:
            lines[obligation_id] = route
            continue
        high, low = (route, held) if LINE_RANK[route.line] > LINE_RANK[held.line] else (held, route)
        upstream = high.upstream_id if high.upstream_id is not None else low.upstream_id
        lines[obligation_id] = Route(high.recipient, high.line, upstream)
    return out


@lru_cache(maxsize=65536)
def ladder_dates(
    deadline: dt.date, ladder_json: str, role: str
) -> tuple[dt.date | None, dt.date, dt.date | None, dt.date | None]:
    """(reminder, overdue notice, Standing Office, Steering Committee) dates of one deadline.

    Requested bodies are reported to the Standing Office but not escalated to the Steering
    Committee; supporting units get a reminder and an overdue notice only.
    """
    ladder = Ladder.model_validate_json(ladder_json)
    count = ladder.day_count
    remind = (
        shift_days(deadline, -ladder.reminder_before, count) if ladder.reminder_before else None
    )
    overdue = shift_days(deadline, ladder.overdue_notice_after, count)
    standing = shift_days(deadline, ladder.standing_office_after, count)
    steering = shift_days(deadline, ladder.steering_committee_after, count)
    if role == Role.SUPPORT:
        return remind, overdue, None, None
    if role == Role.REQUESTED:
        return remind, overdue, standing, None
    return remind, overdue, standing, steering
