"""Event-triggered duties as the ledger knows them: which duties of a plan are reported after an
event, who owns each on a given day, and what happened behind an obligation opened for an event.

Opening one (a unit) and requesting reports (the Standing Office) is
:mod:`phancong.services.events`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    ObligationEventRow,
    ObligationRow,
    PlanRow,
    PlanVersionRow,
)
from phancong.adapters.wards import wards_of
from phancong.domain.plan import Duty, Plan, Role
from phancong.domain.units import Directory
from phancong.services.errors import NotFound, Refused

_MODELS: dict[str, PlanModel] = {}


@dataclass(frozen=True)
class EventDuty:
    """A duty declared on_event, as a form offers it."""

    code: str
    title: str
    source: str
    within: int
    calendar_days: bool
    owners: tuple[str, ...]  # unit codes that owe it (lead or requested), as of a day


@dataclass
class PlanModel:
    plan: Plan
    directory: Directory


def plan_model(session: Session, plan_id: str) -> tuple[PlanRow, PlanModel]:
    """The plan as the ledger holds it (its current version), parsed once per version."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    checksum = session.scalar(
        select(PlanVersionRow.checksum).where(
            PlanVersionRow.plan_id == plan_id, PlanVersionRow.version == row.current_version
        )
    )
    if checksum is None:
        raise NotFound(f"Kế hoạch '{plan_id}' chưa được nạp", f"Plan '{plan_id}' is not loaded")
    model = _MODELS.get(checksum)
    if model is None:
        document = session.scalar(
            select(PlanVersionRow.document).where(
                PlanVersionRow.plan_id == plan_id, PlanVersionRow.version == row.current_version
            )
        )
        plan = Plan.model_validate(document)
        model = PlanModel(plan, Directory(plan, wards_of))
        if len(_MODELS) > 16:
            _MODELS.clear()
        _MODELS[checksum] = model
    return row, model


def owners_on(model: PlanModel, duty: Duty, day: dt.date) -> dict[str, Role]:
    """Unit code → role of every unit owing an obligation of ``duty`` on ``day`` (lead or
    requested; a unit past its last day is followed by its successor)."""
    found: dict[str, Role] = {}
    for assignment in model.directory.assignments():
        if assignment.duty_id != duty.id or assignment.role is Role.SUPPORT:
            continue
        for code in model.directory.owing(assignment, day):
            found.setdefault(code, assignment.role)
    return found


def event_duties(
    session: Session, plan_id: str, day: dt.date, unit_code: str | None = None
) -> list[EventDuty]:
    """The plan's event-triggered duties (those ``unit_code`` owes, when given)."""
    _, model = plan_model(session, plan_id)
    out = []
    for duty in model.plan.duties:
        if not duty.on_event:
            continue
        owners = owners_on(model, duty, day)
        if unit_code is not None and unit_code not in owners:
            continue
        assert duty.cadence.within is not None
        out.append(
            EventDuty(
                duty.id,
                duty.title,
                duty.source,
                duty.cadence.within,
                duty.cadence.day_count.value == "calendar",
                tuple(sorted(owners)),
            )
        )
    return out


def event_duty(model: PlanModel, duty_code: str) -> Duty:
    try:
        duty = model.plan.duty(duty_code)
    except KeyError:
        raise NotFound(
            f"Kế hoạch không có nhiệm vụ '{duty_code}'", f"The plan has no duty '{duty_code}'"
        ) from None
    if not duty.on_event:
        raise Refused(
            f"Nhiệm vụ '{duty_code}' không phải nhiệm vụ báo cáo theo sự việc (on_event)",
            f"Duty '{duty_code}' is not event-triggered (on_event)",
        )
    return duty


@dataclass(frozen=True)
class EventInfo:
    kind: str
    event_date: dt.date
    description: str
    opened_by: str
    opened_at: dt.datetime


def event_of(session: Session, obligation_id: int) -> EventInfo | None:
    """What opened an event obligation (None for a calendar one)."""
    row = session.get(ObligationEventRow, obligation_id)
    if row is None:
        return None
    return EventInfo(row.kind, row.event_date, row.description, row.opened_by, row.opened_at)


def event_count(session: Session, plan_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ObligationEventRow)
            .join(ObligationRow, ObligationRow.id == ObligationEventRow.obligation_id)
            .where(ObligationRow.plan_id == plan_id)
        )
        or 0
    )
