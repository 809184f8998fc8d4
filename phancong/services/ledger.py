"""Use cases on obligations: submit, accept, return, withdraw, extend, waive.

What people read (lists, views, roll-ups) is the read model, :mod:`phancong.services.reads`.

Each action runs inside the caller's transaction, locks the obligation, checks the transition,
and writes its audit entry with the change, so the two commit or fail together.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlparse

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from phancong.adapters.orm import (
    AuditRow,
    DutyRow,
    ExtensionRow,
    ObligationRow,
    PlanRow,
    SubmissionFileRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.plan import Ladder
from phancong.domain.status import (
    Facts,
    State,
    local_date,
    on_time,
    status_of,
)
from phancong.services.attachments import Attachment
from phancong.services.errors import Conflict, Forbidden, LedgerError, NotFound, Refused
from phancong.services.materialize import ladder_dates
from phancong.services.reads.obligations import ObligationView, view_columns, view_from_row

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


def _audit(
    session: Session,
    ob: ObligationRow,
    actor: str,
    action: str,
    at: dt.datetime,
    before: dict[str, Any],
    reason: str | None = None,
) -> None:
    session.add(
        AuditRow(
            at=at,
            actor=actor,
            action=action,
            plan_id=ob.plan_id,
            entity="obligation",
            entity_id=str(ob.id),
            before=before,
            after=_snapshot(ob),
            reason=reason,
        )
    )


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


STATE_VI = {
    State.OPEN: "đang mở",
    State.SUBMITTED: "đã nộp, chờ duyệt",
    State.ACCEPTED: "đã được chấp nhận",
    State.RETURNED: "đã bị trả lại",
    State.WAIVED: "đã được miễn",
    State.CANCELLED: "đã hủy",
}


def _refuse_state(ob: ObligationRow | str, action_vi: str, action_en: str) -> Refused:
    state = State(ob if isinstance(ob, str) else ob.state)
    return Refused(
        f"Không thể {action_vi}: nghĩa vụ {STATE_VI[state]}",
        f"Cannot {action_en}: the obligation is {state.value}",
    )


def _ladder_update(session: Session, ob: ObligationRow, deadline: dt.date) -> None:
    duty = session.get(DutyRow, ob.duty_id)
    assert duty is not None
    ladder_json = Ladder.model_validate(duty.ladder).model_dump_json()
    (ob.remind_on, ob.overdue_on, ob.standing_office_on, ob.steering_committee_on) = ladder_dates(
        deadline, ladder_json, ob.role
    )
    ob.alert_on = ob.remind_on or ob.overdue_on


_YES = {"1", "true", "yes", "có", "co", "đạt", "x"}


_NO = {"0", "false", "no", "không", "khong", "chưa"}


# no count, sum of money or number of people a plan tracks comes near; bounds every value
INDICATOR_MAX = 1e12


COUNT_LIMIT = INDICATOR_MAX


def _indicator_value(meta: dict[str, Any], raw: Any) -> float:
    """One indicator value checked by the indicator's kind (see IndicatorKind)."""
    key = meta["id"]
    name = str(meta.get("name") or key)
    kind = str(meta.get("kind") or "value")
    if kind == "yes_no":
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        text = str(raw).strip().lower()
        if isinstance(raw, int | float) and raw in (0, 1):
            return float(raw)
        if text in _YES:
            return 1.0
        if text in _NO:
            return 0.0
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” chỉ nhận “có” hoặc “không”",
            f"Indicator '{key}' takes yes or no",
        )
    if isinstance(raw, bool):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số", f"Indicator '{key}' must be a number"
        )
    try:
        number = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số", f"Indicator '{key}' must be a number"
        ) from None
    if not math.isfinite(number):
        raise Refused(f"Giá trị chỉ tiêu “{name}” không hợp lệ", f"Indicator '{key}' is not finite")
    if kind == "count" and (number < 0 or number != int(number) or number > COUNT_LIMIT):
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” phải là số đếm: số nguyên không âm",
            f"Indicator '{key}' is a count: a whole number, not negative",
        )
    percent = kind == "percent" or (meta.get("unit") or "").strip() == "%"
    if percent and not 0 <= number <= 100:
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” là tỷ lệ phần trăm của đơn vị: từ 0 đến 100",
            f"Indicator '{key}' is the unit's own percentage: 0 to 100",
        )
    if abs(number) > INDICATOR_MAX:  # the values are summed: no −1e300, no 1e308
        raise Refused(
            f"Giá trị chỉ tiêu “{name}” không hợp lệ: quá lớn (tối đa "
            f"{INDICATOR_MAX:,.0f})".replace(",", "."),
            f"Indicator '{name}' is invalid: larger than {INDICATOR_MAX:,.0f}",
        )
    return number + 0.0  # -0.0 becomes 0.0


