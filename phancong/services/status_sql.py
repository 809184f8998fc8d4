"""The status rules of :mod:`phancong.domain.status` as SQL expressions, in one place.

:func:`status_expr` is :func:`~phancong.domain.status.status_of` for a whole query,
:func:`late_expr` is :func:`~phancong.domain.status.is_late`, and :func:`status_is` adds the
cheap conditions a status implies so that a filter can use the indexes. Nothing else decides
in SQL whether an obligation is overdue or late; ``tests/integration/test_status_sql.py``
checks each expression row by row against the pure functions, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, exists, literal, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.orm import DependencyRow, ObligationRow
from phancong.domain.status import (
    ACTIVE_STATES,
    CLOSED_STATES,
    LATE,
    OWNER_ROLES,
    State,
    Status,
    local_date,
)


def blocked_expr() -> ColumnElement[bool]:
    """Whether the obligation of the row waits on an upstream obligation still open."""
    upstream = aliased(ObligationRow)
    return exists().where(
        DependencyRow.obligation_id == ObligationRow.id,
        DependencyRow.upstream_id == upstream.id,
        upstream.state.not_in([s.value for s in CLOSED_STATES]),
    )


def blocked_among(ids: Any) -> Any:
    """The obligations among ``ids`` (a one-column select) that :func:`blocked_expr` calls
    blocked, for a large set: PostgreSQL plans the correlated EXISTS over many rows as a hash
    of every blocked obligation of the ledger, this starts from the given ones."""
    upstream = aliased(ObligationRow)
    return (
        select(DependencyRow.obligation_id)
        .join(upstream, upstream.id == DependencyRow.upstream_id)
        .where(
            DependencyRow.obligation_id.in_(ids),
            upstream.state.not_in([s.value for s in CLOSED_STATES]),
        )
    )


def status_expr(as_of: dt.datetime, tz: str) -> ColumnElement[str]:
    """The rules of :func:`phancong.domain.status.status_of`, as one SQL expression."""
    day = local_date(as_of, tz)
    o = ObligationRow
    return case(
        (o.state == State.CANCELLED.value, literal(Status.CANCELLED.value)),
        (o.state == State.WAIVED.value, literal(Status.WAIVED.value)),
        (
            and_(o.state == State.ACCEPTED.value, o.accepted_at <= as_of),
            case(
                (o.on_time.is_(True), literal(Status.COMPLETED_ON_TIME.value)),
                else_=literal(Status.COMPLETED_LATE.value),
            ),
        ),
        (
            and_(
                o.state.in_([State.ACCEPTED.value, State.SUBMITTED.value]), o.submitted_at <= as_of
            ),
            literal(Status.SUBMITTED.value),
        ),
        (o.state == State.RETURNED.value, literal(Status.RETURNED.value)),
        (o.period_start > day, literal(Status.NOT_OPEN.value)),
        (blocked_expr(), literal(Status.BLOCKED.value)),
        (o.effective_deadline < day, literal(Status.OVERDUE.value)),
        else_=literal(Status.IN_PROGRESS.value),
    )


def late_expr(day: dt.date) -> ColumnElement[bool]:
    """:func:`phancong.domain.status.is_late` on local day ``day``: still owed by an owner
    (lead or requested) after its effective deadline, blocked or not."""
    o = ObligationRow
    return and_(
        o.state.in_([s.value for s in ACTIVE_STATES]),
        o.role.in_(OWNER_ROLES),
        o.effective_deadline < day,
    )


def status_is(as_of: dt.datetime, tz: str, status: str) -> ColumnElement[bool]:
    """``status_expr(...) == status``, preceded by cheap conditions that status implies; the
    late list (``status == "late"``) is :func:`late_expr`.

    The status expression stays the single definition; the prefix (states, dates) lets the
    database use the (plan, state, …) indexes and discard rows before it evaluates the
    dependency subquery of each one. The prefix assumes nothing was submitted or accepted after
    ``as_of`` — true of the portal, which asks as of now (an obligation submitted later counts
    as open before, one accepted later as submitted).
    """
    o = ObligationRow
    day = local_date(as_of, tz)
    if status == LATE:
        return late_expr(day)
    still_open = o.state == State.OPEN.value
    implied: dict[str, ColumnElement[bool]] = {
        Status.OVERDUE: and_(still_open, o.effective_deadline < day, o.period_start <= day),
        Status.IN_PROGRESS: and_(still_open, o.effective_deadline >= day, o.period_start <= day),
        Status.BLOCKED: and_(still_open, o.period_start <= day),
        Status.NOT_OPEN: and_(still_open, o.period_start > day),
        Status.SUBMITTED: and_(o.state == State.SUBMITTED.value, o.submitted_at <= as_of),
        Status.COMPLETED_ON_TIME: o.state == State.ACCEPTED.value,
        Status.COMPLETED_LATE: o.state == State.ACCEPTED.value,
        Status.RETURNED: o.state == State.RETURNED.value,
        Status.WAIVED: o.state == State.WAIVED.value,
        Status.CANCELLED: o.state == State.CANCELLED.value,
    }
    return and_(implied.get(status, true()), status_expr(as_of, tz) == status)


def submitted_by(as_of: dt.datetime) -> ColumnElement[bool]:
    """Marked done by ``as_of`` (status submitted, completed on time or late), without
    evaluating the whole status expression."""
    o = ObligationRow
    return and_(
        o.state.in_([State.SUBMITTED.value, State.ACCEPTED.value]), o.submitted_at <= as_of
    )
