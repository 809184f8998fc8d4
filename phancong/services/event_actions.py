"""Opening event-triggered obligations as the portal, the JSON API and the CLI do it.

The access policy of :mod:`phancong.services.events`, in one place: an agency account opens an
obligation only for its own unit and only for an event duty that unit owns (the service checks
the ownership); the Standing Office (a coordinator) requests ad hoc reports ("báo cáo đột
xuất") from one owner or from all; a viewer does neither. Text is cleaned as every other
note or reason (control and bidi characters dropped), then NFC-normalised by the service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from phancong.domain.access import Principal, plan_in_scope
from phancong.services import events
from phancong.services.access import forbidden
from phancong.services.actions import clean_text
from phancong.services.errors import Forbidden, NotFound, Refused
from phancong.services.reads.plans import plan_row

_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")  # a plan id as plan files write it


def plan_of(principal: Principal, plan_id: str | None) -> str:
    plan_id = plan_id or principal.plan_id
    if not plan_id:
        raise Refused("Cần chọn kế hoạch", "Choose a plan")
    if not _PLAN_ID.fullmatch(plan_id) or not plan_in_scope(principal, plan_id):
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return plan_id


def timezone_of(session: Session, plan_id: str) -> str:
    return plan_row(session, plan_id).timezone


def may_open(principal: Principal) -> bool:
    return principal.is_agency and principal.unit_code is not None


def may_request(principal: Principal) -> bool:
    return principal.is_coordinator


def open_event(
    session: Session,
    principal: Principal,
    *,
    plan_id: str | None,
    duty_code: str,
    description: str | None,
    event_date: dt.date | None,
    at: dt.datetime,
) -> events.Opened:
    """An agency account reports that something happened to its own unit."""
    if principal.is_coordinator:
        raise Forbidden(
            "Thường trực không tự mở sự việc thay đơn vị: hãy yêu cầu báo cáo đột xuất",
            "The Standing Office does not open an event for a unit: request an ad hoc report",
        )
    if not may_open(principal):
        raise forbidden()
    assert principal.unit_code is not None
    return events.open_event(
        session,
        plan_id=plan_of(principal, plan_id),
        duty_code=duty_code,
        unit_code=principal.unit_code,
        description=clean_text(description),
        actor=principal.email,
        at=at,
        event_date=event_date,
    )


def request_reports(
    session: Session,
    principal: Principal,
    *,
    plan_id: str | None,
    duty_code: str,
    reason: str | None,
    unit_codes: Sequence[str] | None,
    deadline: dt.date | None,
    at: dt.datetime,
) -> list[events.Opened]:
    """The Standing Office asks for an ad hoc report from ``unit_codes`` (None: every owner)."""
    if not may_request(principal):
        raise Forbidden(
            "Chỉ Cơ quan Thường trực được yêu cầu báo cáo đột xuất",
            "Only the Standing Office may request an ad hoc report",
        )
    return events.request_reports(
        session,
        plan_id=plan_of(principal, plan_id),
        duty_code=duty_code,
        reason=clean_text(reason),
        actor=principal.email,
        at=at,
        unit_codes=list(unit_codes) if unit_codes else None,
        deadline=deadline,
    )
