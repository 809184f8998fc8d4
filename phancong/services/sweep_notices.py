"""The emails a sweep queued, written out at delivery: each outbox row's lines read back from
the ledger into one :class:`~phancong.services.notices.Notice` per recipient (who was told
before, who blocks whom, the acting Standing Office), then rendered."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.ladder import (
    Line,
    escalated_past_owner,
)
from phancong.domain.status import local_date
from phancong.services.notices import (
    Notice,
    NoticeItem,
    NoticeKind,
    Renderer,
    obligation_link,
)
from phancong.services.plan_names import acting_offices, in_language, level_names
from phancong.services.reads import Blocker, blockers

KIND_ORDER = [
    NoticeKind.REMINDER,
    NoticeKind.OVERDUE,
    NoticeKind.BLOCKER,
    NoticeKind.STANDING_OFFICE,
    NoticeKind.STEERING_COMMITTEE,
]

_KINDS = {
    Line.REMINDER.value: NoticeKind.REMINDER,
    Line.OVERDUE.value: NoticeKind.OVERDUE,
    Line.STANDING_OFFICE.value: NoticeKind.STANDING_OFFICE,
    Line.STEERING_COMMITTEE.value: NoticeKind.STEERING_COMMITTEE,
}


def kind_of_level(level: str) -> NoticeKind:
    return _KINDS.get(level, NoticeKind.BLOCKER)


def build_notice(session: Session, row: OutboxRow) -> Notice:
    """The notice a queued sweep email stands for, built from the ledger."""
    assert row.payload is not None
    plan = session.get(PlanRow, row.plan_id)
    assert plan is not None
    as_of = dt.datetime.fromisoformat(row.payload["as_of"])
    portal_url = str(row.payload.get("portal_url", ""))
    day = local_date(as_of, plan.timezone)
    refs = session.execute(
        select(
            OutboxItemRow.obligation_id,
            OutboxItemRow.level,
            OutboxItemRow.upstream_id,
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
        .join(ObligationRow, ObligationRow.id == OutboxItemRow.obligation_id)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .where(OutboxItemRow.outbox_id == row.id)
    ).all()
    upstream_lines = (Line.BLOCKER.value, Line.REVIEW.value)
    lines = {line.value for line in Line}
    office = acting_offices(session, plan, day)[0]  # once per email, not once per line
    waits = blockers(session, [r[0] for r in refs if r[1] not in upstream_lines])
    earlier = _told_before(session, [r[0] for r in refs], f"{plan.id}:{day.isoformat()}", as_of)
    reviewed = _owner_names(session, [r[2] for r in refs if r[1] == Line.REVIEW.value and r[2]])
    items = sorted(
        (
            NoticeItem(
                obligation_id=r[0],
                level=r[1] or "",
                duty_code=r[7],
                duty_title=r[8],
                source=r[9],
                unit_code=r[10],
                unit_name=r[11],
                role=r[3],
                period_label=r[4],
                deadline=r[5],
                original_deadline=r[6],
                days_late=(day - r[5]).days,
                blocked_by=() if r[2] else _names(waits.get(r[0], [])),
                waiting=(r[11],) if r[2] else (),
                link=obligation_link(portal_url, r[2] or r[0]),
                first_notice=r[1] not in upstream_lines and r[0] not in earlier,
                awaiting_review_of=reviewed.get(r[2] or 0, ""),
                past_owner=r[1] in lines
                and escalated_past_owner(Line(r[1]), row.recipient_unit or "", office),
            )
            for r in refs
        ),
        key=lambda i: (
            KIND_ORDER.index(kind_of_level(i.level)), i.deadline, i.unit_code, i.obligation_id
        ),
    )
    unit = session.execute(
        select(UnitRow.name).where(UnitRow.plan_id == plan.id, UnitRow.code == row.recipient_unit)
    ).scalar()
    office, board = in_language(level_names(session, plan.id), row.language)
    return Notice(
        kind=NoticeKind(row.kind),
        plan_id=plan.id,
        plan_title=plan.title,
        as_of=as_of,
        language=row.language,
        recipient_code=row.recipient_unit or "",
        recipient_name=unit or (row.recipient_unit or ""),
        recipients=tuple(row.recipients),
        items=tuple(items),
        portal_url=portal_url,
        office=office,
        board=board,
    )


def _told_before(
    session: Session, obligation_ids: list[int], sweep_key: str, as_of: dt.datetime
) -> set[int]:
    """The obligations of which an earlier sweep took a step (so someone was told before)."""
    out: set[int] = set()
    for start in range(0, len(obligation_ids), 5000):
        out.update(
            session.scalars(
                select(EscalationRow.obligation_id)
                .where(
                    EscalationRow.obligation_id.in_(obligation_ids[start : start + 5000]),
                    EscalationRow.sweep_key != sweep_key,
                    EscalationRow.taken_at <= as_of,
                )
                .distinct()
            )
        )
    return out


def _owner_names(session: Session, obligation_ids: list[int]) -> dict[int, str]:
    if not obligation_ids:
        return {}
    return dict(
        session.execute(
            select(ObligationRow.id, UnitRow.name)
            .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
            .where(ObligationRow.id.in_(obligation_ids))
        )
        .tuples()
        .all()
    )


def render_pending(session: Session, row: OutboxRow, renderer: Renderer) -> None:
    """Render a queued sweep email in place (its lines are references to the ledger)."""
    if row.payload is None or row.body_html:
        return
    mail = renderer(build_notice(session, row))
    row.subject, row.body_text, row.body_html = mail.subject, mail.text, mail.html


NAMES_SHOWN = 10


def _names(waits_on: list[Blocker]) -> tuple[str, ...]:
    """Who an obligation waits on, the first few by name: a consolidated report can wait on
    every commune of the country."""
    names = tuple(dict.fromkeys(b.unit_name for b in waits_on))
    if len(names) <= NAMES_SHOWN:
        return names
    return (*names[:NAMES_SHOWN], f"+{len(names) - NAMES_SHOWN}")
