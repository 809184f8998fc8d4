"""The schedule a plan produces (pure): for one duty, every obligation it owes up to a day —
which unit, in which role, for which period, due when, and the days of its ladder.

This is the pure half of materialisation. :mod:`phancong.services.obligation_schedule`
compares it with the ledger and writes the difference (new obligations, moved deadlines,
cancellations), leaving submitted, closed and extended obligations as they are.

- The periods and their deadlines come from the duty's cadence and the plan's calendar
  (:func:`phancong.domain.calendar.duty_occurrences`); a period starting after ``through`` is
  not scheduled yet.
- Each lead, requested and supporting unit owes each period; a supporting unit's deadline is
  ``support_lead_days`` working days earlier, never before the period starts, so the lead has
  its input in time.
- Who owes it is decided on that deadline (:meth:`phancong.domain.units.Directory.owing`): the
  unit within its validity, its successor after it (a district dissolved in the 2025 reform
  hands its duties to the wards that replaced it), nobody before it. One unit owes a period
  once, in the first role that reaches it.
- The ladder's days (reminder, overdue, Standing Office, Steering Committee) are
  :func:`phancong.domain.ladder.ladder_dates` of that deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from phancong.domain.cadence import DayCount
from phancong.domain.calendar import Due, duty_occurrences, shift_days
from phancong.domain.ladder import ladder_dates
from phancong.domain.plan import Duty, Plan, Role
from phancong.domain.units import Assignment, Directory


@dataclass(frozen=True, slots=True)
class Scheduled:
    """One obligation the plan says a unit owes."""

    unit: str  # the unit's code
    role: Role
    due: Due  # the period and its nominal and effective deadlines
    deadline: dt.date  # this unit's deadline (a supporting unit's is earlier)
    remind_on: dt.date | None
    overdue_on: dt.date | None
    standing_office_on: dt.date | None
    steering_committee_on: dt.date | None


def deadline_for(due: Due, role: Role, plan: Plan) -> dt.date:
    """The deadline of ``role`` for ``due``: a supporting unit reports ``support_lead_days``
    working days before the lead (never before the period starts)."""
    if role is Role.SUPPORT and plan.plan.support_lead_days:
        return max(
            due.period.start,
            shift_days(due.effective, -plan.plan.support_lead_days, DayCount.WORKING),
        )
    return due.effective


def duty_schedule(
    plan: Plan,
    duty: Duty,
    directory: Directory,
    assignments: Iterable[Assignment],
    through: dt.date,
) -> dict[tuple[str, str], Scheduled]:
    """Every obligation of ``duty`` in periods starting on or before ``through``, by (unit code,
    period label); ``assignments`` are the duty's (:meth:`Directory.assignments`)."""
    dues = [d for d in duty_occurrences(plan, duty, until=through) if d.period.start <= through]
    ladder_json = plan.ladder_for(duty).model_dump_json()
    wanted: dict[tuple[str, str], Scheduled] = {}
    for assignment in assignments:
        role = assignment.role
        for due in dues:
            deadline = deadline_for(due, role, plan)
            label = due.period.label
            owers = [code for code in directory.owing(assignment, deadline)
                     if (code, label) not in wanted]
            if not owers:
                continue
            remind, overdue, standing, steering = ladder_dates(deadline, ladder_json, role.value)
            for code in owers:
                wanted[(code, label)] = Scheduled(
                    code, role, due, deadline, remind, overdue, standing, steering
                )
    return wanted
