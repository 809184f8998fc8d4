"""Which upstream periods an obligation waits on (phancong.domain.calendar.linked_periods)."""

from __future__ import annotations

import datetime as dt

import pytest

from phancong.domain.cadence import CadenceKind, DependencyRule
from phancong.domain.calendar import Period, linked_periods

pytestmark = pytest.mark.unit

D = dt.date
QUARTERS = [
    Period(D(2026, 1, 1), D(2026, 3, 31), "2026-Q1", CadenceKind.QUARTERLY),
    Period(D(2026, 4, 1), D(2026, 6, 30), "2026-Q2", CadenceKind.QUARTERLY),
    Period(D(2026, 7, 1), D(2026, 9, 30), "2026-Q3", CadenceKind.QUARTERLY),
    Period(D(2026, 10, 1), D(2026, 12, 31), "2026-Q4", CadenceKind.QUARTERLY),
]
YEAR = Period(D(2026, 1, 1), D(2026, 12, 31), "2026", CadenceKind.YEARLY)
H1 = Period(D(2026, 1, 1), D(2026, 6, 30), "2026-H1", CadenceKind.SEMIANNUAL)


def test_same_period_links_the_period_of_the_same_label() -> None:
    q2 = QUARTERS[1]
    assert linked_periods(DependencyRule.SAME_PERIOD, q2, QUARTERS) == [q2]
    assert linked_periods(DependencyRule.SAME_PERIOD, YEAR, QUARTERS) == []


def test_within_links_every_upstream_period_inside_its_own() -> None:
    assert linked_periods(DependencyRule.WITHIN, YEAR, QUARTERS) == QUARTERS
    assert linked_periods(DependencyRule.WITHIN, H1, QUARTERS) == QUARTERS[:2]


def test_within_links_one_off_reports_due_before_a_one_off_consolidation() -> None:
    reports = Period(D(2026, 1, 1), D(2026, 6, 30), "ONCE-2026-06-30", CadenceKind.ONCE)
    later = Period(D(2026, 1, 1), D(2026, 9, 30), "ONCE-2026-09-30", CadenceKind.ONCE)
    consolidation = Period(D(2026, 1, 1), D(2026, 7, 31), "ONCE-2026-07-31", CadenceKind.ONCE)
    assert linked_periods(DependencyRule.WITHIN, consolidation, [reports, later]) == [reports]


def test_latest_before_links_the_last_period_ending_by_its_end() -> None:
    assert linked_periods(DependencyRule.LATEST_BEFORE, H1, QUARTERS) == [QUARTERS[1]]
    early = Period(D(2026, 1, 1), D(2026, 2, 28), "x", CadenceKind.ONCE)
    assert linked_periods(DependencyRule.LATEST_BEFORE, early, QUARTERS) == []
