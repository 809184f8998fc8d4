"""Status of an obligation as Vietnamese trackers count it, as of a given instant (pure).

Two words that sound alike count different things, and each has one definition here:

- **overdue** (:attr:`Status.OVERDUE`, "Quá hạn chưa hoàn thành") is a *status*: open, past its
  (possibly extended) deadline and not waiting on another unit. Every unit counts, owners and
  supporting units alike. The portal's matrix and filters, the weekly digest and the reports use
  it.
- the **late list** (:func:`is_late`, "Danh sách chậm trễ") is what the Standing Office chases:
  an obligation an owner (lead or requested unit) still owes after its deadline, whatever stops
  it — open, returned for rework, or waiting on an upstream unit. Supporting units' input is
  not on it. The Prefect table of each sweep, the portal's "chậm trễ" filter it links to and the
  national roll-up's "late" column use it.

:mod:`phancong.services.status_sql` holds the same two rules as SQL expressions, checked
against these functions by ``tests/integration/test_status_sql.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo


class State(StrEnum):
    """What has been recorded against an obligation."""

    OPEN = "open"
    SUBMITTED = "submitted"  # marked done, awaiting the Standing Office
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WAIVED = "waived"
    CANCELLED = "cancelled"


class Review(StrEnum):
    """Where a submission stands with the Standing Office."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"  # taken back by the unit before review


ACTIVE_STATES = (State.OPEN, State.RETURNED)  # still owed: reminded and escalated
CLOSED_STATES = (State.ACCEPTED, State.WAIVED, State.CANCELLED)  # no longer block anyone


class Status(StrEnum):
    NOT_OPEN = "not_open"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    BLOCKED = "blocked"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    COMPLETED_ON_TIME = "completed_on_time"
    COMPLETED_LATE = "completed_late"
    WAIVED = "waived"
    CANCELLED = "cancelled"


LABELS: dict[Status, tuple[str, str]] = {
    Status.NOT_OPEN: ("Chưa đến kỳ", "Not yet open"),
    Status.IN_PROGRESS: ("Đang thực hiện trong hạn", "In progress, within deadline"),
    Status.OVERDUE: ("Quá hạn chưa hoàn thành", "Overdue"),
    Status.BLOCKED: ("Đang chờ đơn vị khác", "Blocked by an upstream obligation"),
    Status.SUBMITTED: ("Đã nộp, chờ duyệt", "Submitted, awaiting review"),
    Status.RETURNED: ("Bị trả lại", "Returned"),
    Status.COMPLETED_ON_TIME: ("Hoàn thành đúng hạn", "Completed on time"),
    Status.COMPLETED_LATE: ("Hoàn thành quá hạn", "Completed late"),
    Status.WAIVED: ("Được miễn", "Waived"),
    Status.CANCELLED: ("Đã hủy", "Cancelled"),
}


def label(status: Status | str, lang: str = "vi") -> str:
    vi, en = LABELS[Status(status)]
    return vi if lang == "vi" else en


def end_of_day(day: dt.date, tz: str) -> dt.datetime:
    """The instant a deadline day ends (midnight after it), in UTC."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(tz))
    return local.astimezone(dt.UTC)


def local_date(instant: dt.datetime, tz: str) -> dt.date:
    if instant.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    return instant.astimezone(ZoneInfo(tz)).date()


def on_time(submitted_at: dt.datetime, original_deadline: dt.date, tz: str) -> bool:
    """On-time is judged against the original deadline: an extension does not change it."""
    return submitted_at < end_of_day(original_deadline, tz)


@dataclass(frozen=True)
class Facts:
    state: State
    period_start: dt.date
    effective_deadline: dt.date
    on_time: bool | None
    blocked: bool
    submitted_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None


def status_of(facts: Facts, as_of: dt.datetime, tz: str) -> Status:
    """Status at instant ``as_of``.

    Submission and acceptance count from the instant they were recorded, so asking about an
    earlier instant shows the obligation as it then stood.
    """
    state = facts.state
    if state is State.CANCELLED:
        return Status.CANCELLED
    if state is State.WAIVED:
        return Status.WAIVED
    if state is State.ACCEPTED and facts.accepted_at is not None and as_of < facts.accepted_at:
        state = State.SUBMITTED
    if state is State.SUBMITTED and facts.submitted_at is not None and as_of < facts.submitted_at:
        state = State.OPEN
    if state is State.ACCEPTED:
        return Status.COMPLETED_ON_TIME if facts.on_time else Status.COMPLETED_LATE
    if state is State.SUBMITTED:
        return Status.SUBMITTED
    if state is State.RETURNED:
        return Status.RETURNED
    day = local_date(as_of, tz)
    if day < facts.period_start:
        return Status.NOT_OPEN
    if facts.blocked:
        return Status.BLOCKED
    if day > facts.effective_deadline:
        return Status.OVERDUE
    return Status.IN_PROGRESS


LATE = "late"  # the late list's name where a filter takes it beside the statuses (not a status)
LATE_LABEL = ("Chậm trễ: còn nợ sau hạn (kể cả bị trả lại, đang chờ)",
              "Late: still owed after the deadline (returned or waiting included)")
OWNER_ROLES = ("lead", "requested")  # the roles that owe a duty; "support" only contributes


def is_late(state: State | str, role: str, effective_deadline: dt.date, day: dt.date) -> bool:
    """On the late list on local day ``day``: still owed (open or returned) by an owner after
    its effective deadline, blocked or not. See the module docstring for how this differs from
    the overdue status."""
    return State(state) in ACTIVE_STATES and role in OWNER_ROLES and day > effective_deadline
