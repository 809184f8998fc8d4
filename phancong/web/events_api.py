"""JSON API of event-triggered obligations (bearer token, as the rest of ``/api``).

- ``GET /api/events/duties``: the event duties the caller may open (an agency: those its unit
  owns) or request (the Standing Office: all of them, with their owners);
- ``POST /api/events``: an agency account reports an event of its own unit;
- ``POST /api/events/requests``: the Standing Office asks for an ad hoc report.

Refusals are ``{"detail": "..."}`` in Vietnamese (``?lang=en`` for English), with the status
of :mod:`phancong.services.errors` (403, 404, 409, 422).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from phancong.adapters.db import transaction
from phancong.domain.status import local_date
from phancong.services import event_actions, events, reads
from phancong.services import event_duties as declared
from phancong.web.api import ERRORS, BearerDep, CallerDep, _out
from phancong.web.api_models import ObligationOut
from phancong.web.context import Caller

router = APIRouter(prefix="/api/events", tags=["api"])


class EventDutyOut(BaseModel):
    code: str
    title: str
    citation: str
    within: int = Field(description="days from the event to the deadline")
    calendar_days: bool = Field(description="false: working days (holidays skipped)")
    owners: list[str] = Field(description="unit codes that owe it (lead or requested)")


class OpenIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "duty_code": "iv-12-b8",
                    "description": "Tiếp nhận tin báo một vụ việc xâm hại trẻ em trên địa bàn",
                    "event_date": "2026-07-03",
                }
            ]
        },
    )

    duty_code: str = Field(min_length=1, max_length=80)
    description: str = Field(max_length=2000, description="what happened (short, required)")
    event_date: dt.date | None = Field(None, description="default: today (Hà Nội); not later")
    plan_id: str | None = Field(None, max_length=80, description="default: the account's plan")


class RequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "duty_code": "iii-4-dot-xuat",
                    "reason": "Giám đốc yêu cầu báo cáo đột xuất tình hình quý III",
                    "unit_codes": ["ca-h-gia-loc"],
                    "deadline": "2025-09-10",
                }
            ]
        },
    )

    duty_code: str = Field(min_length=1, max_length=80)
    reason: str = Field(max_length=2000)
    unit_codes: list[str] | None = Field(
        None, max_length=5000, description="units to ask; omitted or empty: every owner"
    )
    deadline: dt.date | None = Field(None, description="default: the duty's 'within' days")
    plan_id: str | None = Field(None, max_length=80)


class OpenedOut(BaseModel):
    message: str = Field(examples=["Đã mở nghĩa vụ báo cáo: Sự việc 03/07/2026 (1)"])
    obligations: list[ObligationOut]


def _answer(caller: Caller, opened: list[events.Opened], message: str) -> OpenedOut:
    with caller.portal.factory() as session:
        views = [reads.get(session, o.obligation_id, caller.now()) for o in opened]
    return OpenedOut(message=message, obligations=[_out(caller, v) for v in views])


def _message(caller: Caller, opened: list[events.Opened], requested: bool) -> str:
    title = opened[0].title(caller.lang)
    deadline = f"{opened[0].deadline:%d/%m/%Y}"
    if caller.lang == "en":
        what = "Ad hoc report requested from" if requested else "Obligation opened for"
        return f"{what} {len(opened)} unit(s): {title}, due {deadline}"
    what = "Đã yêu cầu báo cáo đột xuất từ" if requested else "Đã mở nghĩa vụ báo cáo cho"
    return f"{what} {len(opened)} đơn vị: {title}, hạn {deadline}"


@router.get("/duties", response_model=list[EventDutyOut], responses=ERRORS)
def event_duties(
    caller: CallerDep,
    plan: Annotated[str | None, Query(max_length=80, description="plan id")] = None,
) -> list[EventDutyOut]:
    """The event-triggered duties: an agency's own, or all of them for the other roles."""
    principal = caller.principal
    with caller.portal.factory() as session:
        plan_id = event_actions.plan_of(principal, plan)
        tz = event_actions.timezone_of(session, plan_id)
        found = declared.event_duties(
            session,
            plan_id,
            local_date(caller.now(), tz),
            principal.unit_code if principal.is_agency else None,
        )
    return [
        EventDutyOut(
            code=d.code,
            title=d.title,
            citation=d.source,
            within=d.within,
            calendar_days=d.calendar_days,
            owners=list(d.owners),
        )
        for d in found
    ]


@router.post("", response_model=OpenedOut, responses=ERRORS)
async def open_event(bearer: BearerDep, body: OpenIn) -> OpenedOut:
    """Report an event of the caller's own unit (agency accounts): opens its obligation."""

    def act() -> tuple[Caller, list[events.Opened]]:
        if not bearer.plausible:
            raise bearer.unauthorized()
        with transaction(bearer.portal.factory) as session:
            caller = bearer.caller(session)
            opened = event_actions.open_event(
                session,
                caller.principal,
                plan_id=body.plan_id,
                duty_code=body.duty_code,
                description=body.description,
                event_date=body.event_date,
                at=caller.now(),
            )
            return caller, [opened]

    caller, opened = await run_in_threadpool(act)
    bearer.portal.ledger_changed()
    return await run_in_threadpool(_answer, caller, opened, _message(caller, opened, False))


@router.post("/requests", response_model=OpenedOut, responses=ERRORS)
async def request_reports(bearer: BearerDep, body: RequestIn) -> OpenedOut:
    """Ask one, several or every owner of an event duty for an ad hoc report (coordinators)."""

    def act() -> tuple[Caller, list[events.Opened]]:
        if not bearer.plausible:
            raise bearer.unauthorized()
        with transaction(bearer.portal.factory) as session:
            caller = bearer.caller(session)
            opened = event_actions.request_reports(
                session,
                caller.principal,
                plan_id=body.plan_id,
                duty_code=body.duty_code,
                reason=body.reason,
                unit_codes=body.unit_codes,
                deadline=body.deadline,
                at=caller.now(),
            )
            return caller, opened

    caller, opened = await run_in_threadpool(act)
    bearer.portal.ledger_changed()
    return await run_in_threadpool(_answer, caller, opened, _message(caller, opened, True))
