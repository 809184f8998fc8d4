"""Roll-ups: 'x of N' per duty, the on-time rate per unit, counts per status, and the national
page's per-plan figures. Each counts with the status rules of
:mod:`phancong.services.status_sql`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.plan import Role
from phancong.domain.status import (
    Review,
    State,
    Status,
    local_date,
)
from phancong.services.reads.plans import PlanInfo, plan_row
from phancong.services.status_sql import (
    late_expr,
    status_expr,
    status_is,
    submitted_by,
)


@dataclass(frozen=True)
class DutyRollup:
    duty_code: str
    title: str
    source: str
    period_label: str
    total: int  # owed by owners (lead and requested), cancelled excluded
    submitted: int  # marked done (awaiting review or accepted)
    accepted: int
    on_time: int
    overdue: int
    not_open: int
    deadline: dt.date  # the period's earliest effective deadline


def rollup_by_duty(
    session: Session, plan_id: str, as_of: dt.datetime, period: str | None = None
) -> list[DutyRollup]:
    """'x of N submitted' per duty and period."""
    plan = plan_row(session, plan_id)
    st = status_expr(as_of, plan.timezone).label("st")
    inner = select(
        ObligationRow.duty_id, ObligationRow.period_label, ObligationRow.effective_deadline, st
    ).where(
        ObligationRow.plan_id == plan_id,
        ObligationRow.role != Role.SUPPORT,
        ObligationRow.state != State.CANCELLED.value,
    )
    if period:
        inner = inner.where(ObligationRow.period_label == period)
    sub = inner.subquery()

    def count(*values: str) -> ColumnElement[Any]:
        return func.sum(case((sub.c.st.in_(values), 1), else_=0))

    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            sub.c.period_label,
            func.count(),
            count(Status.SUBMITTED, Status.COMPLETED_ON_TIME, Status.COMPLETED_LATE),
            count(Status.COMPLETED_ON_TIME, Status.COMPLETED_LATE),
            count(Status.COMPLETED_ON_TIME),
            count(Status.OVERDUE),
            count(Status.NOT_OPEN),
            func.min(sub.c.effective_deadline),
        )
        .join(DutyRow, DutyRow.id == sub.c.duty_id)
        .group_by(DutyRow.id, DutyRow.code, DutyRow.title, DutyRow.source, sub.c.period_label)
        .order_by(func.min(sub.c.effective_deadline), sub.c.period_label, DutyRow.id)
    ).all()
    return [
        DutyRollup(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            int(r[5] or 0),
            int(r[6] or 0),
            int(r[7] or 0),
            int(r[8] or 0),
            int(r[9] or 0),
            r[10],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class UnitRollup:
    unit_code: str
    unit_name: str
    kind: str
    due: int  # deadline passed or completed
    on_time: int
    late: int
    overdue: int
    open: int
    # completed through a coordinator's submission on the agency's behalf: part of ``due``,
    # counted apart from ``on_time`` and ``late`` (the agency's own record)
    on_behalf: int = 0

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def rollup_by_unit(session: Session, plan_id: str, as_of: dt.datetime) -> list[UnitRollup]:
    """On-time rate per agency: accepted on time / obligations past their deadline or done.

    An obligation completed by a coordinator's submission on the agency's behalf is counted in
    ``on_behalf``, not in the agency's ``on_time`` or ``late``."""
    plan = plan_row(session, plan_id)
    st = status_expr(as_of, plan.timezone).label("st")
    behalf = (
        select(SubmissionRow.obligation_id)
        .where(SubmissionRow.review == Review.ACCEPTED, SubmissionRow.on_behalf_reason.is_not(None))
        .distinct()
        .subquery()
    )
    sub = (
        select(
            ObligationRow.unit_id,
            st,
            behalf.c.obligation_id.is_not(None).label("by_coordinator"),
        )
        .outerjoin(behalf, behalf.c.obligation_id == ObligationRow.id)
        .where(
            ObligationRow.plan_id == plan_id,
            ObligationRow.role != Role.SUPPORT,
            ObligationRow.state.not_in([State.CANCELLED.value, State.WAIVED.value]),
        )
        .subquery()
    )

    def count(*values: str, by_coordinator: bool | None = None) -> ColumnElement[Any]:
        when: ColumnElement[bool] = sub.c.st.in_(values)
        if by_coordinator is not None:
            when = and_(when, sub.c.by_coordinator.is_(by_coordinator))
        return func.sum(case((when, 1), else_=0))

    rows = session.execute(
        select(
            UnitRow.code,
            UnitRow.name,
            UnitRow.kind,
            count(Status.COMPLETED_ON_TIME, Status.COMPLETED_LATE, Status.OVERDUE),
            count(Status.COMPLETED_ON_TIME, by_coordinator=False),
            count(Status.COMPLETED_LATE, by_coordinator=False),
            count(Status.OVERDUE),
            count(Status.IN_PROGRESS, Status.BLOCKED, Status.SUBMITTED, Status.RETURNED),
            count(Status.COMPLETED_ON_TIME, Status.COMPLETED_LATE, by_coordinator=True),
        )
        .join(UnitRow, UnitRow.id == sub.c.unit_id)
        .group_by(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind)
        .order_by(UnitRow.kind, UnitRow.code)
    ).all()
    return [
        UnitRollup(
            r[0],
            r[1],
            r[2],
            int(r[3] or 0),
            int(r[4] or 0),
            int(r[5] or 0),
            int(r[6] or 0),
            int(r[7] or 0),
            int(r[8] or 0),
        )
        for r in rows
    ]


