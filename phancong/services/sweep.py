"""The sweep: take every escalation step that is due, once, and queue one email per recipient.

Set-based: one ``INSERT … SELECT`` per ladder level records the steps (the unique constraint on
obligation × level makes a second run a no-op), one query reads the steps just taken, and the
emails are queued in the same transaction. Nothing here reads the clock: ``as_of`` is given.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, exists, func, insert, literal, select, text
from sqlalchemy.orm import Session

from phancong.adapters.dialect import is_postgresql, lock_for_transaction
from phancong.adapters.orm import (
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.ladder import (
    Route,
    Upstream,
    one_line_each,
    route_step,
)
from phancong.domain.status import ACTIVE_STATES, local_date
from phancong.services.errors import NotFound
from phancong.services.notices import (
    Level,
    NoticeKind,
    Renderer,
)
from phancong.services.outbox import message_id
from phancong.services.plan_names import acting_offices
from phancong.services.reads import blockers
from phancong.services.status_sql import blocked_among
from phancong.services.sweep_notices import KIND_ORDER, kind_of_level, render_pending

LEVEL_COLUMN = {
    Level.REMINDER: ObligationRow.remind_on,
    Level.OVERDUE: ObligationRow.overdue_on,
    Level.STANDING_OFFICE: ObligationRow.standing_office_on,
    Level.STEERING_COMMITTEE: ObligationRow.steering_committee_on,
}




OUTBOX = cast(Table, OutboxRow.__table__)


OUTBOX_ITEMS = cast(Table, OutboxItemRow.__table__)


@dataclass
class SweepReport:
    plan_id: str
    as_of: dt.datetime
    sweep_key: str
    steps: dict[str, int] = field(default_factory=dict)
    emails: int = 0
    recipients_without_address: list[str] = field(default_factory=list)

    @property
    def total_steps(self) -> int:
        return sum(self.steps.values())


def due_steps_query(plan_id: str, level: Level, day: dt.date):  # type: ignore[no-untyped-def]
    """Obligations for which ``level`` is due on ``day`` and not yet taken (the bare query)."""
    column = LEVEL_COLUMN[level]
    return select(ObligationRow.id).where(
        ObligationRow.plan_id == plan_id,
        ObligationRow.state.in_([s.value for s in ACTIVE_STATES]),
        ObligationRow.alert_on <= day,  # every ladder date is on or after alert_on: indexed
        column.is_not(None),
        column <= day,
        ObligationRow.period_start <= day,
        ~exists().where(
            EscalationRow.obligation_id == ObligationRow.id, EscalationRow.level == level.value
        ),
    )


def _serialise(session: Session, plan_id: str) -> None:
    """One sweep per plan at a time (SQLite already serialises writers with BEGIN IMMEDIATE)."""
    lock_for_transaction(session, f"sweep:{plan_id}")


def sweep(
    session: Session,
    plan_id: str,
    as_of: dt.datetime,
    *,
    renderer: Renderer | None = None,
    portal_url: str = "",
    progress: Callable[[int, int, str], None] | None = None,
) -> SweepReport:
    """Take every step due as of ``as_of`` and queue one email per recipient.

    With no ``renderer`` the emails are queued as notices and rendered when delivered, which
    keeps a national sweep a matter of SQL; pass one to store rendered emails at once.
    """
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    _serialise(session, plan_id)
    day = local_date(as_of, plan.timezone)
    key = f"{plan_id}:{day.isoformat()}"
    report = SweepReport(plan_id, as_of, key)
    first_new = (session.scalar(select(func.max(EscalationRow.id))) or 0) + 1

    levels = list(Level)
    for index, level in enumerate(levels, start=1):
        due = due_steps_query(plan_id, level, day).cte(f"due_{level.name.lower()}")
        query = select(
            due.c.id,
            literal(level.value),
            literal(level.rank),
            literal(as_of, type_=EscalationRow.__table__.c.taken_at.type),
            literal(key),
            due.c.id.in_(blocked_among(select(due.c.id))),
        )
        session.execute(
            insert(EscalationRow).from_select(
                ["obligation_id", "level", "rank", "taken_at", "sweep_key", "blocked"], query
            )
        )
        report.steps[level.value] = (
            session.scalar(
                select(func.count())
                .select_from(EscalationRow)
                .where(
                    EscalationRow.id >= first_new,
                    EscalationRow.sweep_key == key,
                    EscalationRow.level == level.value,
                )
            )
            or 0
        )
        if progress:
            progress(index, len(levels) + 1, f"{level.value}: {report.steps[level.value]}")

    report.emails, report.recipients_without_address = _queue(
        session, plan, first_new, key, as_of, portal_url, renderer,
        acting_offices(session, plan, day),
    )
    if progress:
        progress(len(levels) + 1, len(levels) + 1, f"emails: {report.emails}")
    return report


def _routes(
    session: Session, plan: PlanRow, first_new: int, key: str, offices: tuple[str, str]
) -> dict[str, dict[int, Route]]:
    """Who hears of each step just taken (every step, not only an obligation's highest): per
    recipient unit, one line per obligation (:func:`phancong.domain.ladder.one_line_each`)."""
    rows = session.connection().execute(  # Core rows: no ORM bookkeeping for ~33,000 steps
        select(
            EscalationRow.obligation_id, EscalationRow.level, EscalationRow.blocked, UnitRow.code
        )
        .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        # this sweep's steps: sweeps of one plan are serialised, but another plan's sweep may
        # commit steps with higher ids meanwhile (PostgreSQL), hence the plan's sweep key too
        .where(EscalationRow.id >= first_new, EscalationRow.sweep_key == key)
        .order_by(EscalationRow.obligation_id, EscalationRow.rank)
    ).all()
    waiting = [r[0] for r in rows if r[2] and r[1] == Level.OVERDUE.value]
    upstream = blockers(session, waiting)
    # a step that waits on nobody is routed by its level and owner alone: once per pair
    unblocked: dict[tuple[str, str], list[Route]] = {}
    routed: list[tuple[int, Route]] = []
    for oid, level_value, _, owner in rows:
        held_up = upstream.get(oid)
        if held_up:
            routes = route_step(
                Level(level_value),
                owner,
                blocked_on=[Upstream(b.upstream_id, b.unit_code, b.awaiting_review)
                            for b in held_up],
                standing_office=offices[0],
                steering_committee=offices[1],
            )
        else:
            routes = unblocked.get((level_value, owner)) or unblocked.setdefault(
                (level_value, owner),
                route_step(
                    Level(level_value),
                    owner,
                    standing_office=offices[0],
                    steering_committee=offices[1],
                ),
            )
        routed.extend((oid, route) for route in routes)
    return one_line_each(routed)


def _queue(
    session: Session,
    plan: PlanRow,
    first_new: int,
    key: str,
    as_of: dt.datetime,
    portal_url: str,
    renderer: Renderer | None,
    offices: tuple[str, str],
) -> tuple[int, list[str]]:
    """One outbox row per recipient, its lines as references; rendered now or at delivery.
    ``offices``: the standing office and steering committee acting that day."""
    routes = _routes(session, plan, first_new, key, offices)
    if not routes:
        return 0, []
    units = {
        r[0]: r
        for r in session.execute(
            select(UnitRow.code, UnitRow.emails, UnitRow.language).where(UnitRow.plan_id == plan.id)
        )
    }
    payload = {"as_of": as_of.isoformat(), "portal_url": portal_url}
    rows: list[dict[str, Any]] = []
    no_address: list[str] = []
    for recipient, lines in sorted(routes.items()):
        kind = max(
            (kind_of_level(level) for level in {r.line.value for r in lines.values()}),
            key=KIND_ORDER.index,
        )
        if recipient == offices[1] and kind is NoticeKind.STANDING_OFFICE:
            kind = NoticeKind.STEERING_COMMITTEE  # lines of the Standing Office's own duties
        emails = list(units[recipient][1] or ()) if recipient in units else []
        if not emails:
            no_address.append(recipient)
        ids = ",".join(str(i) for i in sorted(lines))
        rows.append(
            {
                "plan_id": plan.id,
                "message_id": message_id(plan.id, kind, f"{key}:{recipient}:{kind.value}:{ids}"),
                "kind": kind.value,
                "language": units[recipient][2] if recipient in units else "vi",
                "recipient_unit": recipient,
                "recipients": emails,
                "subject": "",
                "body_text": "",
                "body_html": "",
                "payload": payload,
                "status": "queued" if emails else "failed",
                "last_error": None if emails else "no email address for this unit",
                "attempts": 0,
                "created_at": as_of,
                "next_attempt_at": as_of,
                "sent_at": None,
            }
        )
    outbox_ids = _insert_outbox(session, rows)
    items = [
        {
            "outbox_id": outbox_ids[row["message_id"]],
            "obligation_id": oid,
            "level": route.line.value,
            "upstream_id": route.upstream_id,
        }
        for row in rows
        for oid, route in sorted(routes[row["recipient_unit"]].items())
    ]
    _insert_items(session, items)
    if renderer is not None:
        for outbox_id in outbox_ids.values():
            row = session.get(OutboxRow, outbox_id)
            assert row is not None
            render_pending(session, row, renderer)
        session.flush()
    return len(rows), no_address


def _insert_outbox(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the sweep's outbox rows; their ids by Message-ID."""
    if is_postgresql(session):
        # one statement from arrays, returning the ids (executemany dumps ~16 parameters a row
        # and needs a second query for the ids)
        first = rows[0]
        constant = ("plan_id", "payload", "created_at")
        assert all(r[c] == first[c] for r in rows for c in constant)
        return dict(
            session.execute(
                text(
                    "INSERT INTO outbox (plan_id, message_id, kind, language, recipient_unit, "
                    "recipients, subject, body_text, body_html, payload, status, last_error, "
                    "attempts, created_at, next_attempt_at, sent_at) "
                    "SELECT :plan, m, k, lang, unit, CAST(r AS json), '', '', '', "
                    "CAST(:payload AS json), st, err, 0, :at, :at, NULL "
                    "FROM unnest(CAST(:m AS varchar[]), CAST(:k AS varchar[]), "
                    "CAST(:lang AS varchar[]), CAST(:unit AS varchar[]), CAST(:r AS text[]), "
                    "CAST(:st AS varchar[]), CAST(:err AS text[])) "
                    "AS t(m, k, lang, unit, r, st, err) "
                    "RETURNING message_id, id"
                ),
                {
                    "plan": first["plan_id"],
                    "payload": json.dumps(first["payload"]),
                    "at": first["created_at"],
                    "m": [r["message_id"] for r in rows],
                    "k": [r["kind"] for r in rows],
                    "lang": [r["language"] for r in rows],
                    "unit": [r["recipient_unit"] for r in rows],
                    "r": [json.dumps(r["recipients"]) for r in rows],
                    "st": [r["status"] for r in rows],
                    "err": [r["last_error"] for r in rows],
                },
            )
            .tuples()
            .all()
        )
    session.connection().execute(insert(OUTBOX), rows)  # Core: no ORM bookkeeping per row
    return dict(
        session.execute(
            select(OutboxRow.message_id, OutboxRow.id).where(
                OutboxRow.message_id.in_([r["message_id"] for r in rows])
            )
        )
        .tuples()
        .all()
    )


def _int_array(values: list[int | None]) -> str:
    """A PostgreSQL array literal of integers (and NULLs): built with one join, where the
    driver's array dumper spends ~1 µs on each of a national sweep's ~150,000 elements."""
    return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"


def _word_array(values: list[str]) -> str:
    """The same for words that need no quoting in an array literal (ladder line names)."""
    assert all(_WORD.fullmatch(v) for v in set(values))
    return "{" + ",".join(values) + "}"


_WORD = re.compile(r"[a-z_]+")


def _insert_items(session: Session, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    if is_postgresql(session):
        # one statement from arrays: executemany costs a round trip per batch of rows
        session.execute(
            text(
                "INSERT INTO outbox_items (outbox_id, obligation_id, level, upstream_id) "
                "SELECT * FROM unnest(CAST(:o AS integer[]), CAST(:b AS integer[]), "
                "CAST(:l AS varchar[]), CAST(:u AS integer[]))"
            ),
            {
                "o": _int_array([i["outbox_id"] for i in items]),
                "b": _int_array([i["obligation_id"] for i in items]),
                "l": _word_array([i["level"] for i in items]),
                "u": _int_array([i["upstream_id"] for i in items]),
            },
        )
        return
    connection = session.connection()
    for start in range(0, len(items), 10_000):
        connection.execute(insert(OUTBOX_ITEMS), items[start : start + 10_000])
