"""When each ladder step is due for one obligation (domain/ladder.py: ladder_dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from phancong.domain.cadence import DayCount, Ladder
from phancong.domain.ladder import ladder_dates
from phancong.domain.plan import Role

pytestmark = pytest.mark.unit

# Friday 13/03/2026: a deadline before a weekend
FRIDAY = dt.date(2026, 3, 13)


def test_ladder_schedule_counts_working_days_by_default() -> None:
    ladder = Ladder().model_dump_json()  # 3 before, then 1, 5 and 15 working days after
    remind, overdue, standing, steering = ladder_dates(FRIDAY, ladder, Role.LEAD)
    assert remind == dt.date(2026, 3, 10)  # Tuesday
    assert overdue == dt.date(2026, 3, 16)  # Monday, not Saturday
    assert standing == dt.date(2026, 3, 20)
    assert steering == dt.date(2026, 4, 3)


def test_ladder_schedule_by_role() -> None:
    ladder = Ladder().model_dump_json()
    lead = ladder_dates(FRIDAY, ladder, Role.LEAD)
    requested = ladder_dates(FRIDAY, ladder, Role.REQUESTED)
    support = ladder_dates(FRIDAY, ladder, Role.SUPPORT)
    assert requested[:3] == lead[:3] and requested[3] is None  # not to the Steering Committee
    assert support[:2] == lead[:2] and support[2:] == (None, None)  # reminded and told only


def test_ladder_schedule_in_calendar_days_and_without_reminder() -> None:
    ladder = Ladder(day_count=DayCount.CALENDAR, reminder_before=0, overdue_notice_after=1,
                    standing_office_after=2, steering_committee_after=3).model_dump_json()
    assert ladder_dates(FRIDAY, ladder, Role.LEAD) == (
        None, dt.date(2026, 3, 14), dt.date(2026, 3, 15), dt.date(2026, 3, 16))
