"""The Standing Office's review queue and the calendar of deadlines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import DutyRow, ObligationRow, SubmissionRow, UnitRow
from phancong.domain.plan import Role
from phancong.domain.status import Review, State
from phancong.services.reads.plans import PlanInfo


@dataclass(frozen=True)
class PendingReview:
    obligation_id: int
    duty_code: str
    duty_title: str
    source: str
    unit_code: str
    unit_name: str
    period_label: str
    deadline: dt.date
    original_deadline: dt.date
    submission_id: int
    submitted_by: str
    submitted_at: dt.datetime
    note: str
    indicator_values: dict[str, Any]
    evidence_url: str | None
    indicators: list[Any]


def pending_reviews(session: Session, plan: PlanInfo, *, limit: int = 100) -> list[PendingReview]:
    o = ObligationRow
    rows = session.execute(
        select(
            o.id,
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            UnitRow.code,
            UnitRow.name,
            o.period_label,
            o.effective_deadline,
            o.original_deadline,
            SubmissionRow.id,
            SubmissionRow.submitted_by,
            SubmissionRow.submitted_at,
            SubmissionRow.note,
            SubmissionRow.indicator_values,
            SubmissionRow.evidence_url,
            DutyRow.indicators,
        )
        .join(SubmissionRow, SubmissionRow.obligation_id == o.id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .where(
            o.plan_id == plan.id,
            o.state == State.SUBMITTED,
            SubmissionRow.review == Review.PENDING,
        )
        .order_by(SubmissionRow.submitted_at, o.id)
        .limit(limit)
    ).all()
    return [
        PendingReview(
            obligation_id=r[0],
            duty_code=r[1],
            duty_title=r[2],
            source=r[3],
            unit_code=r[4],
            unit_name=r[5],
            period_label=r[6],
            deadline=r[7],
            original_deadline=r[8],
            submission_id=r[9],
            submitted_by=r[10],
            submitted_at=r[11],
            note=r[12],
            indicator_values=dict(r[13] or {}),
            evidence_url=r[14],
            indicators=list(r[15] or []),
        )
        for r in rows
    ]


def pending_count(session: Session, plan: PlanInfo) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ObligationRow)
            .where(ObligationRow.plan_id == plan.id, ObligationRow.state == State.SUBMITTED)
        )
        or 0
    )


@dataclass(frozen=True)
class DeadlineGroup:
    duty_code: str
    duty_title: str
    source: str
    period_label: str
    deadline: dt.date
    count: int


def deadline_groups(
    session: Session, plan: PlanInfo, since: dt.date, limit: int = 5000
) -> list[DeadlineGroup]:
    """One line per duty × period × deadline (for coordinators' and viewers' calendars)."""
    o = ObligationRow
    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            o.period_label,
            o.effective_deadline,
            func.count(),
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .where(
            o.plan_id == plan.id,
            o.effective_deadline >= since,
            o.role != Role.SUPPORT,
            o.state.not_in([State.CANCELLED, State.WAIVED]),
        )
        .group_by(DutyRow.code, DutyRow.title, DutyRow.source, o.period_label, o.effective_deadline)
        .order_by(o.effective_deadline, DutyRow.code)
        .limit(limit)
    ).all()
    return [DeadlineGroup(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]
