"""Every recorded escalation step has its line in an email to the right recipient.

Written from the ladder's rules as the README states them, independently of the routing code:

- a reminder reaches the owner (as a reminder, or folded into a more urgent line about the same
  obligation in the same email: its overdue notice, or — when the owner is the Standing Office
  — the request to review what it waits on);
- an overdue notice reaches the owner (as the notice, or folded into a higher line to the same
  recipient: the Steering Committee's own duty, escalated in the same sweep), or — when the obligation was blocked when the step was
  taken — someone holding it up (an upstream owner, or the Standing Office for a report awaiting
  its review), never the owner who waits; a line naming the upstream obligation counts as the
  urge even when a higher line to the same recipient carries it;
- a Standing Office step reaches the Standing Office, or the Steering Committee when the owner
  is the Standing Office itself;
- a Steering Committee step reaches the Steering Committee.

The Standing Office and the Steering Committee are those acting on the step's day (an office
whose last day has passed is succeeded by its ``successor``).

A line counts only in an email queued by the same sweep (created at the step's instant).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.status import local_date
from phancong.services.plan_names import acting_offices


@dataclass(frozen=True)
class Missing:
    obligation_id: int
    level: str
    owner: str
    blocked: bool
    taken_at: str


def steps_without_line(session: Session, plan_id: str) -> list[Missing]:
    plan = session.get(PlanRow, plan_id)
    assert plan is not None
    lines: dict[tuple[int, object], list[tuple[str, str, bool]]] = defaultdict(list)
    for oid, level, upstream, recipient, created in session.execute(
        select(
            OutboxItemRow.obligation_id,
            OutboxItemRow.level,
            OutboxItemRow.upstream_id,
            OutboxRow.recipient_unit,
            OutboxRow.created_at,
        )
        .join(OutboxRow, OutboxRow.id == OutboxItemRow.outbox_id)
        .where(OutboxRow.plan_id == plan_id, OutboxRow.kind != "review")
    ):
        # a line naming an upstream obligation urges its holder, whatever its level
        lines[(oid, _instant(created))].append((level or "", recipient or "", upstream is not None))
    missing = []
    for oid, level, blocked, taken_at, owner in session.execute(
        select(
            EscalationRow.obligation_id,
            EscalationRow.level,
            EscalationRow.blocked,
            EscalationRow.taken_at,
            UnitRow.code,
        )
        .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(ObligationRow.plan_id == plan_id)
    ):
        found = lines.get((oid, _instant(taken_at)), [])
        standing, steering = acting_offices(session, plan, local_date(taken_at, plan.timezone))
        if level == "reminder":
            ok = any(r == owner for _, r, _ in found)
        elif level == "overdue" and blocked:
            ok = any(
                (lv in ("blocker", "review") or urges) and r != owner for lv, r, urges in found
            ) or any(lv == "review" and r == standing for lv, r, _ in found)
        elif level == "overdue":
            # the owner's own line about it: the notice, or a higher one to the same recipient
            # (the Steering Committee's own duty escalated to itself in the same sweep)
            ok = any(lv != "reminder" and r == owner for lv, r, _ in found)
        elif level == "standing_office":
            told = steering if owner == standing else standing
            # to the Steering Committee, its own step of the same sweep may carry it
            ok = any(
                r == told and (lv == "standing_office" or r == steering) for lv, r, _ in found
            )
        else:
            ok = any(lv == "steering_committee" and r == steering for lv, r, _ in found)
        if not ok:
            missing.append(Missing(oid, level, owner, bool(blocked), str(taken_at)))
    return missing


def _instant(value: object) -> object:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones: compare as naive UTC."""
    import datetime as dt

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
