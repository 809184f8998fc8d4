"""Materialise a declared plan into the ledger: units, duties, obligations, dependency edges.

Idempotent: a second run with the same plan changes nothing. A changed plan file becomes a new
plan version; new duties get obligations, removed duties' open obligations are cancelled with
an audit entry, and nothing submitted is touched.

Units owe only within their validity (``valid_from``/``valid_to``, met with their group's):
an obligation is owed by whoever exists on its deadline — the unit itself, or after its last
day its ``successor``. A plan with ``amendments`` keeps the ledger as it was for every period
that ended before the latest amendment's effective date: re-materialising it creates, cancels
and reschedules nothing there (a ledger that never held the plan gets every period).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import analyze
from phancong.adapters.orm import (
    ObligationRow,
    PlanRow,
)
from phancong.domain.plan import Plan
from phancong.domain.units import Assignment, Directory
from phancong.services.obligation_schedule import Owing, link_dependencies, materialize_duty
from phancong.services.plan_sync import sync_duties, sync_plan, sync_units

Progress = Callable[[int, int, str], None]




STATISTICS_AFTER = 10_000  # obligations created in one run that warrant fresh planner statistics


@dataclass
class MaterializeReport:
    plan_id: str
    version: int
    new_version: bool = False
    units_added: int = 0
    duties_added: list[str] = field(default_factory=list)
    duties_changed: list[str] = field(default_factory=list)
    duties_removed: list[str] = field(default_factory=list)
    obligations_created: int = 0
    obligations_cancelled: int = 0
    obligations_rescheduled: int = 0
    dependencies_added: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.new_version
            or self.units_added
            or self.duties_added
            or self.duties_changed
            or self.duties_removed
            or self.obligations_created
            or self.obligations_cancelled
            or self.obligations_rescheduled
            or self.dependencies_added
        )


def materialize(
    session: Session,
    plan: Plan,
    directory: Directory,
    *,
    through: dt.date,
    now: dt.datetime,
    source: str = "",
    actor: str = "system:materialize",
    progress: Progress | None = None,
) -> MaterializeReport:
    """Bring the ledger in line with ``plan`` for every period starting on or before ``through``.

    A plan without an end (until revoked) is enumerated up to ``through`` only: call it with a
    rolling ``through`` (:func:`phancong.domain.horizon.horizon_through`) and each run adds the
    periods that came within reach, leaving those already held as they are. When the plan is
    given an end later, open obligations of periods starting after it are cancelled, whatever
    ``through`` is; everything before is kept."""
    report = MaterializeReport(plan_id=plan.id, version=0)
    held = session.get(PlanRow, plan.id)
    frozen = (
        plan.plan.amended_from
        if held is not None and held.materialized_through is not None
        else None
    )
    plan_row = sync_plan(session, plan, source, now, report)
    unit_ids = sync_units(session, plan, directory, report)
    duty_ids = sync_duties(session, plan, plan_row.current_version, now, actor, report, frozen)

    by_duty: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in directory.assignments():
        by_duty[assignment.duty_id].append(assignment)

    for index, duty in enumerate(plan.duties, start=1):
        if progress:
            progress(index, len(plan.duties), duty.id)
        owing = Owing(directory, unit_ids, by_duty[duty.id])
        materialize_duty(
            session, plan, duty, duty_ids[duty.id], owing, through, now, actor, report, frozen
        )
    report.dependencies_added = link_dependencies(session, plan, duty_ids)
    if plan_row.materialized_through is None or plan_row.materialized_through < through:
        plan_row.materialized_through = through
    session.flush()
    return report


def obligation_count(session: Session, plan_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ObligationRow).where(ObligationRow.plan_id == plan_id)
        )
        or 0
    )


def refresh_statistics(factory: sessionmaker[Session], report: MaterializeReport) -> bool:
    """After a committed materialisation that created many obligations, refresh the
    planner's statistics (PostgreSQL), so that the next sweep is not planned for the ledger
    as it was before. Returns whether they were refreshed."""
    if report.obligations_created < STATISTICS_AFTER:
        return False
    return analyze(factory, ("obligations", "obligation_dependencies", "units", "duties"))
