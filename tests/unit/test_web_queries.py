"""Pure parts of the matrix: period order, the current period, a cell's colour."""

from __future__ import annotations

import datetime as dt

import pytest

from phancong.web.queries import (
    Cell,
    MatrixRow,
    UnitInfo,
    current_period,
    period_bounds,
    period_key,
    period_year,
)

pytestmark = pytest.mark.unit


def test_period_order() -> None:
    labels = [
        "2026",
        "2026-H1",
        "2026-Q3",
        "ONCE-2026-03-31",
        "2026-Q1",
        "2026-02",
        "2027-Q1",
        "2026-H2",
    ]
    assert sorted(labels, key=period_key) == [
        "2026-Q1",
        "2026-H1",
        "2026",
        "2026-02",
        "ONCE-2026-03-31",
        "2026-Q3",
        "2026-H2",
        "2027-Q1",
    ]
    assert period_year("ONCE-2030-12-31") == 2030
    assert period_year("weird") is None


def test_current_period() -> None:
    periods = ["2026-Q1", "2026-H1", "2026", "2026-Q3"]
    assert current_period(periods, dt.date(2026, 3, 2)) == "2026-Q1"
    assert current_period(periods, dt.date(2026, 8, 1)) == "2026-Q3"
    assert current_period(periods, dt.date(2025, 1, 1)) == "2026-Q1"
    assert current_period([], dt.date(2026, 1, 1)) is None
    hanoi = ["2026-Q1", "2026-H1", "2026", "ONCE-2026-03-31", "2026-Q3"]
    assert current_period(hanoi, dt.date(2026, 5, 1)) == "2026-H1"
    assert current_period(hanoi, dt.date(2026, 3, 31)) == "2026-Q1"
    assert current_period(hanoi, dt.date(2027, 2, 1)) == "2026"


def test_period_bounds() -> None:
    assert period_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_bounds("2026-H1") == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert period_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert period_bounds("ONCE-2030-12-31") == (dt.date(2030, 12, 31), dt.date(2030, 12, 31))
    assert period_bounds("x") is None


def test_cell_takes_the_most_urgent_status() -> None:
    cell = Cell(counts={"completed_on_time": 3, "in_progress": 1, "overdue": 1}, first_id=7)
    assert cell.status == "overdue"
    assert cell.total == 5
    assert cell.done == 3
    assert cell.only_id is None
    assert Cell(counts={"submitted": 1}, first_id=9).only_id == 9


def test_on_time_rate_counts_owners_only() -> None:
    row = MatrixRow(
        UnitInfo(1, "sgd", "Sở GD", "department"),
        {
            "2026-Q1": Cell(
                counts={"completed_on_time": 2, "overdue": 1},
                owner_counts={"completed_on_time": 1, "overdue": 1},
            ),
        },
    )
    assert row.due == 2
    assert row.on_time == 1
    assert row.rate == 0.5
    assert MatrixRow(UnitInfo(2, "x", "X", "other"), {}).rate is None
