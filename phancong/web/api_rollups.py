"""The JSON API's roll-ups for coordinators and viewers: progress per duty and period, and the
on-time rate per agency (the figures of the portal's overview and matrix pages).

Routes under ``/api/rollups``, authenticated like the rest of the API (:mod:`phancong.web.api`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from phancong.services import reads
from phancong.services.access import forbidden
from phancong.web.api import ERRORS, CallerDep
from phancong.web.api_models import DutyRollupOut, UnitRollupOut
from phancong.web.context import Caller

router = APIRouter(prefix="/api", tags=["api"])


def _overview(caller: Caller) -> None:
    if caller.principal.is_agency:
        raise forbidden()


@router.get("/rollups/duties", response_model=list[DutyRollupOut], responses=ERRORS)
def duty_rollups(
    caller: CallerDep,
    plan: Annotated[str | None, Query(max_length=80)] = None,
    period: Annotated[str | None, Query(max_length=24, examples=["2026-Q1"])] = None,
) -> list[DutyRollupOut]:
    """'x of N submitted' per duty and period (coordinators and viewers)."""
    _overview(caller)
    with caller.portal.factory() as session:
        info = reads.resolve_plan(session, caller.principal, plan)
        rows = reads.rollup_by_duty(session, info.id, caller.now(), period=period)
    return [
        DutyRollupOut(
            duty_code=r.duty_code,
            title=r.title,
            citation=r.source,
            period_label=r.period_label,
            total=r.total,
            submitted=r.submitted,
            accepted=r.accepted,
            on_time=r.on_time,
            overdue=r.overdue,
            not_open=r.not_open,
        )
        for r in rows
    ]


@router.get("/rollups/units", response_model=list[UnitRollupOut], responses=ERRORS)
def unit_rollups(
    caller: CallerDep,
    plan: Annotated[str | None, Query(max_length=80)] = None,
) -> list[UnitRollupOut]:
    """On-time rate per agency (coordinators and viewers)."""
    _overview(caller)
    with caller.portal.factory() as session:
        info = reads.resolve_plan(session, caller.principal, plan)
        rows = reads.rollup_by_unit(session, info.id, caller.now())
    return [
        UnitRollupOut(
            unit_code=r.unit_code,
            unit_name=r.unit_name,
            kind=r.kind,
            due=r.due,
            on_time=r.on_time,
            late=r.late,
            overdue=r.overdue,
            open=r.open,
            on_behalf=r.on_behalf,
            on_time_rate=r.rate,
        )
        for r in rows
    ]
