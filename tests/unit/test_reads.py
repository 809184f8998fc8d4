"""Pure parts of the matrix: period order, the current period, a cell's colour, the shape of
its counting query on each database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine
from sqlalchemy.sql.compiler import WARN_LINTING

from phancong.adapters.orm import ObligationRow
from phancong.services.reads import (
    Cell,
    MatrixRow,
    UnitInfo,
    cell_counts_query,
    current_period,
    latest_start,
    period_bounds,
    period_key,
    period_year,
)
from phancong.services.status_sql import status_expr

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
    # as reports fall due: by the day a period ends, shorter first ("Năm 2026" after the
    # quarters and halves of 2026, the 31/03 deadline with the first quarter)
    assert sorted(labels, key=period_key) == [
        "2026-02",
        "ONCE-2026-03-31",
        "2026-Q1",
        "2026-H1",
        "2026-Q3",
        "2026-H2",
        "2026",
        "2027-Q1",
    ]
    assert sorted(["2026", "2026-Q4", "2026-Q3", "2026-H2", "2026-Q2", "2026-H1", "2026-Q1"],
                  key=period_key) == [
        "2026-Q1", "2026-Q2", "2026-H1", "2026-Q3", "2026-Q4", "2026-H2", "2026"
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


def _cells_sql(url: str, status: str | None = None) -> str:
    """The cell counts of a page of three units, compiled as ``url``'s engine executes it
    (with SQLAlchemy's FROM linter, whose warnings the suite turns into errors)."""
    dialect = create_engine(url).dialect
    query = cell_counts_query(
        dialect.name,
        status_expr(dt.datetime(2026, 5, 4, 3, tzinfo=dt.UTC), "Asia/Ho_Chi_Minh"),
        [ObligationRow.period_label.in_(["2026-Q1", "2026"]), ObligationRow.state != "cancelled"],
        [11, 12, 13],
        status,
    )
    compiled = query.compile(
        dialect=dialect,
        linting=dialect.compiler_linting | WARN_LINTING,  # as Connection.execute compiles
        compile_kwargs={"render_postcompile": True},
    )
    return " ".join(str(compiled).split())


@pytest.mark.parametrize("status", [None, "overdue"])
def test_postgresql_counts_the_cells_unit_by_unit(status: str | None) -> None:
    # the status (and its dependency EXISTS) is evaluated in a subquery per unit, so PostgreSQL
    # probes the dependency index per row instead of hashing every blocked obligation
    sql = _cells_sql("postgresql+psycopg://", status)
    assert sql.startswith("SELECT units.id, (SELECT json_agg(json_build_array(")
    assert "obligations.unit_id = units.id" in sql
    assert "obligations.unit_id IN" not in sql
    assert "WHERE units.id IN (" in sql
    assert "LATERAL" not in sql  # SQLAlchemy's linter sees a cartesian product in one
    assert (".st = %(st_1)s" in sql) == bool(status)


def test_sqlite_counts_the_cells_in_one_grouped_scan() -> None:
    sql = _cells_sql("sqlite+pysqlite://")
    assert "obligations.unit_id IN (?, ?, ?)" in sql
    assert sql.endswith("GROUP BY anon_1.unit_id, anon_1.period_label, anon_1.st")
    assert "json" not in sql


def test_latest_start_bounds_every_obligation_of_the_shipped_plans() -> None:
    from phancong.adapters.loader import load
    from phancong.domain.calendar import CadenceKind, occurrences
    from tests.helpers import HAIDUONG, HANOI

    assert latest_start(["2026-Q1", "2026-03"]) == dt.date(2026, 3, 31)
    assert latest_start(["2026", "2026-H1"]) == dt.date(2026, 12, 31)
    assert latest_start(["ONCE-2026-06-30"]) == dt.date(2026, 6, 30)
    assert latest_start(["2026-Q1", "later"]) is None  # a label the portal does not read
    assert latest_start([]) is None
    kinds = set()
    for path in (HANOI, HAIDUONG):
        plan = load(path)
        for duty in plan.duties:
            for due in occurrences(plan, duty.cadence):
                kinds.add(due.period.kind)
                bound = latest_start([due.period.label])
                assert bound is not None and due.period.start <= bound, due.period
    assert CadenceKind.ONCE in kinds  # one-off periods start with the plan, before their day


def test_event_and_ad_hoc_periods_cover_their_day_and_sort_among_the_others() -> None:
    """The matrix places an event report (EV-…) and an ad hoc request (DX-…) on their day."""
    day = dt.date(2026, 7, 3)
    assert period_bounds("EV-2026-07-03-2") == (day, day)
    assert period_bounds("DX-2026-07-03-1") == (day, day)
    assert period_year("EV-2026-07-03-2") == 2026
    labels = ["2026", "EV-2026-07-03-2", "2026-Q3", "DX-2026-02-01-1", "2026-Q1"]
    assert sorted(labels, key=period_key) == [
        "DX-2026-02-01-1", "2026-Q1", "EV-2026-07-03-2", "2026-Q3", "2026"]
