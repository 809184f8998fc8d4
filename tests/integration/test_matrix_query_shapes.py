"""The matrix's cells are counted by two query shapes — one grouped scan (SQLite) and a JSON
subquery per unit (PostgreSQL) — and by each database's own status expression: on the same
ledger, every filter must give the same cells."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.orm import DutyRow, ObligationRow, UnitRow, UserRow
from phancong.domain.access import Action, Principal
from phancong.domain.status import Status
from phancong.mail.render import render_notice
from phancong.services import reads, status_sql
from phancong.services.access import principal_of
from phancong.services.actions import perform
from phancong.services.errors import LedgerError
from tests.portal_support import add_user, seed_ledger

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

SEEDED = dt.datetime(2026, 1, 2, 2, 0, tzinfo=dt.UTC)
COORDINATOR = "thuongtruc@example.test"
REVIEWER = "pho.thuongtruc@example.test"
AS_OF = [
    dt.datetime(2026, 3, 20, 3, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 10, 3, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 10, 0, tzinfo=dt.UTC),
]
STATUSES: list[str | None] = [None, *(s.value for s in Status)]


def _ledger(url: str) -> sessionmaker[Session]:
    """The mini plan for 2026 with every kind of history, the same on any database."""
    factory = seed_ledger(url, through=dt.date(2026, 12, 31), now=SEEDED)
    add_user(factory, COORDINATOR, "coordinator", plan="mini", now=SEEDED)
    add_user(factory, REVIEWER, "coordinator", plan="mini", now=SEEDED)
    with factory() as session:
        user = session.scalars(select(UserRow).where(UserRow.email == COORDINATOR)).one()
        coordinator = principal_of(user)
        reviewer = principal_of(  # nobody accepts or returns their own submission
            session.scalars(select(UserRow).where(UserRow.email == REVIEWER)).one()
        )
        rows = session.execute(
            select(ObligationRow.id, ObligationRow.effective_deadline, ObligationRow.period_start)
            .where(ObligationRow.plan_id == "mini")
            .order_by(ObligationRow.id)
        ).all()

    def act(oid: int, action: Action, at: dt.date, **kwargs: Any) -> None:
        when = dt.datetime.combine(at, dt.time(3, 0), tzinfo=dt.UTC)
        who = reviewer if action in (Action.ACCEPT, Action.RETURN) else coordinator
        if action is Action.SUBMIT:  # the coordinator records the units' reports for them
            kwargs["on_behalf_reason"] = "Đơn vị gửi báo cáo giấy"
        with contextlib.suppress(LedgerError):  # e.g. blocked: refused alike on both databases
            perform(factory, who, oid, action, now=when, portal_url="http://x",
                    renderer=render_notice, **kwargs)

    for i, (oid, deadline, start) in enumerate(rows):
        if start > dt.date(2026, 9, 30):
            continue  # later periods stay as materialised
        if i % 3 == 0:  # on time, accepted
            act(oid, Action.SUBMIT, deadline - dt.timedelta(days=1), note="đúng hạn")
            act(oid, Action.ACCEPT, deadline + dt.timedelta(days=2))
        elif i % 5 == 0:  # late: accepted (every other one) or awaiting review
            act(oid, Action.SUBMIT, deadline + dt.timedelta(days=4), note="trễ")
            if i % 2 == 0:
                act(oid, Action.ACCEPT, deadline + dt.timedelta(days=5))
        elif i % 7 == 0:  # returned
            act(oid, Action.SUBMIT, deadline, note="thiếu số liệu")
            act(oid, Action.RETURN, deadline + dt.timedelta(days=1), reason="Bổ sung số liệu")
        elif i % 11 == 0:
            act(oid, Action.WAIVE, start, reason="Không phát sinh")
        elif i % 13 == 0:
            act(
                oid,
                Action.EXTEND,
                start,
                new_deadline=deadline + dt.timedelta(days=45),
                reason="Gia hạn",
            )
    return factory


@pytest.fixture
def sqlite_and_postgres(
    tmp_path: Path, database_url: str
) -> Iterator[tuple[sessionmaker[Session], sessionmaker[Session]]]:
    sqlite = _ledger(f"sqlite+pysqlite:///{tmp_path}/ledger.db")
    postgres = _ledger(database_url)
    yield sqlite, postgres
    for factory in (sqlite, postgres):
        factory.kw["bind"].dispose()


def _names(session: Session) -> dict[int, tuple[str, str, str]]:
    """Obligation id → (duty, unit, period): ids need not agree between databases."""
    rows = session.execute(
        select(ObligationRow.id, DutyRow.code, UnitRow.code, ObligationRow.period_label)
        .join(DutyRow, DutyRow.id == ObligationRow.duty_id)
        .join(UnitRow, UnitRow.id == ObligationRow.unit_id)
    ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _cells(session: Session, as_of: dt.datetime, status: str | None) -> dict[Any, Any]:
    plan = reads.resolve_plan(session, _coordinator(session), "mini")
    periods = [p for p in reads.plan_periods(session, "mini") if p.startswith("2026")]
    grid = reads.matrix(session, plan, as_of, periods=periods, status=status)
    names = _names(session)
    return {
        (row.unit.code, period): (
            dict(cell.counts),
            dict(cell.owner_counts),
            names[cell.first_id] if cell.first_id is not None else None,
        )
        for row in grid.rows
        for period, cell in row.cells.items()
    }


def _coordinator(session: Session) -> Principal:
    return principal_of(session.scalars(select(UserRow).where(UserRow.email == COORDINATOR)).one())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_both_shapes_and_both_databases_count_the_same_cells(
    sqlite_and_postgres: tuple[sessionmaker[Session], sessionmaker[Session]],
) -> None:
    sqlite, postgres = sqlite_and_postgres
    seen: set[str] = set()
    with sqlite() as lite, postgres() as pg:
        for as_of in AS_OF:
            st = status_sql.status_expr(as_of, "Asia/Ho_Chi_Minh")
            for status in STATUSES:
                on_sqlite = _cells(lite, as_of, status)
                on_postgres = _cells(pg, as_of, status)
                assert on_sqlite == on_postgres, (as_of, status)
                for counts, _, _ in on_sqlite.values():
                    seen.update(counts)
                # the grouped shape run on PostgreSQL: the same rows as the per-unit shape
                where = [
                    ObligationRow.period_label.like("2026%"),
                    ObligationRow.state != "cancelled",
                ]
                units = list(pg.scalars(select(UnitRow.id).where(UnitRow.plan_id == "mini")))
                per_unit = reads.cell_counts(pg, st, where, units, status)
                grouped = pg.execute(reads.cell_counts_query("sqlite", st, where, units, status))
                if status is None:
                    assert per_unit, as_of
                assert sorted(per_unit) == sorted(
                    (u, p, s, int(n), int(o or 0), f) for u, p, s, n, o, f in grouped
                ), (as_of, status)
    # the ledger had every status a coordinator filters by (so no comparison was vacuous)
    assert seen >= {s.value for s in Status} - {Status.CANCELLED.value}, seen


def test_status_filters_find_what_the_status_expression_finds(database_url: str) -> None:
    """status_is narrows by states and dates first (so that an index serves it); asked after
    every recorded action, as the portal asks, it must select exactly the obligations whose
    status the status expression gives. And no obligation starts after the day
    latest_start gives for its period, which the matrix adds as a condition (the shipped
    plans' one-off duties: tests/unit/test_reads.py)."""
    factory = _ledger(database_url)
    as_of = dt.datetime(2027, 6, 30, 3, 0, tzinfo=dt.UTC)  # after every action of the fixture
    mini = ObligationRow.plan_id == "mini"
    with factory() as session:
        st = status_sql.status_expr(as_of, "Asia/Ho_Chi_Minh")
        found_any = set()
        for status in Status:
            expected = set(session.scalars(select(ObligationRow.id).where(mini, st == status)))
            narrowed = set(
                session.scalars(
                    select(ObligationRow.id).where(
                        mini, status_sql.status_is(as_of, "Asia/Ho_Chi_Minh", status.value)
                    )
                )
            )
            assert narrowed == expected, status
            if expected:
                found_any.add(status.value)
        starts = session.execute(
            select(ObligationRow.period_label, func.max(ObligationRow.period_start))
            .where(mini)
            .group_by(ObligationRow.period_label)
        ).all()
    factory.kw["bind"].dispose()
    assert {"submitted", "completed_on_time", "completed_late", "returned", "waived"} <= found_any
    assert starts
    for label, latest in starts:
        bound = reads.latest_start([label])
        assert bound is not None and latest <= bound, label
