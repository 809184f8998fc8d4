"""Event-triggered obligations: a report owed because something happened, not on a calendar.

A duty declared ``cadence: {kind: on_event, within: N}`` gets no calendar obligations from
materialisation. Instead:

- a unit that owns it (lead, or requested) *opens* one when the event happens ("kịp thời"):
  what happened, the day it happened → an obligation of that unit, due ``within`` days later
  (working days on the plan's holiday calendar by default), labelled ``EV-<day>-<n>``
  ("Sự việc 03/07/2026 (2)");
- the Standing Office *requests* one ("báo cáo đột xuất") from one owner or from every owner,
  with a reason and optionally its own deadline, labelled ``DX-<day>-<n>`` (one label for the
  whole request, so the roll-ups count "x of N submitted" for it).

From then on it is an ordinary obligation: the sweep reminds, marks it overdue and escalates
it along the duty's ladder; the unit reports through the same submit path; the Standing Office
accepts or returns it. Re-materialising never cancels, moves or links it
(:func:`phancong.services.obligation_schedule.calendar_period`). Each opening is one
transaction with its audit entry (who, when, what) and a row in ``obligation_events``.

Who may do what (a unit only for itself, only for event duties it owns; the coordinator
requests; a viewer neither) is checked by :mod:`phancong.services.event_actions`, the one entry of
the portal, the API and the CLI; the ownership of the duty is checked here, on the duties and
owners of :mod:`phancong.services.event_duties`.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationEventRow,
    ObligationRow,
    PlanRow,
    UnitRow,
)
from phancong.domain.cadence import Ladder
from phancong.domain.calendar import (
    AD_HOC_PREFIX,
    EVENT_PREFIX,
    event_deadline,
    event_label,
    parse_event_label,
    period_title,
)
from phancong.domain.horizon import period_words
from phancong.domain.ladder import ladder_dates
from phancong.domain.plan import Duty, Role
from phancong.domain.status import State, local_date
from phancong.services import audit
from phancong.services.errors import Conflict, NotFound, Refused
from phancong.services.event_duties import event_duty, owners_on, plan_model

DESCRIPTION_LIMIT = 500
EVENT = "event"


REQUEST = "request"


@dataclass(frozen=True)
class Opened:
    obligation_id: int
    unit_code: str
    period_label: str
    deadline: dt.date

    def title(self, lang: str = "vi") -> str:
        return period_title(self.period_label, lang)




def _text(value: str | None, what_vi: str, what_en: str) -> str:
    text = unicodedata.normalize("NFC", " ".join((value or "").split()))
    if not text:
        raise Refused(f"Cần ghi {what_vi}", f"{what_en} is required")
    if len(text) > DESCRIPTION_LIMIT:
        raise Refused(
            f"{what_vi.capitalize()} quá dài (tối đa {DESCRIPTION_LIMIT} ký tự)",
            f"{what_en} is too long (max {DESCRIPTION_LIMIT} characters)",
        )
    return text


def _event_day(plan: PlanRow, duty: Duty, day: dt.date | None, at: dt.datetime) -> dt.date:
    today = local_date(at, plan.timezone)
    day = day or today
    if day > today:
        raise Refused(
            f"Ngày xảy ra sự việc {day:%d/%m/%Y} chưa tới (hôm nay là {today:%d/%m/%Y})",
            f"The event day {day:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})",
        )
    if day < plan.period_start or (plan.period_end is not None and day > plan.period_end):
        raise Refused(
            f"Ngày {day:%d/%m/%Y} nằm ngoài thời gian của kế hoạch "
            f"({period_words(plan.period_start, plan.period_end, 'vi')})",
            f"The day {day:%d/%m/%Y} is outside the plan period "
            f"({period_words(plan.period_start, plan.period_end, 'en')})",
        )
    if not duty.active_on(day):
        raise Refused(
            f"Nhiệm vụ '{duty.id}' không áp dụng vào ngày {day:%d/%m/%Y}",
            f"Duty '{duty.id}' does not apply on {day:%d/%m/%Y}",
        )
    return day


def _duty_row(session: Session, plan_id: str, duty_code: str) -> DutyRow:
    row = session.scalars(
        select(DutyRow).where(DutyRow.plan_id == plan_id, DutyRow.code == duty_code)
    ).first()
    if row is None or not row.active:
        raise NotFound(
            f"Nhiệm vụ '{duty_code}' chưa được nạp vào sổ theo dõi",
            f"Duty '{duty_code}' is not in the ledger",
        )
    return row


def _next_number(
    session: Session, duty_pk: int, unit_pk: int | None, prefix: str, day: dt.date
) -> int:
    """1 + the highest number of the duty's ``prefix``/``day`` labels (of one unit, or of any
    unit: a request's label is shared by every unit asked)."""
    query = select(ObligationRow.period_label).where(
        ObligationRow.duty_id == duty_pk,
        ObligationRow.period_label.like(f"{prefix}-{day.isoformat()}-%"),
    )
    if unit_pk is not None:
        query = query.where(ObligationRow.unit_id == unit_pk)
    labels = session.scalars(query).all()
    numbers = [parsed[2] for label in labels if (parsed := parse_event_label(label))]
    return max(numbers, default=0) + 1


