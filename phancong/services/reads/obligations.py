"""Obligations as people read them: one list query, one view of an obligation (by labelled
columns), who it waits on, its files and its history. Statuses come from
:mod:`phancong.services.status_sql`; nothing here writes."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    select,
)
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.status import (
    Facts,
    State,
    Status,
    local_date,
    status_of,
)
from phancong.services.errors import NotFound
from phancong.services.reads.plans import PlanInfo, plan_info
from phancong.services.status_sql import (
    blocked_expr,
    status_expr,
    status_is,
)


@dataclass(frozen=True)
class ObligationView:
    id: int
    plan_id: str
    duty_code: str
    duty_title: str
    source: str
    unit_code: str
    unit_name: str
    role: str
    period_label: str
    period_start: dt.date
    deadline: dt.date  # effective
    original_deadline: dt.date
    state: str
    status: str
    submitted_at: dt.datetime | None
    days_left: int  # negative: days late
    indicators: list[Any] = field(default_factory=list)


def view_columns() -> tuple[Any, ...]:
    """The first 13 columns of an :class:`ObligationView` row (id … state), in its order; a
    view query adds status, submitted_at and the duty's indicators (see :func:`view_from_row`)."""
    o = ObligationRow
    return (
        o.id,
        o.plan_id,
        DutyRow.code,
        DutyRow.title,
        DutyRow.source,
        UnitRow.code,
        UnitRow.name,
        o.role,
        o.period_label,
        o.period_start,
        o.effective_deadline,
        o.original_deadline,
        o.state,
    )


def view_from_row(row: Any, day: dt.date) -> ObligationView:
    """The view of a row of :func:`view_columns` then status, submitted_at and indicators,
    its days left counted from ``day``."""
    return ObligationView(
        id=row[0],
        plan_id=row[1],
        duty_code=row[2],
        duty_title=row[3],
        source=row[4],
        unit_code=row[5],
        unit_name=row[6],
        role=row[7],
        period_label=row[8],
        period_start=row[9],
        deadline=row[10],
        original_deadline=row[11],
        state=row[12],
        status=row[13],
        submitted_at=row[14],
        days_left=(row[10] - day).days,
        indicators=list(row[15] or []),
    )


@functools.cache
def _get_query() -> Any:
    """Obligations' views by id with the facts their status is derived from, built once.

    The status of a single row is derived in Python by :func:`status_of` (the rules
    :func:`status_expr` mirrors), so the statement does not depend on the instant and its
    compiled form is reused on every call.
    """
    o = ObligationRow
    return (
        select(
            *view_columns(),
            o.on_time,  # status is computed below from these facts
            o.submitted_at,
            DutyRow.indicators,
            o.accepted_at,
            blocked_expr().label("blocked"),
            PlanRow.timezone,
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .join(PlanRow, PlanRow.id == o.plan_id)
        .where(o.id.in_(bindparam("obligation_ids", expanding=True)))
    )


def get(session: Session, obligation_id: int, as_of: dt.datetime) -> ObligationView:
    view = get_many(session, [obligation_id], as_of).get(obligation_id)
    if view is None:
        raise NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")
    return view


def get_many(
    session: Session, obligation_ids: Sequence[int], as_of: dt.datetime
) -> dict[int, ObligationView]:
    """The views of the given obligations that exist, by id."""
    if not obligation_ids:
        return {}
    rows = session.connection().execute(_get_query(), {"obligation_ids": list(obligation_ids)})
    views: dict[int, ObligationView] = {}
    for row in rows:
        tz = row[18]
        facts = Facts(
            state=State(row[12]),
            period_start=row[9],
            effective_deadline=row[10],
            on_time=row[13],
            blocked=bool(row[17]),
            submitted_at=row[14],
            accepted_at=row[16],
        )
        status = status_of(facts, as_of, tz).value
        views[row[0]] = view_from_row((*row[:13], status, *row[14:16]), local_date(as_of, tz))
    return views


def list_obligations(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    period: str | None = None,
    status: str | None = None,
    duty: str | None = None,
    open_first: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> list[ObligationView]:
    """The one list of obligations (portal, API, exports, digest, tests): filtered, open first
    then by deadline (or by id), in two steps — pick the page's ids on plain columns, then
    compute the status of those rows only."""
    o = ObligationRow
    closed = case((o.state.in_([State.ACCEPTED, State.WAIVED, State.CANCELLED]), 1), else_=0)
    ids = select(o.id.label("id"), closed.label("closed"), o.effective_deadline.label("deadline"))
    if unit:  # by the unit's index (a unit belongs to one plan)
        unit_id = session.scalar(
            select(UnitRow.id).where(UnitRow.plan_id == plan.id, UnitRow.code == unit)
        )
        if unit_id is None:
            return []
        ids = ids.where(o.unit_id == unit_id)
    else:
        ids = ids.where(o.plan_id == plan.id)
    if period:
        ids = ids.where(o.period_label == period)
    if duty:
        duty_id = session.scalar(
            select(DutyRow.id).where(DutyRow.plan_id == plan.id, DutyRow.code == duty)
        )
        if duty_id is None:
            return []
        ids = ids.where(o.duty_id == duty_id)
    if status:
        ids = ids.where(status_is(as_of, plan.timezone, status))
    order = (closed, o.effective_deadline, o.id) if open_first else (o.id,)
    page = ids.order_by(*order).limit(limit).offset(offset).subquery()
    day = local_date(as_of, plan.timezone)
    rows = session.execute(
        select(
            *view_columns(),
            status_expr(as_of, plan.timezone),
            o.submitted_at,
            DutyRow.indicators,
        )
        .join(page, page.c.id == o.id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .order_by(*((page.c.closed, page.c.deadline, o.id) if open_first else (o.id,)))
    ).all()
    return [view_from_row(r, day) for r in rows]


def overdue(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ObligationView]:
    return list_obligations(
        session, plan, as_of, unit=unit, status=Status.OVERDUE.value, limit=limit, offset=offset
    )


def find(
    session: Session,
    plan_id: str,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    period: str | None = None,
    status: str | None = None,
    duty: str | None = None,
    open_first: bool = True,
    limit: int = 500,
    offset: int = 0,
) -> list[ObligationView]:
    """:func:`list_obligations` of the plan named ``plan_id``."""
    return list_obligations(
        session, plan_info(session, plan_id), as_of, unit=unit, period=period, status=status,
        duty=duty, open_first=open_first, limit=limit, offset=offset,
    )
