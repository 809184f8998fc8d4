"""Use cases on obligations: submit, accept, return, extend, waive; queries and roll-ups.

Each action runs inside the caller's transaction, locks the obligation, checks the transition,
and writes its audit entry with the change, so the two commit or fail together.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlparse

from sqlalchemy import Table, and_, bindparam, case, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.orm import (
    AuditRow,
    DependencyRow,
    DutyRow,
    EscalationRow,
    ExtensionRow,
    ObligationRow,
    OutboxItemRow,
    OutboxRow,
    PlanRow,
    SubmissionFileRow,
    SubmissionRow,
    UnitRow,
)
from phancong.domain.plan import Ladder
from phancong.domain.status import (
    CLOSED_STATES,
    Facts,
    State,
    local_date,
    on_time,
    status_of,
)
from phancong.services import audit
from phancong.services.attachments import Attachment
from phancong.services.errors import Conflict, Forbidden, LedgerError, NotFound, Refused
from phancong.services.materialize import ladder_dates
from phancong.services.status_sql import blocked_expr, status_expr

NOTE_LIMIT = 10_000


# ----------------------------------------------------------------------------- helpers


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
    audit.record(session, at=at, actor=actor, action=action, plan_id=ob.plan_id,
                 entity="obligation", entity_id=ob.id, before=before, after=_snapshot(ob),
                 reason=reason)


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


# ----------------------------------------------------------------------------- actions


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
    audits: list[dict[str, Any]] = []
    for item in items:
        try:
            submission, entry = _checked_submission(item, facts.get(item.obligation_id), at)
        except LedgerError as refused:
            outcomes.append(refused)
            continue
        outcomes.append(_submitted_view(facts[item.obligation_id], at))
        marked.append(item.obligation_id)
        submissions.append(submission)
        audits.append(entry)
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
    audit.record_many(session, audits)
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
    row_audit = audit.entry(
        at=at,
        actor=item.actor,
        action="obligation.submitted_on_behalf" if item.on_behalf else "obligation.submitted",
        plan_id=plan_id,
        entity="obligation",
        entity_id=item.obligation_id,
        before=_snapshot_of(state, deadline, submitted_at, accepted_at, was_on_time),
        after=_snapshot_of(State.SUBMITTED.value, deadline, at, accepted_at, was_on_time)
        | ({"files": [f.describe() for f in item.files]} if item.files else {}),
        reason=(on_behalf_reason or item.note)[:500] or None,
    )
    return submission, row_audit


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


# ----------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class ObligationView:
    id: int
    plan_id: str
    duty_code: str
    duty_title: str
    source: str
    unit_code: str
    unit_name: str
    role: str
    period_label: str
    period_start: dt.date
    deadline: dt.date  # effective
    original_deadline: dt.date
    state: str
    status: str
    submitted_at: dt.datetime | None
    days_left: int  # negative: days late
    indicators: list[Any] = field(default_factory=list)


def view_columns() -> tuple[Any, ...]:
    """The first 13 columns of an :class:`ObligationView` row (id … state), in its order; a
    view query adds status, submitted_at and the duty's indicators (see :func:`view_from_row`)."""
    o = ObligationRow
    return (
        o.id,
        o.plan_id,
        DutyRow.code,
        DutyRow.title,
        DutyRow.source,
        UnitRow.code,
        UnitRow.name,
        o.role,
        o.period_label,
        o.period_start,
        o.effective_deadline,
        o.original_deadline,
        o.state,
    )


def _view_query(as_of: dt.datetime, tz: str) -> Any:
    return (
        select(
            *view_columns(),
            status_expr(as_of, tz).label("status"),
            ObligationRow.submitted_at,
            DutyRow.indicators,
        )
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
    )


def view_from_row(row: Any, day: dt.date) -> ObligationView:
    """The view of a row of :func:`view_columns` then status, submitted_at and indicators,
    its days left counted from ``day``."""
    return ObligationView(
        id=row[0],
        plan_id=row[1],
        duty_code=row[2],
        duty_title=row[3],
        source=row[4],
        unit_code=row[5],
        unit_name=row[6],
        role=row[7],
        period_label=row[8],
        period_start=row[9],
        deadline=row[10],
        original_deadline=row[11],
        state=row[12],
        status=row[13],
        submitted_at=row[14],
        days_left=(row[10] - day).days,
        indicators=list(row[15] or []),
    )


