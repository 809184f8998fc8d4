"""Who is told at each step of the escalation ladder (phancong.domain.ladder)."""

from __future__ import annotations

import pytest

from phancong.domain.ladder import Level, Line, Route, Upstream, one_line_each, route_step

pytestmark = pytest.mark.unit

OFFICES = {"standing_office": "so", "steering_committee": "sc"}


def test_reminder_goes_to_the_owner() -> None:
    assert route_step(Level.REMINDER, "ward-1", **OFFICES) == [Route("ward-1", Line.REMINDER)]


def test_overdue_goes_to_the_owner_when_nothing_holds_it_up() -> None:
    assert route_step(Level.OVERDUE, "ward-1", **OFFICES) == [Route("ward-1", Line.OVERDUE)]


def test_blocked_overdue_urges_the_upstream_owners_not_the_one_who_waits() -> None:
    routes = route_step(
        Level.OVERDUE,
        "so",
        blocked_on=[Upstream(11, "ward-1", False), Upstream(12, "ward-2", False)],
        **OFFICES,
    )
    assert routes == [Route("ward-1", Line.BLOCKER, 11), Route("ward-2", Line.BLOCKER, 12)]


def test_a_report_awaiting_review_makes_the_reviewer_the_blocker() -> None:
    routes = route_step(
        Level.OVERDUE,
        "dept",
        blocked_on=[Upstream(11, "ward-1", True), Upstream(12, "ward-2", False)],
        **OFFICES,
    )
    assert routes == [Route("so", Line.REVIEW, 11), Route("ward-2", Line.BLOCKER, 12)]


def test_standing_office_step_goes_to_the_standing_office() -> None:
    assert route_step(Level.STANDING_OFFICE, "ward-1", **OFFICES) == [
        Route("so", Line.STANDING_OFFICE)
    ]


def test_nobody_is_escalated_to_themselves() -> None:
    """The Standing Office's own overdue duty goes one level up, to the Steering Committee."""
    assert route_step(Level.STANDING_OFFICE, "so", **OFFICES) == [
        Route("sc", Line.STANDING_OFFICE)
    ]


def test_steering_committee_step_goes_to_the_steering_committee() -> None:
    assert route_step(Level.STEERING_COMMITTEE, "ward-1", **OFFICES) == [
        Route("sc", Line.STEERING_COMMITTEE)
    ]


def test_every_step_of_one_sweep_is_routed() -> None:
    """Reminder, overdue and Standing Office steps taken at once reach owner and office."""
    routed = [
        (7, r)
        for level in (Level.REMINDER, Level.OVERDUE, Level.STANDING_OFFICE)
        for r in route_step(level, "ward-1", **OFFICES)
    ]
    lines = one_line_each(routed)
    assert lines == {
        "ward-1": {7: Route("ward-1", Line.OVERDUE)},  # the reminder folds into the notice
        "so": {7: Route("so", Line.STANDING_OFFICE)},
    }


def test_a_higher_line_keeps_the_urge_it_outranks() -> None:
    routed = [
        (7, Route("so", Line.BLOCKER, 3)),
        (7, Route("so", Line.STANDING_OFFICE)),
    ]
    assert one_line_each(routed) == {"so": {7: Route("so", Line.STANDING_OFFICE, 3)}}