def _unit_pks(session: Session, plan_id: str, codes: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(UnitRow.code, UnitRow.id).where(
            UnitRow.plan_id == plan_id, UnitRow.code.in_(list(codes))
        )
    ).all()
    return {code: pk for code, pk in rows}


def _open(
    session: Session,
    *,
    plan: PlanRow,
    duty_row: DutyRow,
    owners: dict[str, Role],
    unit_pks: dict[str, int],
    label: str,
    day: dt.date,
    deadline: dt.date,
    kind: str,
    description: str,
    actor: str,
    at: dt.datetime,
) -> list[Opened]:
    """Insert one obligation per unit of ``unit_pks``, with its event row and audit entry."""
    today = local_date(at, plan.timezone)
    ladder_json = Ladder.model_validate(duty_row.ladder).model_dump_json()
    try:
        return _insert(session, plan, duty_row, owners, unit_pks, label, day, deadline, kind,
                       description, actor, at, today, ladder_json)
    except IntegrityError as exc:  # the same label taken by a concurrent opening
        raise Conflict(
            "Một sự việc khác vừa được mở cùng lúc; vui lòng thử lại",
            "Another event was opened at the same time; try again",
        ) from exc


def _insert(
    session: Session,
    plan: PlanRow,
    duty_row: DutyRow,
    owners: dict[str, Role],
    unit_pks: dict[str, int],
    label: str,
    day: dt.date,
    deadline: dt.date,
    kind: str,
    description: str,
    actor: str,
    at: dt.datetime,
    today: dt.date,
    ladder_json: str,
) -> list[Opened]:
    opened: list[Opened] = []
    for code, unit_pk in sorted(unit_pks.items()):
        role = owners[code]
        remind, overdue, standing, steering = ladder_dates(deadline, ladder_json, role.value)
        if kind == REQUEST:
            # a unit asked for an ad hoc report learns of it from the next sweep, whose
            # reminder carries it (one reminder per obligation: this one)
            remind = today
        elif remind is not None and remind < today:
            remind = None  # a unit that reports its own event needs no reminder of it today
        ob = ObligationRow(
            plan_id=plan.id,
            duty_id=duty_row.id,
            unit_id=unit_pk,
            role=role.value,
            period_label=label,
            period_start=day,
            period_end=day,
            nominal_deadline=deadline,
            original_deadline=deadline,
            effective_deadline=deadline,
            alert_on=remind or overdue,
            remind_on=remind,
            overdue_on=overdue,
            standing_office_on=standing,
            steering_committee_on=steering,
            state=State.OPEN.value,
            created_at=at,
            updated_at=at,
            revision=1,
        )
        session.add(ob)
        session.flush()
        obligation_id = ob.id
        session.add(
            ObligationEventRow(
                obligation_id=obligation_id,
                kind=kind,
                event_date=day,
                description=description,
                opened_by=actor,
                opened_at=at,
            )
        )
        after: dict[str, Any] = {
            "duty": duty_row.code,
            "unit": code,
            "period": label,
            "event_date": day.isoformat(),
            "deadline": deadline.isoformat(),
            "state": State.OPEN.value,
        }
        audit.record(
            session,
            at=at,
            actor=actor,
            action="obligation.event_opened" if kind == EVENT else "obligation.requested",
            plan_id=plan.id,
            entity="obligation",
            entity_id=obligation_id,
            after=after,
            reason=description,
        )
        opened.append(Opened(int(obligation_id), code, label, deadline))
    session.flush()
    return opened


