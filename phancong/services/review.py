"""Tell an agency that its submission was accepted or returned, or that its deadline was
extended (queued in the same transaction).

The notice goes to the unit's contact addresses and to the active portal accounts of that unit,
so the clerk who submitted hears of it even while the plan still carries a placeholder address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    OutboxRow,
    PlanRow,
    SubmissionRow,
    UnitRow,
    UserRow,
)
from phancong.domain.status import local_date
from phancong.services.errors import NotFound
from phancong.services.notices import Notice, NoticeItem, NoticeKind, Renderer, obligation_link
from phancong.services.outbox import enqueue
from phancong.services.plan_names import in_language, level_names

REVIEWS = ("accepted", "returned", "extended")


def unit_recipients(session: Session, unit: UnitRow) -> tuple[str, ...]:
    """The unit's contact addresses, then the emails of its active accounts (no duplicates)."""
    accounts = session.scalars(
        select(UserRow.email)
        .where(
            UserRow.plan_id == unit.plan_id,
            UserRow.unit_code == unit.code,
            UserRow.active.is_(True),
        )
        .order_by(UserRow.id)
    ).all()
    seen: dict[str, None] = {}
    for email in [*(str(e) for e in unit.emails), *accounts]:
        seen.setdefault(email.strip().lower(), None)
    return tuple(e for e in seen if e)


def review_notice(session: Session, obligation_id: int, *, review: str, reason: str | None,
                  now: dt.datetime, portal_url: str) -> tuple[Notice, int | None]:
    """The REVIEW notice for the owner of an obligation, and the reviewed submission's id."""
    if review not in REVIEWS:
        raise ValueError(f"review must be one of {REVIEWS}, not {review!r}")
    ob = session.get(ObligationRow, obligation_id)
    if ob is None:
        raise NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")
    duty = session.get(DutyRow, ob.duty_id)
    unit = session.get(UnitRow, ob.unit_id)
    plan = session.get(PlanRow, ob.plan_id)
    assert duty is not None
    assert unit is not None
    assert plan is not None
    submission = session.scalars(
        select(SubmissionRow).where(SubmissionRow.obligation_id == ob.id)
        .order_by(SubmissionRow.id.desc()).limit(1)
    ).first()
    item = NoticeItem(
        obligation_id=ob.id, level="review", duty_code=duty.code, duty_title=duty.title,
        source=duty.source, unit_code=unit.code, unit_name=unit.name, role=ob.role,
        period_label=ob.period_label, deadline=ob.effective_deadline,
        original_deadline=ob.original_deadline,
        days_late=(local_date(now, plan.timezone) - ob.effective_deadline).days,
        link=obligation_link(portal_url, ob.id),
    )
    summary = {}
    if review == "accepted" and ob.on_time is not None:
        summary["on_time"] = int(ob.on_time)
    office, board = in_language(level_names(session, plan.id), unit.language or "vi")
    notice = Notice(
        kind=NoticeKind.REVIEW, plan_id=plan.id, plan_title=plan.title, as_of=now,
        office=office, board=board, language=unit.language or "vi", recipient_code=unit.code,
        recipient_name=unit.name,
        recipients=unit_recipients(session, unit), items=(item,), portal_url=portal_url,
        review=review, reason=(reason or "").strip() or None, summary=summary,
    )
    return notice, submission.id if submission is not None else None


def notify_review(session: Session, obligation_id: int, *, review: str, reason: str | None,
                  now: dt.datetime, renderer: Renderer, portal_url: str = "") -> OutboxRow:
    """Queue the accept/return notice; call it right after ``ledger.accept`` / ``return_``."""
    notice, submission_id = review_notice(session, obligation_id, review=review, reason=reason,
                                          now=now, portal_url=portal_url)
    if review == "extended":  # deadlines only move later: one key per extension
        deadline = notice.items[0].deadline.isoformat() if notice.items else ""
        key = f"extend:{obligation_id}:{deadline}:{now.isoformat()}"
    else:
        key = f"review:{submission_id or obligation_id}:{review}:{now.isoformat()}"
    return enqueue(session, notice, renderer, key=key, now=now)
