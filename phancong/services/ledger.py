"""Use cases on obligations: submit, accept, return, withdraw, extend, waive.

What people read (lists, views, roll-ups) is the read model, :mod:`phancong.services.reads`.

Each action runs inside the caller's transaction, locks the obligation, checks the transition,
makes the change and returns it as a domain event (:class:`ObligationChanged`), from which
:mod:`phancong.services.handlers` writes the audit row and the unit's notice in the same
transaction (a change left unhandled refuses to commit).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from phancong.adapters.orm import (
    DutyRow,
    ExtensionRow,
    ObligationRow,
    PlanRow,
    SubmissionRow,
)
from phancong.domain.cadence import Ladder
from phancong.domain.changes import ObligationChanged
from phancong.domain.ladder import ladder_dates
from phancong.domain.status import (
    Review,
    State,
    on_time,
)
from phancong.domain.transitions import Transition, allowed, refusal, target
from phancong.services import handlers
from phancong.services.errors import Conflict, Forbidden, NotFound, Refused

NOTE_LIMIT = 10_000


def _plan(session: Session, plan_id: str) -> PlanRow:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return plan


def _snapshot_of(
    state: str,
    effective_deadline: dt.date,
    submitted_at: dt.datetime | None,
    accepted_at: dt.datetime | None,
    on_time: bool | None,
) -> dict[str, Any]:
    return {
        "state": state,
        "effective_deadline": effective_deadline.isoformat(),
        "submitted_at": submitted_at.isoformat() if submitted_at else None,
        "accepted_at": accepted_at.isoformat() if accepted_at else None,
        "on_time": on_time,
    }


def _snapshot(ob: ObligationRow) -> dict[str, Any]:
    return _snapshot_of(
        ob.state, ob.effective_deadline, ob.submitted_at, ob.accepted_at, ob.on_time
    )


def _changed(
    session: Session,
    ob: ObligationRow,
    transition: Transition,
    actor: str,
    at: dt.datetime,
    before: dict[str, Any],
    reason: str | None = None,
) -> ObligationChanged:
    return handlers.note(session, ObligationChanged(
        transition, ob.id, ob.plan_id, actor, at, before, _snapshot(ob), reason))


def lock(session: Session, obligation_id: int) -> ObligationRow:
    """Load an obligation for change, locking its row where the database can (PostgreSQL)."""
    try:
        ob = session.scalars(
            select(ObligationRow).where(ObligationRow.id == obligation_id).with_for_update()
        ).first()
    except OperationalError as exc:  # lock timeout or serialisation failure
        raise Conflict(
            "Nghĩa vụ đang được người khác cập nhật, vui lòng thử lại",
            "The obligation is being changed by someone else; try again",
        ) from exc
    if ob is None:
        raise NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")
    return ob


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(
            "Nghĩa vụ vừa được người khác thay đổi; hãy tải lại và thử lại",
            "The obligation was changed concurrently; reload and try again",
        ) from exc


def _refuse(transition: Transition, state: State | str) -> Refused:
    return Refused(*refusal(transition, state))


def _ladder_update(session: Session, ob: ObligationRow, deadline: dt.date) -> None:
    duty = session.get(DutyRow, ob.duty_id)
    assert duty is not None
    ladder_json = Ladder.model_validate(duty.ladder).model_dump_json()
    (ob.remind_on, ob.overdue_on, ob.standing_office_on, ob.steering_committee_on) = ladder_dates(
        deadline, ladder_json, ob.role
    )
    ob.alert_on = ob.remind_on or ob.overdue_on


def _pending(session: Session, ob: ObligationRow) -> SubmissionRow:
    sub = session.scalars(
        select(SubmissionRow)
        .where(SubmissionRow.obligation_id == ob.id, SubmissionRow.review == Review.PENDING)
        .order_by(SubmissionRow.id.desc())
    ).first()
    if sub is None:  # pragma: no cover - state and submissions are written together
        raise Conflict("Không tìm thấy báo cáo chờ duyệt", "No pending submission")
    return sub


def accept(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime
) -> ObligationChanged:
    ob = lock(session, obligation_id)
    if not allowed(Transition.ACCEPT, ob.state):
        raise _refuse(Transition.ACCEPT, ob.state)
    plan = _plan(session, ob.plan_id)
    sub = _pending(session, ob)
    if sub.submitted_by.strip().lower() == actor.strip().lower():
        raise Forbidden(
            "Không ai được tự chấp nhận báo cáo do chính mình nộp; "
            "một điều phối viên khác phải duyệt",
            "Nobody may accept their own submission; another coordinator must review it",
        )
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at = Review.ACCEPTED.value, actor, at
    ob.state = target(Transition.ACCEPT, ob.state).value
    ob.accepted_at, ob.updated_at = at, at
    ob.on_time = on_time(sub.submitted_at, ob.original_deadline, plan.timezone)
    _flush(session)
    return _changed(session, ob, Transition.ACCEPT, actor, at, before)


def return_(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime, reason: str
) -> ObligationChanged:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do trả lại", "A reason is required to return a submission")
    ob = lock(session, obligation_id)
    if not allowed(Transition.RETURN, ob.state):
        raise _refuse(Transition.RETURN, ob.state)
    sub = _pending(session, ob)
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at = Review.RETURNED.value, actor, at
    sub.review_reason = reason
    ob.state = target(Transition.RETURN, ob.state).value
    ob.submitted_at, ob.updated_at = None, at
    _flush(session)
    return _changed(session, ob, Transition.RETURN, actor, at, before, reason=reason)


def withdraw(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime
) -> ObligationChanged:
    """Take a submission back before it is reviewed: the obligation is open again (or returned,
    when an earlier report was returned) and the submission is kept, marked ``withdrawn``."""
    ob = lock(session, obligation_id)
    if not allowed(Transition.WITHDRAW, ob.state):
        raise _refuse(Transition.WITHDRAW, ob.state)
    sub = _pending(session, ob)
    returned_before = session.scalar(
        select(func.count())
        .select_from(SubmissionRow)
        .where(SubmissionRow.obligation_id == ob.id, SubmissionRow.review == Review.RETURNED)
    )
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at = Review.WITHDRAWN.value, actor, at
    ob.state = target(Transition.WITHDRAW, ob.state, returned_before=bool(returned_before)).value
    ob.submitted_at, ob.updated_at = None, at
    _flush(session)
    return _changed(session, ob, Transition.WITHDRAW, actor, at, before)


def extend(
    session: Session,
    obligation_id: int,
    *,
    actor: str,
    at: dt.datetime,
    new_deadline: dt.date,
    reason: str,
) -> ObligationChanged:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do gia hạn", "A reason is required to extend a deadline")
    ob = lock(session, obligation_id)
    if not allowed(Transition.EXTEND, ob.state):
        raise _refuse(Transition.EXTEND, ob.state)
    if new_deadline <= ob.effective_deadline:
        raise Refused(
            f"Hạn mới phải sau hạn hiện tại {ob.effective_deadline:%d/%m/%Y}",
            f"The new deadline must be after {ob.effective_deadline:%d/%m/%Y}",
        )
    plan = _plan(session, ob.plan_id)
    if plan.period_end is not None and new_deadline > plan.period_end:  # None: until revoked
        raise Refused(
            "Hạn mới vượt quá thời gian của kế hoạch", "The new deadline is after the plan's end"
        )
    before = _snapshot(ob)
    ext = ExtensionRow(
        obligation_id=ob.id,
        previous_deadline=ob.effective_deadline,
        new_deadline=new_deadline,
        reason=reason,
        approved_by=actor,
        created_at=at,
    )
    session.add(ext)
    ob.effective_deadline, ob.updated_at = new_deadline, at
    _ladder_update(session, ob, new_deadline)
    _flush(session)
    return _changed(session, ob, Transition.EXTEND, actor, at, before, reason=reason)


def waive(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime, reason: str
) -> ObligationChanged:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do miễn", "A reason is required to waive an obligation")
    ob = lock(session, obligation_id)
    if not allowed(Transition.WAIVE, ob.state):
        raise _refuse(Transition.WAIVE, ob.state)
    before = _snapshot(ob)
    ob.state = target(Transition.WAIVE, ob.state).value
    ob.closed_reason, ob.updated_at = reason, at
    _flush(session)
    return _changed(session, ob, Transition.WAIVE, actor, at, before, reason=reason)


