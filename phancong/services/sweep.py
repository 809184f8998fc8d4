"""The sweep: take every escalation step that is due, once, and queue one email per recipient.

Set-based: one ``INSERT … SELECT`` per ladder level records the steps (the unique constraint on
obligation × level makes a second run a no-op), one query reads the steps just taken, and the
emails are queued in the same transaction. Nothing here reads the clock: ``as_of`` is given.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.orm import (
    DependencyRow,
    DutyRow,
    EscalationRow,
    ObligationRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.status import ACTIVE_STATES, CLOSED_STATES, local_date
from phancong.services.errors import NotFound
from phancong.services.ledger import Blocker, blockers
from phancong.services.notices import Level, Notice, NoticeItem, NoticeKind, Renderer
from phancong.services.outbox import enqueue_many

LEVEL_COLUMN = {
    Level.REMINDER: ObligationRow.remind_on,
    Level.OVERDUE: ObligationRow.overdue_on,
    Level.STANDING_OFFICE: ObligationRow.standing_office_on,
    Level.STEERING_COMMITTEE: ObligationRow.steering_committee_on,
}
KIND_ORDER = [
    NoticeKind.REMINDER,
    NoticeKind.OVERDUE,
    NoticeKind.BLOCKER,
    NoticeKind.STANDING_OFFICE,
    NoticeKind.STEERING_COMMITTEE,
]

LinkMaker = Callable[[int], str]


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


def _blocked() -> ColumnElement[bool]:
    upstream = aliased(ObligationRow)
    return exists().where(
        DependencyRow.obligation_id == ObligationRow.id,
        DependencyRow.upstream_id == upstream.id,
        upstream.state.not_in([s.value for s in CLOSED_STATES]),
    )


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
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"sweep:{plan_id}".encode())}
        )


def sweep(
    session: Session,
    plan_id: str,
    as_of: dt.datetime,
    *,
    renderer: Renderer | None = None,
    portal_url: str = "",
    link: LinkMaker | None = None,
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
        due = due_steps_query(plan_id, level, day)
        query = select(
            ObligationRow.id,
            literal(level.value),
            literal(level.rank),
            literal(as_of, type_=EscalationRow.__table__.c.taken_at.type),
            literal(key),
            _blocked(),
        ).where(ObligationRow.id.in_(due))
        session.execute(
            insert(EscalationRow).from_select(
                ["obligation_id", "level", "rank", "taken_at", "sweep_key", "blocked"], query
            )
        )
        report.steps[level.value] = (
            session.scalar(
                select(func.count())
                .select_from(EscalationRow)
                .where(EscalationRow.id >= first_new, EscalationRow.level == level.value)
            )
            or 0
        )
        if progress:
            progress(index, len(levels) + 1, f"{level.value}: {report.steps[level.value]}")

    notices = _notices(session, plan, first_new, as_of, day, portal_url, link)
    report.recipients_without_address = [n.recipient_code for n, _ in notices if not n.recipients]
    # the Message-ID follows from what the mail says: day, recipient, kind and cited obligations
    report.emails = len(
        enqueue_many(
            session,
            [
                (
                    notice,
                    f"{key}:{notice.recipient_code}:{notice.kind.value}:"
                    + ",".join(
                        str(i) for i in sorted({item.obligation_id for item in notice.items})
                    ),
                )
                for notice, _ in notices
            ],
            renderer,
            now=as_of,
        )
    )
    if progress:
        progress(len(levels) + 1, len(levels) + 1, f"emails: {report.emails}")
    return report


def _notices(
    session: Session,
    plan: PlanRow,
    first_new: int,
    as_of: dt.datetime,
    day: dt.date,
    portal_url: str,
    link: LinkMaker | None,
) -> list[tuple[Notice, list[int]]]:
    """Group the steps just taken into one notice per recipient unit."""
    rows = session.execute(
        select(
            EscalationRow.id,
            EscalationRow.level,
            EscalationRow.blocked,
            ObligationRow.id,
            ObligationRow.role,
            ObligationRow.period_label,
            ObligationRow.effective_deadline,
            ObligationRow.original_deadline,
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            UnitRow.code,
            UnitRow.name,
        )
        .join(ObligationRow, ObligationRow.id == EscalationRow.obligation_id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(EscalationRow.id >= first_new)  # this sweep's steps (sweeps are serialised)
        .order_by(EscalationRow.obligation_id, EscalationRow.rank)
    ).all()
    if not rows:
        return []
    # one line per obligation, at the highest level newly reached
    top: dict[int, Any] = {}
    for r in rows:
        top[r[3]] = r  # rows are ordered by rank within an obligation
    blocked_ids = [oid for oid, r in top.items() if r[2]]
    upstream = blockers(session, blocked_ids)

    units = {
        r[0]: r
        for r in session.execute(
            select(UnitRow.code, UnitRow.name, UnitRow.emails, UnitRow.language).where(
                UnitRow.plan_id == plan.id
            )
        )
    }
    boxes: dict[tuple[str, NoticeKind], list[NoticeItem]] = defaultdict(list)
    step_ids: dict[tuple[str, NoticeKind], list[int]] = defaultdict(list)

    def put(recipient: str, kind: NoticeKind, item: NoticeItem, step_id: int) -> None:
        boxes[(recipient, kind)].append(item)
        step_ids[(recipient, kind)].append(step_id)

    for oid, r in top.items():
        level = Level(r[1])
        waits_on = upstream.get(oid, [])
        item = NoticeItem(
            obligation_id=oid,
            level=level.value,
            duty_code=r[8],
            duty_title=r[9],
            source=r[10],
            unit_code=r[11],
            unit_name=r[12],
            role=r[4],
            period_label=r[5],
            deadline=r[6],
            original_deadline=r[7],
            days_late=(day - r[6]).days,
            blocked_by=_names(waits_on),
            link=_link(oid, portal_url, link),
        )
        if level is Level.STANDING_OFFICE:
            put(plan.standing_office, NoticeKind.STANDING_OFFICE, item, r[0])
        elif level is Level.STEERING_COMMITTEE:
            put(plan.steering_committee, NoticeKind.STEERING_COMMITTEE, item, r[0])
        elif level is Level.OVERDUE and waits_on:
            # late because others are late: urge the upstream owners, not the one who waits
            for blocker in waits_on:
                urge = replace(
                    item,
                    level=NoticeKind.BLOCKER.value,
                    waiting=(r[12],),
                    blocked_by=(),  # the recipient is the one others wait on
                    link=_link(blocker.upstream_id, portal_url, link),
                )
                put(blocker.unit_code, NoticeKind.BLOCKER, urge, r[0])
        else:
            kind = NoticeKind.REMINDER if level is Level.REMINDER else NoticeKind.OVERDUE
            put(r[11], kind, item, r[0])

    # a recipient gets ONE mail per sweep: merge its boxes, the kind is its highest level
    per_recipient: dict[str, list[tuple[NoticeKind, list[NoticeItem], list[int]]]] = defaultdict(
        list
    )
    for (recipient, kind), items in boxes.items():
        per_recipient[recipient].append((kind, items, step_ids[(recipient, kind)]))
    out: list[tuple[Notice, list[int]]] = []
    for recipient, parts in sorted(per_recipient.items()):
        parts.sort(key=lambda p: KIND_ORDER.index(p[0]))
        kind = parts[-1][0]
        items = [i for _, part_items, _ in parts for i in part_items]
        ids = sorted(i for _, _, part_ids in parts for i in part_ids)
        unit = units.get(recipient)
        out.append(
            (
                Notice(
                    kind=kind,
                    plan_id=plan.id,
                    plan_title=plan.title,
                    as_of=as_of,
                    language=unit[3] if unit else "vi",
                    recipient_code=recipient,
                    recipient_name=unit[1] if unit else recipient,
                    recipients=tuple(unit[2] or ()) if unit else (),
                    items=tuple(items),
                    portal_url=portal_url,
                ),
                ids,
            )
        )
    return out


NAMES_SHOWN = 10


def _names(waits_on: list[Blocker]) -> tuple[str, ...]:
    """Who an obligation waits on, the first few by name: a consolidated report can wait on
    every commune of the country."""
    names = tuple(dict.fromkeys(b.unit_name for b in waits_on))
    if len(names) <= NAMES_SHOWN:
        return names
    return (*names[:NAMES_SHOWN], f"+{len(names) - NAMES_SHOWN}")


def _link(obligation_id: int, portal_url: str, link: LinkMaker | None) -> str:
    if link is not None:
        return link(obligation_id)
    return f"{portal_url}/obligations/{obligation_id}" if portal_url else ""


def overdue_table(
    session: Session, plan_id: str, as_of: dt.datetime, limit: int = 1000
) -> list[dict[str, object]]:
    """The overdue list coordinators see: agency, duty, citation, deadline, days late,
    escalation level and who it is blocked by."""
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    day = local_date(as_of, plan.timezone)
    top_level = (
        select(EscalationRow.obligation_id, func.max(EscalationRow.rank).label("rank"))
        .group_by(EscalationRow.obligation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ObligationRow.id,
            UnitRow.name,
            DutyRow.title,
            DutyRow.source,
            ObligationRow.period_label,
            ObligationRow.effective_deadline,
            top_level.c.rank,
        )
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .outerjoin(top_level, top_level.c.obligation_id == ObligationRow.id)
        .where(
            ObligationRow.plan_id == plan_id,
            ObligationRow.state.in_([s.value for s in ACTIVE_STATES]),
            ObligationRow.effective_deadline < day,
            ObligationRow.period_start <= day,
            ObligationRow.role != "support",
        )
        .order_by(ObligationRow.effective_deadline, UnitRow.name, ObligationRow.id)
        .limit(limit)
    ).all()
    waits = blockers(session, [r[0] for r in rows])
    levels = {lv.rank: lv.value for lv in Level}
    return [
        {
            "obligation": r[0],
            "agency": r[1],
            "duty": r[2],
            "citation": r[3],
            "period": r[4],
            "deadline": r[5].strftime("%d/%m/%Y"),
            "days_late": (day - r[5]).days,
            "escalation_level": levels.get(r[6] or 0, "—"),
            "blocked_by": ", ".join(dict.fromkeys(b.unit_name for b in waits.get(r[0], []))),
        }
        for r in rows
    ]


def overdue_count(session: Session, plan_id: str, day: dt.date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ObligationRow)
            .where(
                and_(
                    ObligationRow.plan_id == plan_id,
                    ObligationRow.state.in_([s.value for s in ACTIVE_STATES]),
                    ObligationRow.effective_deadline < day,
                    ObligationRow.period_start <= day,
                )
            )
        )
        or 0
    )