def find(
    session: Session,
    plan_id: str,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    period: str | None = None,
    status: str | None = None,
    duty: str | None = None,
    open_first: bool = True,
    limit: int = 500,
    offset: int = 0,
) -> list[ObligationView]:
    plan = _plan(session, plan_id)
    day = local_date(as_of, plan.timezone)
    st = status_expr(as_of, plan.timezone)
    query = _view_query(as_of, plan.timezone).where(ObligationRow.plan_id == plan_id)
    if unit:
        query = query.where(UnitRow.code == unit)
    if period:
        query = query.where(ObligationRow.period_label == period)
    if duty:
        query = query.where(DutyRow.code == duty)
    if status:
        query = query.where(st == status)
    if open_first:
        closed = case((ObligationRow.state.in_(["accepted", "waived", "cancelled"]), 1), else_=0)
        query = query.order_by(closed, ObligationRow.effective_deadline, ObligationRow.id)
    else:
        query = query.order_by(ObligationRow.id)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [view_from_row(r, day) for r in rows]


@functools.cache
def _get_query() -> Any:
    """Obligations' views by id with the facts their status is derived from, built once.

    The status of a single row is derived in Python by :func:`status_of` (the rules
    :func:`status_expr` mirrors), so the statement does not depend on the instant and its
    compiled form is reused on every call.
    """
    o = ObligationRow
    return (
        select(
            *view_columns(),
            o.on_time,  # status is computed below from these facts
            o.submitted_at,
            DutyRow.indicators,
            o.accepted_at,
            blocked_expr().label("blocked"),
            PlanRow.timezone,
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .join(PlanRow, PlanRow.id == o.plan_id)
        .where(o.id.in_(bindparam("obligation_ids", expanding=True)))
    )


def get(session: Session, obligation_id: int, as_of: dt.datetime) -> ObligationView:
    view = get_many(session, [obligation_id], as_of).get(obligation_id)
    if view is None:
        raise NotFound(f"Không có nghĩa vụ số {obligation_id}", f"No obligation {obligation_id}")
    return view


def get_many(
    session: Session, obligation_ids: Sequence[int], as_of: dt.datetime
) -> dict[int, ObligationView]:
    """The views of the given obligations that exist, by id."""
    if not obligation_ids:
        return {}
    rows = session.connection().execute(_get_query(), {"obligation_ids": list(obligation_ids)})
    views: dict[int, ObligationView] = {}
    for row in rows:
        tz = row[18]
        facts = Facts(
            state=State(row[12]),
            period_start=row[9],
            effective_deadline=row[10],
            on_time=row[13],
            blocked=bool(row[17]),
            submitted_at=row[14],
            accepted_at=row[16],
        )
        status = status_of(facts, as_of, tz).value
        views[row[0]] = view_from_row((*row[:13], status, *row[14:16]), local_date(as_of, tz))
    return views


@dataclass(frozen=True)
class Blocker:
    obligation_id: int
    upstream_id: int
    unit_code: str
    unit_name: str
    duty_code: str
    awaiting_review: bool = False  # the upstream is submitted: the reviewer holds it up


def blockers(session: Session, obligation_ids: list[int]) -> dict[int, list[Blocker]]:
    """Open upstream obligations each of the given obligations waits on."""
    out: dict[int, list[Blocker]] = defaultdict(list)
    if not obligation_ids:
        return out
    up = aliased(ObligationRow)
    for start in range(0, len(obligation_ids), 5000):
        chunk = obligation_ids[start : start + 5000]
        rows = session.execute(
            select(
                DependencyRow.obligation_id,
                up.id,
                UnitRow.code,
                UnitRow.name,
                DutyRow.code,
                up.state == State.SUBMITTED.value,
            )
            .join(up, up.id == DependencyRow.upstream_id)
            .join(UnitRow, UnitRow.id == up.unit_id)
            .join(DutyRow, DutyRow.id == up.duty_id)
            .where(
                DependencyRow.obligation_id.in_(chunk),
                up.state.not_in([s.value for s in CLOSED_STATES]),
            )
            .order_by(UnitRow.code)
        ).all()
        for r in rows:
            out[r[0]].append(Blocker(r[0], r[1], r[2], r[3], r[4], bool(r[5])))
    return out


@dataclass(frozen=True)
class FileInfo:
    """A report file as pages and the API list it (its bytes stay in the ledger)."""

    id: int
    submission_id: int
    obligation_id: int
    name: str
    content_type: str
    size: int
    sha256: str


def files_of(session: Session, obligation_ids: Sequence[int]) -> dict[int, list[FileInfo]]:
    """The report files of the given obligations, by submission id, in upload order."""
    out: dict[int, list[FileInfo]] = defaultdict(list)
    f = SubmissionFileRow
    for start in range(0, len(obligation_ids), 5000):
        chunk = list(obligation_ids[start : start + 5000])
        rows = session.execute(
            select(f.id, f.submission_id, f.obligation_id, f.name, f.content_type, f.size, f.sha256)
            .where(f.obligation_id.in_(chunk))
            .order_by(f.id)
        ).all()
        for r in rows:
            out[r[1]].append(FileInfo(*r))
    return out


@dataclass(frozen=True)
class FileContent:
    info: FileInfo
    data: bytes | None  # None: kept in the files directory, at ``location``
    location: str | None


def file_content(session: Session, obligation_id: int, file_id: int) -> FileContent:
    """One file of the obligation with its bytes (or where they are kept); not found when it
    belongs to another obligation."""
    f = SubmissionFileRow
    row = session.execute(
        select(
            f.id,
            f.submission_id,
            f.obligation_id,
            f.name,
            f.content_type,
            f.size,
            f.sha256,
            f.data,
            f.location,
        ).where(f.id == file_id, f.obligation_id == obligation_id)
    ).first()
    if row is None:
        raise NotFound(f"Không có tệp số {file_id}", f"No file {file_id}")
    return FileContent(FileInfo(*row[:7]), None if row[7] is None else bytes(row[7]), row[8])


@dataclass
class History:
    view: ObligationView
    duty_text: str
    submissions: list[SubmissionRow]
    extensions: list[ExtensionRow]
    escalations: list[EscalationRow]
    emails: list[OutboxRow]
    audit: list[AuditRow]
    blocked_by: list[Blocker]
    files: dict[int, list[FileInfo]] = field(default_factory=dict)  # by submission id


def history(session: Session, obligation_id: int, as_of: dt.datetime) -> History:
    view = get(session, obligation_id, as_of)
    ob = session.get(ObligationRow, obligation_id)
    assert ob is not None
    duty = session.get(DutyRow, ob.duty_id)
    assert duty is not None
    return History(
        view=view,
        duty_text=duty.text,
        submissions=list(
            session.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.obligation_id == obligation_id)
                .order_by(SubmissionRow.id)
            )
        ),
        extensions=list(
            session.scalars(
                select(ExtensionRow)
                .where(ExtensionRow.obligation_id == obligation_id)
                .order_by(ExtensionRow.id)
            )
        ),
        escalations=list(
            session.scalars(
                select(EscalationRow)
                .where(EscalationRow.obligation_id == obligation_id)
                .order_by(EscalationRow.rank)
            )
        ),
        emails=list(
            session.scalars(
                select(OutboxRow)
                .join(OutboxItemRow, OutboxItemRow.outbox_id == OutboxRow.id)
                .where(OutboxItemRow.obligation_id == obligation_id)
                .order_by(OutboxRow.id)
            )
        ),
        audit=list(
            session.scalars(
                select(AuditRow)
                .where(AuditRow.entity == "obligation", AuditRow.entity_id == str(obligation_id))
                .order_by(AuditRow.id)
            )
        ),
        blocked_by=blockers(session, [obligation_id]).get(obligation_id, []),
        files=dict(files_of(session, [obligation_id])),
    )


