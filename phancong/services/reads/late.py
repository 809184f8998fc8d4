"""The late list coordinators see in Prefect (:func:`phancong.domain.status.is_late`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    EscalationRow,
    ObligationRow,
    UnitRow,
)
from phancong.domain.status import local_date
from phancong.services.notices import (
    Level,
)
from phancong.services.reads.history import blockers
from phancong.services.reads.plans import plan_row
from phancong.services.status_sql import late_expr


def late_list(
    session: Session, plan_id: str, as_of: dt.datetime, limit: int = 1000
) -> list[dict[str, object]]:
    """The late list (:func:`phancong.domain.status.is_late`) coordinators see in Prefect:
    agency, duty, citation, deadline, days late, escalation level and who it is blocked by; the
    first ``limit`` rows, each carrying in ``total`` how many there are in all (so a cut list
    can say "1.000 / 1.359")."""
    plan = plan_row(session, plan_id)
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
            ObligationRow.role,
            ObligationRow.state,
            func.count().over().label("total"),  # before LIMIT: the whole late list
        )
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
        .outerjoin(top_level, top_level.c.obligation_id == ObligationRow.id)
        .where(
            ObligationRow.plan_id == plan_id,
            late_expr(day),
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
            "role": r[7],
            "state": r[8],
            "total": r[9],
        }
        for r in rows
    ]