def status_counts(
    session: Session, plan_id: str, as_of: dt.datetime, period: str | None = None
) -> dict[str, int]:
    plan = plan_row(session, plan_id)
    st = status_expr(as_of, plan.timezone)
    query = select(st, func.count()).where(ObligationRow.plan_id == plan_id).group_by(st)
    if period:
        query = query.where(ObligationRow.period_label == period)
    return {str(k): int(v) for k, v in session.execute(query).all()}


@dataclass(frozen=True)
class DutyProgress:
    duty_code: str
    title: str
    source: str
    total: int  # owed by owners (lead and requested), cancelled excluded
    submitted: int
    overdue: int


def duty_progress(
    session: Session, plan: PlanInfo, as_of: dt.datetime, period: str
) -> list[DutyProgress]:
    """'x of N submitted' per duty for one period, as ``ledger.rollup_by_duty`` counts it,
    with the dependency subquery evaluated only for rows already past their deadline."""
    o = ObligationRow
    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            func.count(),
            func.sum(case((submitted_by(as_of), 1), else_=0)),
            func.sum(case((status_is(as_of, plan.timezone, Status.OVERDUE), 1), else_=0)),
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .where(
            o.plan_id == plan.id,
            o.period_label == period,
            o.role != Role.SUPPORT,
            o.state != State.CANCELLED,
        )
        .group_by(DutyRow.id, DutyRow.code, DutyRow.title, DutyRow.source)
        .order_by(DutyRow.id)
    ).all()
    return [DutyProgress(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in rows]


@dataclass(frozen=True)
class PlanRollup:
    """One plan (a province) on the national page: its owners' obligations past deadline."""

    plan: PlanInfo
    due: int  # deadline passed, owed by an owner (lead or requested); cancelled, waived excluded
    reported: int  # of those: submitted or accepted
    accepted: int
    accepted_on_time: int
    late: int  # of those: still open or returned

    @property
    def rate(self) -> float | None:
        """On-time rate as the matrix counts it: accepted on time / (accepted + late)."""
        judged = self.accepted + self.late
        return self.accepted_on_time / judged if judged else None


def national_rollup(
    session: Session, plans: Sequence[PlanInfo], as_of: dt.datetime
) -> list[PlanRollup]:
    """'x of N reported' and the on-time rate of every plan in one grouped scan per timezone
    (the deadline-passed rows of each plan through the (plan, state, deadline) index)."""
    o = ObligationRow
    found: dict[str, tuple[int, ...]] = {}
    by_tz: dict[str, list[str]] = {}
    for plan in plans:
        by_tz.setdefault(plan.timezone, []).append(plan.id)
    reported = o.state.in_([State.SUBMITTED, State.ACCEPTED])
    for tz, ids in by_tz.items():
        day = local_date(as_of, tz)
        rows = session.execute(
            select(
                o.plan_id,
                func.count(),
                func.sum(case((reported, 1), else_=0)),
                func.sum(case((o.state == State.ACCEPTED, 1), else_=0)),
                func.sum(case((and_(o.state == State.ACCEPTED, o.on_time.is_(True)), 1), else_=0)),
                func.sum(case((late_expr(day), 1), else_=0)),
            )
            .where(
                o.plan_id.in_(ids),
                o.state.in_([State.OPEN, State.RETURNED, State.SUBMITTED, State.ACCEPTED]),
                o.effective_deadline < day,
                o.role != Role.SUPPORT,
            )
            .group_by(o.plan_id)
        ).all()
        found.update({r[0]: tuple(int(v or 0) for v in r[1:]) for r in rows})
    out = []
    for plan in plans:
        out.append(PlanRollup(plan, *found.get(plan.id, (0, 0, 0, 0, 0))))
    return out