def open_event(
    session: Session,
    *,
    plan_id: str,
    duty_code: str,
    unit_code: str,
    description: str,
    actor: str,
    at: dt.datetime,
    event_date: dt.date | None = None,
) -> Opened:
    """A unit reports that something happened: an obligation of that unit, due ``within``
    days after ``event_date`` (default: today in the plan's time zone)."""
    plan, model = plan_model(session, plan_id)
    duty = event_duty(model, duty_code)
    description = _text(description, "nội dung sự việc", "What happened")
    day = _event_day(plan, duty, event_date, at)
    owners = owners_on(model, duty, day)
    if unit_code not in owners:
        raise Refused(
            f"Đơn vị '{unit_code}' không chủ trì nhiệm vụ '{duty_code}' vào ngày {day:%d/%m/%Y}",
            f"Unit '{unit_code}' does not own duty '{duty_code}' on {day:%d/%m/%Y}",
        )
    duty_row = _duty_row(session, plan_id, duty_code)
    unit_pks = _unit_pks(session, plan_id, [unit_code])
    if unit_code not in unit_pks:
        raise NotFound(f"Không có đơn vị '{unit_code}'", f"No unit '{unit_code}'")
    number = _next_number(session, duty_row.id, unit_pks[unit_code], EVENT_PREFIX, day)
    (opened,) = _open(
        session,
        plan=plan,
        duty_row=duty_row,
        owners=owners,
        unit_pks=unit_pks,
        label=event_label(EVENT_PREFIX, day, number),
        day=day,
        deadline=event_deadline(duty.cadence, day),
        kind=EVENT,
        description=description,
        actor=actor,
        at=at,
    )
    return opened


def request_reports(
    session: Session,
    *,
    plan_id: str,
    duty_code: str,
    reason: str,
    actor: str,
    at: dt.datetime,
    unit_codes: Sequence[str] | None = None,
    deadline: dt.date | None = None,
) -> list[Opened]:
    """The Standing Office asks for an ad hoc report ("báo cáo đột xuất") today from the
    named owners of the duty, or from every owner (``unit_codes`` None). Due ``deadline``, or
    the duty's ``within`` days from today."""
    plan, model = plan_model(session, plan_id)
    duty = event_duty(model, duty_code)
    reason = _text(reason, "lý do yêu cầu báo cáo", "The reason for the request")
    day = _event_day(plan, duty, None, at)
    owners = owners_on(model, duty, day)
    wanted = sorted(owners) if unit_codes is None else sorted(set(unit_codes))
    if not wanted:
        raise Refused("Cần chọn ít nhất một đơn vị", "Choose at least one unit")
    strangers = [code for code in wanted if code not in owners]
    if strangers:
        raise Refused(
            f"Không thuộc các đơn vị chủ trì nhiệm vụ '{duty_code}': {', '.join(strangers)}",
            f"Not owners of duty '{duty_code}': {', '.join(strangers)}",
        )
    if deadline is None:
        deadline = event_deadline(duty.cadence, day)
    elif deadline < day:
        raise Refused(
            f"Hạn báo cáo {deadline:%d/%m/%Y} đã qua (hôm nay là {day:%d/%m/%Y})",
            f"The deadline {deadline:%d/%m/%Y} has passed (today is {day:%d/%m/%Y})",
        )
    elif plan.period_end is not None and deadline > plan.period_end:
        raise Refused(
            "Hạn báo cáo vượt quá thời gian của kế hoạch",
            "The deadline is after the plan's end",
        )
    duty_row = _duty_row(session, plan_id, duty_code)
    unit_pks = _unit_pks(session, plan_id, wanted)
    missing = [code for code in wanted if code not in unit_pks]
    if missing:
        raise NotFound(f"Không có đơn vị: {', '.join(missing)}", f"No unit: {', '.join(missing)}")
    number = _next_number(session, duty_row.id, None, AD_HOC_PREFIX, day)
    return _open(
        session,
        plan=plan,
        duty_row=duty_row,
        owners=owners,
        unit_pks=unit_pks,
        label=event_label(AD_HOC_PREFIX, day, number),
        day=day,
        deadline=deadline,
        kind=REQUEST,
        description=reason,
        actor=actor,
        at=at,
    )
