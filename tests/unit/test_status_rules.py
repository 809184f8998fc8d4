"""Status as Vietnamese trackers count it, at instants before, on and after the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from phancong.domain.status import Facts, State, Status, is_late, on_time, status_of
from tests.helpers import at

pytestmark = pytest.mark.unit
TZ = "Asia/Ho_Chi_Minh"
DEADLINE = dt.date(2026, 3, 16)


def facts(
    state: State = State.OPEN,
    *,
    deadline: dt.date = DEADLINE,
    blocked: bool = False,
    submitted: str | None = None,
    accepted: str | None = None,
    timely: bool | None = None,
) -> Facts:
    return Facts(
        state,
        dt.date(2026, 1, 1),
        deadline,
        timely,
        blocked,
        at(submitted) if submitted else None,
        at(accepted) if accepted else None,
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-12-31", Status.NOT_OPEN),
        ("2026-03-10", Status.IN_PROGRESS),
        ("2026-03-16T23:59", Status.IN_PROGRESS),  # the whole deadline day, Hà Nội time
        ("2026-03-17T00:00", Status.OVERDUE),
        ("2026-04-30", Status.OVERDUE),
    ],
)
def test_open_obligation_over_time(when: str, expected: Status) -> None:
    assert status_of(facts(), at(when), TZ) is expected


def test_extension_moves_the_working_deadline_only() -> None:
    extended = facts(deadline=dt.date(2026, 3, 31))
    assert status_of(extended, at("2026-03-20"), TZ) is Status.IN_PROGRESS
    # on-time statistics keep the original deadline
    assert on_time(at("2026-03-20"), DEADLINE, TZ) is False
    assert on_time(at("2026-03-16T23:00"), DEADLINE, TZ) is True


def test_completed_on_time_and_late_count_from_acceptance() -> None:
    done = facts(State.ACCEPTED, submitted="2026-03-15", accepted="2026-03-18", timely=True)
    assert status_of(done, at("2026-03-14"), TZ) is Status.IN_PROGRESS
    assert status_of(done, at("2026-03-16"), TZ) is Status.SUBMITTED
    assert status_of(done, at("2026-03-18T09:00"), TZ) is Status.COMPLETED_ON_TIME
    late = facts(State.ACCEPTED, submitted="2026-03-20", accepted="2026-03-21", timely=False)
    assert status_of(late, at("2026-03-19"), TZ) is Status.OVERDUE
    assert status_of(late, at("2026-03-22"), TZ) is Status.COMPLETED_LATE


def test_blocked_returned_waived_cancelled() -> None:
    assert status_of(facts(blocked=True), at("2026-03-20"), TZ) is Status.BLOCKED
    assert status_of(facts(State.RETURNED), at("2026-03-20"), TZ) is Status.RETURNED
    assert status_of(facts(State.WAIVED), at("2026-03-20"), TZ) is Status.WAIVED
    assert status_of(facts(State.CANCELLED), at("2026-03-20"), TZ) is Status.CANCELLED


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        status_of(facts(), dt.datetime(2026, 3, 20), TZ)


def test_late_list_rule_owners_still_owing_after_the_deadline() -> None:
    """The late list is not the overdue status: returned and blocked obligations are on it,
    supporting units and obligations within their deadline or closed are not."""
    deadline = dt.date(2026, 3, 16)
    after, on = dt.date(2026, 3, 17), dt.date(2026, 3, 16)
    assert is_late(State.OPEN, "lead", deadline, after)
    assert is_late(State.RETURNED, "requested", deadline, after)
    assert not is_late(State.OPEN, "support", deadline, after)
    assert not is_late(State.OPEN, "lead", deadline, on)  # due today is not late yet
    for closed in (State.SUBMITTED, State.ACCEPTED, State.WAIVED, State.CANCELLED):
        assert not is_late(closed, "lead", deadline, after)
    # a blocked obligation past its deadline: late, while its status is "blocked", not overdue
    facts = Facts(State.OPEN, dt.date(2026, 1, 1), deadline, None, True)
    assert status_of(facts, dt.datetime(2026, 3, 17, 1, tzinfo=dt.UTC), TZ) is Status.BLOCKED
    assert is_late(facts.state, "lead", facts.effective_deadline, after)
