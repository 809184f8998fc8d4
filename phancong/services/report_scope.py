"""What a consolidated report covers: the plan, the duty that consolidates (the Standing
Office's), the duties reporting into it, and which states count as reported or excused.
Shared by the report (:mod:`phancong.services.consolidate`) and its charts
(:mod:`phancong.services.report_charts`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.plan import Role
from phancong.domain.status import State
from phancong.services.errors import NotFound

REPORTED_STATES = (State.SUBMITTED.value, State.ACCEPTED.value)


EXCUSED_STATES = (State.WAIVED.value,)


def plan_row(session: Session, plan_id: str) -> PlanRow:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return plan


def standing_office_unit(session: Session, plan: PlanRow) -> UnitRow | None:
    return session.scalars(select(UnitRow).where(UnitRow.plan_id == plan.id,
                                                 UnitRow.code == plan.standing_office)).first()


def consolidating_duty(session: Session, plan_id: str,
                       period_label: str | None = None) -> DutyRow | None:
    """The Standing Office's consolidating duty: led by it, waiting on other duties.

    With a period, only a duty the Standing Office owes for that period; a periodic duty (one
    that follows the reporting calendar) is preferred over a yearly review.
    """
    plan = plan_row(session, plan_id)
    office = standing_office_unit(session, plan)
    if office is None:
        return None
    owed = select(ObligationRow.duty_id).where(
        ObligationRow.plan_id == plan_id, ObligationRow.unit_id == office.id,
        ObligationRow.role != Role.SUPPORT)
    if period_label is not None:
        owed = owed.where(ObligationRow.period_label == period_label)
    # the duties by id, not SELECT DISTINCT over their columns: PostgreSQL has no equality
    # for the JSON ones
    query = select(DutyRow).where(DutyRow.plan_id == plan_id, DutyRow.active.is_(True),
                                  DutyRow.id.in_(owed))
    candidates = [d for d in session.scalars(query) if d.depends_on]
    candidates.sort(key=lambda d: (d.cadence != "periodic", d.id))
    return candidates[0] if candidates else None


def reporting_duties(session: Session, plan: PlanRow,
                      consolidating: DutyRow | None) -> list[DutyRow]:
    query = select(DutyRow).where(DutyRow.plan_id == plan.id, DutyRow.active.is_(True))
    if consolidating is not None:
        query = query.where(DutyRow.code.in_(list(consolidating.depends_on)))
    duties = list(session.scalars(query.order_by(DutyRow.id)))
    if consolidating is None:  # no declared consolidation: every duty reports to the office
        duties = [d for d in duties if not d.depends_on]
    return duties