def _clean_indicators(
    indicators: list[dict[str, Any]], values: dict[str, Any] | None
) -> dict[str, float]:
    """The values of declared indicators, each checked by its kind and its unit: a count is a
    whole number from 0, a percentage (kind or unit '%') from 0 to 100, any value at most
    :data:`INDICATOR_MAX` in size."""
    declared = {i["id"]: i for i in indicators if isinstance(i, dict) and "id" in i}
    out: dict[str, float] = {}
    for key, raw in (values or {}).items():
        if key not in declared:
            raise Refused(
                f"Chỉ tiêu '{key}' không thuộc nhiệm vụ này",
                f"Indicator '{key}' is not declared for this duty",
            )
        if raw is None or raw == "":
            continue
        out[key] = _indicator_value(declared[key], raw)
    return out


def _clean_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise Refused(
            "Đường dẫn minh chứng phải là địa chỉ http(s) hợp lệ",
            "The evidence link must be a valid http(s) URL",
        )
    return url


@functools.cache
def _submit_statements() -> tuple[Any, Any, Any, Any]:
    """The four statements of a submission, built once (submit is the portal's busiest write)."""
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
            table.c.state.in_([State.OPEN.value, State.RETURNED.value]),
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
        insert(cast(Table, AuditRow.__table__)),
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
                SubmissionRow.obligation_id.in_(list(files)), SubmissionRow.review == "pending"
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
    facts_q, mark_q, add_submissions, add_audit = _submit_statements()
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
    audits: list[dict[str, Any]] = []
    for item in items:
        try:
            submission, audit = _checked_submission(item, facts.get(item.obligation_id), at)
        except LedgerError as refused:
            outcomes.append(refused)
            continue
        outcomes.append(_submitted_view(facts[item.obligation_id], at))
        marked.append(item.obligation_id)
        submissions.append(submission)
        audits.append(audit)
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
    conn.execute(add_audit, audits)
    return outcomes


