"""Deadline rules: holiday policy, Tết, working days; property tests of computed deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phancong.adapters.loader import load
from phancong.domain.cadence import (
    Anchor,
    Cadence,
    CadenceKind,
    DayCount,
    DeadlineRule,
    HolidayPolicy,
)
from phancong.domain.calendar import is_working_day, occurrences, shift_days
from phancong.domain.plan import Plan
from phancong.domain.validate import check
from tests.helpers import HANOI, MINI

pytestmark = pytest.mark.unit


def test_tet_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(dt.date(2026, 2, 17))  # Tết Bính Ngọ
    assert not is_working_day(dt.date(2027, 2, 8))  # Tết 2027 moves with the lunar calendar
    assert not is_working_day(dt.date(2026, 3, 15))  # Sunday
    assert is_working_day(dt.date(2026, 3, 16))
    assert not is_working_day(dt.date(2026, 9, 2))  # National Day


def test_hanoi_2026_reports_are_due_before_the_15th() -> None:
    plan = load(HANOI)
    report = plan.duty("v-1-bao-cao")
    dues = {
        d.period.label: (d.nominal, d.effective)
        for d in occurrences(plan, report.cadence)
        if d.period.start.year == 2026
    }
    # "trước ngày 15/3": the 14th is the last day allowed, moved back to a working day
    assert dues == {
        "2026-Q1": (dt.date(2026, 3, 14), dt.date(2026, 3, 13)),  # Saturday → Friday
        "2026-H1": (dt.date(2026, 6, 14), dt.date(2026, 6, 12)),  # Sunday → Friday
        "2026-Q3": (dt.date(2026, 9, 14), dt.date(2026, 9, 14)),
        "2026": (dt.date(2026, 12, 14), dt.date(2026, 12, 14)),
    }


def test_working_day_shift_skips_tet() -> None:
    assert shift_days(dt.date(2026, 2, 13), 1, DayCount.WORKING) == dt.date(2026, 2, 23)
    assert shift_days(dt.date(2026, 2, 23), -1, DayCount.WORKING) == dt.date(2026, 2, 13)
    assert shift_days(dt.date(2026, 2, 13), 1, DayCount.CALENDAR) == dt.date(2026, 2, 14)


BASE = load(MINI)

rules = st.builds(
    DeadlineRule,
    day=st.integers(1, 31),
    anchor=st.sampled_from(list(Anchor)),
    holiday_policy=st.sampled_from([None, *HolidayPolicy]),
)
cadences = st.one_of(
    st.builds(
        lambda kind, rule: Cadence(kind=kind, deadline=rule),
        st.sampled_from(
            [CadenceKind.MONTHLY, CadenceKind.QUARTERLY, CadenceKind.SEMIANNUAL, CadenceKind.YEARLY]
        ),
        rules,
    ),
    st.builds(
        lambda due: Cadence(kind=CadenceKind.ONCE, due=due),
        st.dates(dt.date(2025, 1, 1), dt.date(2032, 12, 31)),
    ),
)
periods = st.tuples(st.dates(dt.date(2024, 1, 1), dt.date(2030, 6, 30)), st.integers(30, 2000))


def _plan_with(cadence: Cadence, start: dt.date, days: int, policy: HolidayPolicy) -> Plan:
    data = BASE.model_dump(mode="python")
    data["plan"]["period"] = {"start": start, "end": start + dt.timedelta(days=days)}
    data["plan"]["holiday_policy"] = policy
    data["duties"][0]["cadence"] = cadence.model_dump(mode="python")
    return Plan.model_validate(data)


@settings(max_examples=300, deadline=None)
@given(cadence=cadences, period=periods, policy=st.sampled_from(list(HolidayPolicy)))
def test_computed_deadlines_respect_the_policy(
    cadence: Cadence, period: tuple[dt.date, int], policy: HolidayPolicy
) -> None:
    plan = _plan_with(cadence, period[0], period[1], policy)
    rule_policy = cadence.deadline.holiday_policy if cadence.deadline else None
    effective_policy = rule_policy or policy
    dues = occurrences(plan, plan.duties[0].cadence)
    for due in dues:
        if effective_policy is HolidayPolicy.NEXT_WORKING_DAY:
            assert due.effective >= due.nominal  # never before the nominal date
            assert is_working_day(due.effective)
        elif effective_policy is HolidayPolicy.PREVIOUS_WORKING_DAY:
            assert due.effective <= due.nominal  # never after the last day allowed
            assert is_working_day(due.effective)
        else:
            assert due.effective == due.nominal
    problems = [p for p in check(plan, lambda _w: ()) if p.path[:2] == ("duties", 0)]
    if not problems:  # a plan that validates has every deadline inside its period
        for due in dues:
            assert plan.plan.period.start <= due.effective <= plan.plan.period.end
    else:
        assert any(
            "outside the plan period" in p.message or "no period" in p.message for p in problems
        )
