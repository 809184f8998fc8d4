"""The figures of the consolidated report's charts and of the matrix page's picture: the share
of reports in per period, and the on-time rate per agency, for the last periods of a plan.
The report itself is :mod:`phancong.services.consolidate`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    ObligationRow,
    UnitRow,
)
from phancong.domain.calendar import period_title
from phancong.domain.charts import RateRow, ReportedBar, period_short
from phancong.domain.plan import Role
from phancong.domain.status import State
from phancong.services.report_model import (
    ChartData,
)
from phancong.services.report_scope import (
    REPORTED_STATES,
    consolidating_duty,
    plan_row,
    reporting_duties,
)
from phancong.services.status_sql import status_expr

COMMUNES_NAME = "UBND các xã, phường"


def chart_data(session: Session, plan_id: str, as_of: dt.datetime, *,
               upto: str | None = None, periods: list[str] | None = None,
               last: int = 8) -> ChartData:
    """On-time rate per agency per period (communes together as one row) and "x of N
    reported" per period of the reporting duties, as of ``as_of``.

    Periods: the given ones, or those of the reporting duties due no later than ``upto``
    (the last ``last`` of them, by deadline).
    """
    plan = plan_row(session, plan_id)
    o = ObligationRow
    consolidating = consolidating_duty(session, plan_id)
    reporting = [d.id for d in reporting_duties(session, plan, consolidating)] or [-1]
    if periods is None:
        deadlines = dict(session.execute(
            select(o.period_label, func.max(o.original_deadline))
            .where(o.plan_id == plan_id, o.duty_id.in_(reporting))
            .group_by(o.period_label)).all())
        limit = deadlines.get(upto) if upto else None
        chosen = sorted((deadline, label) for label, deadline in deadlines.items()
                        if limit is None or deadline <= limit)
        periods = [label for _, label in chosen][-last:]
    if not periods:
        return ChartData(periods=[], rates=[], reported=[])
    st = status_expr(as_of, plan.timezone).label("st")
    sub = (select(o.unit_id, o.period_label, st)
           .where(o.plan_id == plan_id, o.period_label.in_(periods), o.role != Role.SUPPORT,
                  o.state.not_in([State.CANCELLED.value, State.WAIVED.value]))
           .subquery())
    rows = session.execute(
        select(UnitRow.name, UnitRow.short, UnitRow.kind, sub.c.period_label,
               func.sum(case((sub.c.st == "completed_on_time", 1), else_=0)),
               func.sum(case((sub.c.st.in_(["completed_on_time", "completed_late", "overdue"]),
                              1), else_=0)))
        .join(UnitRow, UnitRow.id == sub.c.unit_id)
        .group_by(UnitRow.name, UnitRow.short, UnitRow.kind, UnitRow.code, sub.c.period_label)
        .order_by(UnitRow.kind, UnitRow.code)
    ).all()
    tallies: dict[tuple[str, str], dict[str, list[int]]] = {}
    for name, short, kind, period, timely, due in rows:
        key = (COMMUNES_NAME, "XA, PHUONG") if kind == "commune" else (name, short or name)
        cell = tallies.setdefault(key, {}).setdefault(period, [0, 0])
        cell[0] += int(timely or 0)
        cell[1] += int(due or 0)
    rates = [
        (name, short, [(cells[p][0] / cells[p][1]) if p in cells and cells[p][1] else None
                       for p in periods])
        for (name, short), cells in tallies.items()
    ]
    reported_rows = dict(
        (label, (int(x or 0), int(n)))
        for label, x, n in session.execute(
            select(o.period_label,
                   func.sum(case((and_(o.state.in_(REPORTED_STATES), o.submitted_at <= as_of), 1),
                                 else_=0)),
                   func.count())
            .where(o.plan_id == plan_id, o.period_label.in_(periods),
                   o.duty_id.in_(reporting), o.role != Role.SUPPORT,
                   o.state.not_in([State.CANCELLED.value, State.WAIVED.value]))
            .group_by(o.period_label)).all()
    )
    return ChartData(
        periods=list(periods), rates=rates,
        reported=[(p, *reported_rows.get(p, (0, 0))) for p in periods],
    )


def rate_rows(chart: ChartData) -> list[RateRow]:
    return [RateRow(name, short, tuple(values)) for name, short, values in chart.rates]


def reported_bars(chart: ChartData) -> list[ReportedBar]:
    return [ReportedBar(period_title(p), period_short(p), x, n) for p, x, n in chart.reported]