def _checked_submission(
    item: SubmitItem, row: Any, at: dt.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The submission and audit rows for ``item``, or the LedgerError that refuses it."""
    if row is None:
        raise NotFound(
            f"Không có nghĩa vụ số {item.obligation_id}", f"No obligation {item.obligation_id}"
        )
    plan_id, state = row[1], row[12]  # the view's columns (see view_columns), then the facts
    period_label, period_start, deadline = row[8], row[9], row[10]
    (submitted_at, accepted_at, was_on_time, tz, indicators, evidence) = row[13:19]
    if state not in (State.OPEN, State.RETURNED):
        raise _refuse_state(state, "báo cáo hoàn thành", "mark done")
    if local_date(at, tz) < period_start:
        raise Refused(f"Kỳ {period_label} chưa bắt đầu", f"Period {period_label} has not started")
    if len(item.note) > NOTE_LIMIT:
        raise Refused(
            f"Ghi chú quá dài (tối đa {NOTE_LIMIT} ký tự)", f"Note too long (max {NOTE_LIMIT})"
        )
    values = _clean_indicators(indicators, item.indicator_values)
    evidence_url = _clean_url(item.evidence_url)
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
        "review": "pending",
        "on_behalf_reason": on_behalf_reason or None,
    }
    audit = {
        "at": at,
        "actor": item.actor,
        "action": "obligation.submitted_on_behalf" if item.on_behalf else "obligation.submitted",
        "plan_id": plan_id,
        "entity": "obligation",
        "entity_id": str(item.obligation_id),
        "before": _snapshot_of(state, deadline, submitted_at, accepted_at, was_on_time),
        "after": _snapshot_of(State.SUBMITTED.value, deadline, at, accepted_at, was_on_time)
        | ({"files": [f.describe() for f in item.files]} if item.files else {}),
        "reason": (on_behalf_reason or item.note)[:500] or None,
    }
    return submission, audit


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


def _pending(session: Session, ob: ObligationRow) -> SubmissionRow:
    sub = session.scalars(
        select(SubmissionRow)
        .where(SubmissionRow.obligation_id == ob.id, SubmissionRow.review == "pending")
        .order_by(SubmissionRow.id.desc())
    ).first()
    if sub is None:  # pragma: no cover - state and submissions are written together
        raise Conflict("Không tìm thấy báo cáo chờ duyệt", "No pending submission")
    return sub


def accept(session: Session, obligation_id: int, *, actor: str, at: dt.datetime) -> SubmissionRow:
    ob = lock(session, obligation_id)
    if ob.state != State.SUBMITTED:
        raise _refuse_state(ob, "chấp nhận", "accept")
    plan = _plan(session, ob.plan_id)
    sub = _pending(session, ob)
    if sub.submitted_by.strip().lower() == actor.strip().lower():
        raise Forbidden(
            "Không ai được tự chấp nhận báo cáo do chính mình nộp; "
            "một điều phối viên khác phải duyệt",
            "Nobody may accept their own submission; another coordinator must review it",
        )
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at = "accepted", actor, at
    ob.state, ob.accepted_at, ob.updated_at = State.ACCEPTED.value, at, at
    ob.on_time = on_time(sub.submitted_at, ob.original_deadline, plan.timezone)
    _flush(session)
    _audit(session, ob, actor, "obligation.accepted", at, before)
    return sub


def return_(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime, reason: str
) -> SubmissionRow:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do trả lại", "A reason is required to return a submission")
    ob = lock(session, obligation_id)
    if ob.state != State.SUBMITTED:
        raise _refuse_state(ob, "trả lại", "return")
    sub = _pending(session, ob)
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at, sub.review_reason = "returned", actor, at, reason
    ob.state, ob.submitted_at, ob.updated_at = State.RETURNED.value, None, at
    _flush(session)
    _audit(session, ob, actor, "obligation.returned", at, before, reason=reason)
    return sub


def withdraw(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime
) -> SubmissionRow:
    """Take a submission back before it is reviewed: the obligation is open again (or returned,
    when an earlier report was returned) and the submission is kept, marked ``withdrawn``."""
    ob = lock(session, obligation_id)
    if ob.state != State.SUBMITTED:
        raise _refuse_state(ob, "rút lại báo cáo", "withdraw")
    sub = _pending(session, ob)
    returned_before = session.scalar(
        select(func.count())
        .select_from(SubmissionRow)
        .where(SubmissionRow.obligation_id == ob.id, SubmissionRow.review == "returned")
    )
    before = _snapshot(ob)
    sub.review, sub.reviewed_by, sub.reviewed_at = "withdrawn", actor, at
    ob.state = State.RETURNED.value if returned_before else State.OPEN.value
    ob.submitted_at, ob.updated_at = None, at
    _flush(session)
    _audit(session, ob, actor, "obligation.withdrawn", at, before)
    return sub


def extend(
    session: Session,
    obligation_id: int,
    *,
    actor: str,
    at: dt.datetime,
    new_deadline: dt.date,
    reason: str,
) -> ExtensionRow:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do gia hạn", "A reason is required to extend a deadline")
    ob = lock(session, obligation_id)
    if ob.state not in (State.OPEN, State.RETURNED, State.SUBMITTED):
        raise _refuse_state(ob, "gia hạn", "extend")
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
    _audit(session, ob, actor, "obligation.extended", at, before, reason=reason)
    return ext


def waive(
    session: Session, obligation_id: int, *, actor: str, at: dt.datetime, reason: str
) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Cần nêu lý do miễn", "A reason is required to waive an obligation")
    ob = lock(session, obligation_id)
    if ob.state in (State.ACCEPTED, State.WAIVED, State.CANCELLED):
        raise _refuse_state(ob, "miễn", "waive")
    before = _snapshot(ob)
    ob.state, ob.closed_reason, ob.updated_at = State.WAIVED.value, reason, at
    _flush(session)
    _audit(session, ob, actor, "obligation.waived", at, before, reason=reason)