# ----------------------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class DutyRollup:
    duty_code: str
    title: str
    source: str
    period_label: str
    total: int  # owed by owners (lead and requested), cancelled excluded
    submitted: int  # marked done (awaiting review or accepted)
    accepted: int
    on_time: int
    overdue: int
    not_open: int
    deadline: dt.date  # the period's earliest effective deadline


def rollup_by_duty(
    session: Session, plan_id: str, as_of: dt.datetime, period: str | None = None
) -> list[DutyRollup]:
    """'x of N submitted' per duty and period."""
    plan = _plan(session, plan_id)
    st = status_expr(as_of, plan.timezone).label("st")
    inner = select(
        ObligationRow.duty_id, ObligationRow.period_label, ObligationRow.effective_deadline, st
    ).where(
        ObligationRow.plan_id == plan_id,
        ObligationRow.role != "support",
        ObligationRow.state != State.CANCELLED.value,
    )
    if period:
        inner = inner.where(ObligationRow.period_label == period)
    sub = inner.subquery()

    def count(*values: str) -> ColumnElement[Any]:
        return func.sum(case((sub.c.st.in_(values), 1), else_=0))

    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            sub.c.period_label,
            func.count(),
            count("submitted", "completed_on_time", "completed_late"),
            count("completed_on_time", "completed_late"),
            count("completed_on_time"),
            count("overdue"),
            count("not_open"),
            func.min(sub.c.effective_deadline),
        )
        .join(DutyRow, DutyRow.id == sub.c.duty_id)
        .group_by(DutyRow.id, DutyRow.code, DutyRow.title, DutyRow.source, sub.c.period_label)
        .order_by(func.min(sub.c.effective_deadline), sub.c.period_label, DutyRow.id)
    ).all()
    return [
        DutyRollup(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            int(r[5] or 0),
            int(r[6] or 0),
            int(r[7] or 0),
            int(r[8] or 0),
            int(r[9] or 0),
            r[10],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class UnitRollup:
    unit_code: str
    unit_name: str
    kind: str
    due: int  # deadline passed or completed
    on_time: int
    late: int
    overdue: int
    open: int
    # completed through a coordinator's submission on the agency's behalf: part of ``due``,
    # counted apart from ``on_time`` and ``late`` (the agency's own record)
    on_behalf: int = 0

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def rollup_by_unit(session: Session, plan_id: str, as_of: dt.datetime) -> list[UnitRollup]:
    """On-time rate per agency: accepted on time / obligations past their deadline or done.

    An obligation completed by a coordinator's submission on the agency's behalf is counted in
    ``on_behalf``, not in the agency's ``on_time`` or ``late``."""
    plan = _plan(session, plan_id)
    st = status_expr(as_of, plan.timezone).label("st")
    behalf = (
        select(SubmissionRow.obligation_id)
        .where(SubmissionRow.review == "accepted", SubmissionRow.on_behalf_reason.is_not(None))
        .distinct()
        .subquery()
    )
    sub = (
        select(
            ObligationRow.unit_id,
            st,
            behalf.c.obligation_id.is_not(None).label("by_coordinator"),
        )
        .outerjoin(behalf, behalf.c.obligation_id == ObligationRow.id)
        .where(
            ObligationRow.plan_id == plan_id,
            ObligationRow.role != "support",
            ObligationRow.state.not_in([State.CANCELLED.value, State.WAIVED.value]),
        )
        .subquery()
    )

    def count(*values: str, by_coordinator: bool | None = None) -> ColumnElement[Any]:
        when: ColumnElement[bool] = sub.c.st.in_(values)
        if by_coordinator is not None:
            when = and_(when, sub.c.by_coordinator.is_(by_coordinator))
        return func.sum(case((when, 1), else_=0))

    rows = session.execute(
        select(
            UnitRow.code,
            UnitRow.name,
            UnitRow.kind,
            count("completed_on_time", "completed_late", "overdue"),
            count("completed_on_time", by_coordinator=False),
            count("completed_late", by_coordinator=False),
            count("overdue"),
            count("in_progress", "blocked", "submitted", "returned"),
            count("completed_on_time", "completed_late", by_coordinator=True),
        )
        .join(UnitRow, UnitRow.id == sub.c.unit_id)
        .group_by(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind)
        .order_by(UnitRow.kind, UnitRow.code)
    ).all()
    return [
        UnitRollup(
            r[0],
            r[1],
            r[2],
            int(r[3] or 0),
            int(r[4] or 0),
            int(r[5] or 0),
            int(r[6] or 0),
            int(r[7] or 0),
            int(r[8] or 0),
        )
        for r in rows
    ]


def status_counts(
    session: Session, plan_id: str, as_of: dt.datetime, period: str | None = None
) -> dict[str, int]:
    plan = _plan(session, plan_id)
    st = status_expr(as_of, plan.timezone)
    query = select(st, func.count()).where(ObligationRow.plan_id == plan_id).group_by(st)
    if period:
        query = query.where(ObligationRow.period_label == period)
    return {str(k): int(v) for k, v in session.execute(query).all()}
