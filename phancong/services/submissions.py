"""Submitting a report on an obligation: the note, indicator values, evidence link and files
checked and stored, many submissions in one transaction (the portal batches them), each audited
with the change it makes."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from phancong.adapters.orm import (
    DutyRow,
    ObligationRow,
    PlanRow,
    SubmissionFileRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.changes import ObligationChanged
from phancong.domain.status import (
    Facts,
    Review,
    State,
    local_date,
    status_of,
)
from phancong.domain.transitions import ALLOWED_FROM, Transition, allowed, refusal
from phancong.services import handlers
from phancong.services.attachments import Attachment
from phancong.services.errors import Conflict, LedgerError, NotFound, Refused
from phancong.services.ledger import (
    NOTE_LIMIT,
    _snapshot_of,
)
from phancong.services.reads.obligations import ObligationView, view_columns, view_from_row
from phancong.services.report_values import clean_indicators, clean_url


@functools.cache
def _submit_statements() -> tuple[Any, Any, Any]:
    """The three statements of a submission, built once (submit is the portal's busiest write)."""
    o = ObligationRow
    facts = (
        select(
            *view_columns(),  # the obligation's view, answered once it is recorded
            o.submitted_at,
            o.accepted_at,
            o.on_time,
            PlanRow.timezone,
            DutyRow.indicators,
            DutyRow.evidence,
        )
        .join(PlanRow, PlanRow.id == o.plan_id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .where(o.id.in_(bindparam("obligation_ids", expanding=True)))
        .with_for_update(of=o)
    )
    table = cast(Table, o.__table__)
    mark = (
        update(table)
        .where(
            table.c.id.in_(bindparam("obligation_ids", expanding=True)),
            table.c.state.in_([s.value for s in ALLOWED_FROM[Transition.SUBMIT]]),
        )
        .values(
            state=State.SUBMITTED.value,
            submitted_at=bindparam("at", type_=table.c.submitted_at.type),
            updated_at=bindparam("at", type_=table.c.updated_at.type),
            revision=table.c.revision + 1,
        )
    )
    return (
        facts,
        mark,
        insert(cast(Table, SubmissionRow.__table__)),
    )


def _store_files(
    session: Session, files: dict[int, tuple[Attachment, ...]], at: dt.datetime
) -> None:
    """Keep the files of the submissions just recorded, each with its pending submission."""
    if not files:
        return
    conn = session.connection()
    pending = dict(
        conn.execute(
            select(SubmissionRow.obligation_id, SubmissionRow.id).where(
                SubmissionRow.obligation_id.in_(list(files)), SubmissionRow.review == Review.PENDING
            )
        ).all()
    )
    conn.execute(
        insert(cast(Table, SubmissionFileRow.__table__)),
        [
            {
                "submission_id": pending[obligation_id],
                "obligation_id": obligation_id,
                "name": f.name,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "data": f.data if f.location is None else None,
                "location": f.location,
                "created_at": at,
            }
            for obligation_id, attached in files.items()
            for f in attached
        ],
    )


@dataclass(frozen=True)
class SubmitItem:
    """One obligation marked done, as :func:`submit_many` takes it."""

    obligation_id: int
    actor: str
    note: str = ""
    indicator_values: dict[str, Any] | None = None
    evidence_url: str | None = None
    # a coordinator recording the agency's report for it: says so, with a required reason
    on_behalf: bool = False
    on_behalf_reason: str | None = None
    files: tuple[Attachment, ...] = ()


def submit(
    session: Session,
    obligation_id: int,
    *,
    actor: str,
    at: dt.datetime,
    note: str = "",
    indicator_values: dict[str, Any] | None = None,
    evidence_url: str | None = None,
    files: Sequence[Attachment] = (),
) -> None:
    """Mark the obligation done (awaiting review)."""
    item = SubmitItem(
        obligation_id, actor, note, indicator_values, evidence_url, files=tuple(files)
    )
    (refused,) = submit_many(session, [item], at=at)
    if refused is not None:
        raise refused


def submit_many(
    session: Session, items: Sequence[SubmitItem], *, at: dt.datetime
) -> list[LedgerError | None]:
    """Mark several obligations done at instant ``at`` in the caller's transaction.

    Each item gets None (recorded) or the reason it was refused (see :func:`submit_and_view`).
    """
    return [
        outcome if isinstance(outcome, LedgerError) else None
        for outcome in submit_and_view(session, items, at=at)
    ]


def submit_and_view(
    session: Session, items: Sequence[SubmitItem], *, at: dt.datetime
) -> list[LedgerError | ObligationView]:
    """Mark several obligations done at instant ``at`` in the caller's transaction.

    Each item gets the obligation as it now stands (its view as of ``at``, what
    :func:`get_many` would read back) or the reason it was refused (not found, wrong state,
    period not begun, bad note, indicator or link), and refused items write nothing. Four
    set-based statements whatever the number of items — the facts under a row lock, the state
    change, the submissions, the audit entries — so that a burst of submissions before a
    deadline can share one transaction. Raises :class:`Conflict` (and the caller's transaction
    must roll back) when the rows changed under it.
    """
    ids = [item.obligation_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("at most one submission per obligation in one call")
    facts_q, mark_q, add_submissions = _submit_statements()
    conn = session.connection()  # Core statements: no unit-of-work bookkeeping needed
    try:
        facts = {row[0]: row for row in conn.execute(facts_q, {"obligation_ids": ids})}
    except OperationalError as exc:  # lock timeout or serialisation failure
        raise Conflict(
            "Nghĩa vụ đang được người khác cập nhật, vui lòng thử lại",
            "The obligation is being changed by someone else; try again",
        ) from exc
    outcomes: list[LedgerError | ObligationView] = []
    marked: list[int] = []  # the obligations that pass every check
    submissions: list[dict[str, Any]] = []
    changes: list[ObligationChanged] = []
    for item in items:
        try:
            submission, change = _checked_submission(item, facts.get(item.obligation_id), at)
        except LedgerError as refused:
            outcomes.append(refused)
            continue
        outcomes.append(_submitted_view(facts[item.obligation_id], at))
        marked.append(item.obligation_id)
        submissions.append(submission)
        changes.append(change)
    if not marked:
        return outcomes
    changed = conn.execute(mark_q, {"obligation_ids": marked, "at": at})
    if changed.rowcount != len(marked):
        raise Conflict(
            "Nghĩa vụ vừa được người khác thay đổi; hãy tải lại và thử lại",
            "The obligation was changed concurrently; reload and try again",
        )
    for obligation_id in marked:  # ORM copies read earlier in this transaction are now stale
        loaded = session.identity_map.get(Session.identity_key(ObligationRow, obligation_id))
        if loaded is not None:
            session.expire(loaded)
    conn.execute(add_submissions, submissions)
    recorded = set(marked)
    _store_files(
        session,
        {i.obligation_id: i.files for i in items if i.files and i.obligation_id in recorded},
        at,
    )
    handlers.record(session, changes)  # a submission notifies nobody: the audit rows only
    return outcomes


def _checked_submission(
    item: SubmitItem, row: Any, at: dt.datetime
) -> tuple[dict[str, Any], ObligationChanged]:
    """The submission row and the change for ``item``, or the LedgerError that refuses it."""
    if row is None:
        raise NotFound(
            f"Không có nghĩa vụ số {item.obligation_id}", f"No obligation {item.obligation_id}"
        )
    plan_id, state = row[1], row[12]  # the view's columns (see view_columns), then the facts
    period_label, period_start, deadline = row[8], row[9], row[10]
    (submitted_at, accepted_at, was_on_time, tz, indicators, evidence) = row[13:19]
    if not allowed(Transition.SUBMIT, state):
        raise Refused(*refusal(Transition.SUBMIT, state))
    if local_date(at, tz) < period_start:
        raise Refused(f"Kỳ {period_label} chưa bắt đầu", f"Period {period_label} has not started")
    if len(item.note) > NOTE_LIMIT:
        raise Refused(
            f"Ghi chú quá dài (tối đa {NOTE_LIMIT} ký tự)", f"Note too long (max {NOTE_LIMIT})"
        )
    values = clean_indicators(indicators, item.indicator_values)
    evidence_url = clean_url(item.evidence_url)
    on_behalf_reason = (item.on_behalf_reason or "").strip() if item.on_behalf else ""
    if item.on_behalf and not on_behalf_reason:
        raise Refused(
            "Điều phối viên nộp thay đơn vị phải nêu lý do nộp thay",
            "A coordinator submitting on the agency's behalf must give the reason",
        )
    if len(on_behalf_reason) > NOTE_LIMIT:
        raise Refused(
            f"Lý do nộp thay quá dài (tối đa {NOTE_LIMIT} ký tự)",
            f"Reason too long (max {NOTE_LIMIT})",
        )
    if evidence == "required" and not item.files:
        raise Refused(
            "Nhiệm vụ này cần kèm tệp báo cáo (văn bản đã ký: PDF, DOCX, XLSX, ODT hoặc ảnh "
            "chụp JPEG, PNG)",
            "This duty needs the report file attached (the signed document: PDF, DOCX, XLSX, "
            "ODT, or a JPEG/PNG scan)",
        )
    if not item.note.strip() and not values and not item.files:
        raise Refused(
            "Báo cáo trống: cần ít nhất nội dung kết quả, một số liệu chỉ tiêu hoặc một tệp "
            "báo cáo",
            "The report is empty: give at least a note, an indicator value or a file",
        )
    submission = {
        "obligation_id": item.obligation_id,
        "submitted_by": item.actor,
        "submitted_at": at,
        "note": item.note,
        "indicator_values": values,
        "evidence_url": evidence_url,
        "review": Review.PENDING.value,
        "on_behalf_reason": on_behalf_reason or None,
    }
    change = ObligationChanged(
        Transition.SUBMIT,
        item.obligation_id,
        plan_id,
        item.actor,
        at,
        before=_snapshot_of(state, deadline, submitted_at, accepted_at, was_on_time),
        after=_snapshot_of(State.SUBMITTED.value, deadline, at, accepted_at, was_on_time)
        | ({"files": [f.describe() for f in item.files]} if item.files else {}),
        reason=(on_behalf_reason or item.note)[:500] or None,
        on_behalf=item.on_behalf,
    )
    return submission, change


def _submitted_view(row: Any, at: dt.datetime) -> ObligationView:
    """The view of a facts row (see :func:`_submit_statements`) once submitted at ``at``."""
    _, accepted_at, was_on_time, tz, indicators = row[13:18]
    facts = Facts(
        state=State.SUBMITTED,
        period_start=row[9],
        effective_deadline=row[10],
        on_time=was_on_time,
        blocked=False,  # a submitted obligation's status does not depend on its blockers
        submitted_at=at,
        accepted_at=accepted_at,
    )
    status = status_of(facts, at, tz).value
    row = (*row[:12], State.SUBMITTED.value, status, at, indicators)
    return view_from_row(row, local_date(at, tz))
