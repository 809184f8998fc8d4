"""The weekly digest for the Standing Office: figures and the overdue obligations, per agency.

The :class:`~phancong.services.notices.Notice` is built here from the ledger; the email channel
renders it (the digest task passes the renderer of its wiring, :mod:`phancong.bootstrap`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import PlanRow, UnitRow
from phancong.domain.status import Status, local_date
from phancong.services import reads
from phancong.services.errors import NotFound
from phancong.services.notices import (
    Level,
    Notice,
    NoticeItem,
    NoticeKind,
    Renderer,
    obligation_link,
)
from phancong.services.outbox import Mail, enqueue, is_queued, message_id
from phancong.services.plan_names import acting_offices, in_language, level_names

ITEM_LIMIT = 1000  # obligations listed in one digest; the figures count them all


def iso_week(plan_tz: str, as_of: dt.datetime) -> str:
    year, week, _ = local_date(as_of, plan_tz).isocalendar()
    return f"{year}-W{week:02d}"


def build_digest(session: Session, plan_id: str, as_of: dt.datetime, portal_url: str,
                 *, limit: int = ITEM_LIMIT) -> Notice:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    office_code = acting_offices(session, plan, local_date(as_of, plan.timezone))[0]
    office = session.scalars(
        select(UnitRow).where(UnitRow.plan_id == plan_id, UnitRow.code == office_code)
    ).first()
    counts = reads.status_counts(session, plan_id, as_of)
    units = reads.rollup_by_unit(session, plan_id, as_of)
    due = sum(u.due for u in units)
    summary = {"total": sum(counts.values()), "due": due,
               "overdue": counts.get(Status.OVERDUE.value, 0),
               "units_with_overdue": sum(1 for u in units if u.overdue)}
    if due:
        summary["on_time_pct"] = round(100 * sum(u.on_time for u in units) / due)
    summary.update({k: v for k, v in counts.items() if k != Status.OVERDUE.value})
    views = reads.find(session, plan_id, as_of, status=Status.OVERDUE.value, limit=limit)
    items = tuple(
        NoticeItem(
            obligation_id=v.id, level=Level.OVERDUE.value, duty_code=v.duty_code,
            duty_title=v.duty_title, source=v.source, unit_code=v.unit_code,
            unit_name=v.unit_name, role=v.role, period_label=v.period_label,
            deadline=v.deadline, original_deadline=v.original_deadline, days_late=-v.days_left,
            link=obligation_link(portal_url, v.id),
        )
        for v in views
    )
    lang = office.language if office is not None else "vi"
    office_name, board_name = in_language(level_names(session, plan_id), lang)
    return Notice(
        kind=NoticeKind.DIGEST, plan_id=plan_id, plan_title=plan.title, as_of=as_of,
        language=lang, office=office_name, board=board_name,
        recipient_code=office_code,
        recipient_name=office.name if office is not None else office_code,
        recipients=tuple(str(e) for e in office.emails) if office is not None else (),
        items=items, portal_url=portal_url, summary=summary,
    )


def queue_digest(session: Session, plan_id: str, as_of: dt.datetime, renderer: Renderer,
                 portal_url: str = "", now: dt.datetime | None = None) -> Mail | None:
    """Queue this ISO week's digest once; ``None`` if it is already in the outbox."""
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    key = f"digest:{plan_id}:{iso_week(plan.timezone, as_of)}"
    mid = message_id(plan_id, NoticeKind.DIGEST, key)
    if is_queued(session, mid):
        return None
    notice = build_digest(session, plan_id, as_of, portal_url)
    return Mail.of(enqueue(session, notice, renderer, key=key, now=now or as_of))
