"""The unit × period matrix and the fan-out view of duties owed by many units, grouped in SQL
(one page of units, one year of periods), never all obligations into Python."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Select, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.dialect import Dialect, dialect_of
from phancong.adapters.orm import DutyRow, ObligationRow, SubmissionRow, UnitRow
from phancong.domain.plan import Role
from phancong.domain.status import Review, State, Status
from phancong.services.reads.plans import PlanInfo, UnitInfo, _unit_filter, latest_start
from phancong.services.status_sql import status_expr, status_is, submitted_by

# worst first: a cell takes the colour of its most urgent obligation
STATUS_ORDER = (
    Status.OVERDUE,
    Status.RETURNED,
    Status.BLOCKED,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
    Status.COMPLETED_LATE,
    Status.COMPLETED_ON_TIME,
    Status.WAIVED,
    Status.NOT_OPEN,
    Status.CANCELLED,
)


RANK = {s.value: i for i, s in enumerate(STATUS_ORDER)}
DONE = (Status.COMPLETED_ON_TIME.value, Status.COMPLETED_LATE.value)
LEGEND = (
    Status.COMPLETED_ON_TIME,
    Status.COMPLETED_LATE,
    Status.IN_PROGRESS,
    Status.OVERDUE,
    Status.SUBMITTED,
    Status.RETURNED,
    Status.BLOCKED,
    Status.NOT_OPEN,
    Status.WAIVED,
)


FANOUT_MIN_UNITS = 10


CellCount = tuple[int, str, str, int, int, int]  # unit, period, status, count, owners, first id


AnySelect = Select[*tuple[Any, ...]]


@dataclass
class Cell:
    counts: dict[str, int] = field(default_factory=dict)
    owner_counts: dict[str, int] = field(default_factory=dict)
    first_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in DONE)

    @property
    def status(self) -> str:
        return min(self.counts, key=lambda s: RANK.get(s, 99)) if self.counts else ""

    @property
    def only_id(self) -> int | None:
        return self.first_id if self.total == 1 else None


@dataclass
class MatrixRow:
    unit: UnitInfo
    cells: dict[str, Cell]
    # completed on time through a coordinator's submission on the unit's behalf: counted
    # apart, not in the unit's own on-time record
    on_behalf_on_time: int = 0

    def _owner(self, *statuses: str) -> int:
        return sum(c.owner_counts.get(s, 0) for c in self.cells.values() for s in statuses)

    @property
    def due(self) -> int:
        return self._owner(Status.COMPLETED_ON_TIME, Status.COMPLETED_LATE, Status.OVERDUE)

    @property
    def on_time(self) -> int:
        return self._owner(Status.COMPLETED_ON_TIME) - self.on_behalf_on_time

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass
class Matrix:
    plan: PlanInfo
    periods: list[str]
    rows: list[MatrixRow]
    total_units: int
    page: int
    pages: int


def cell_counts_query(
    dialect: Dialect,
    st: ColumnElement[str],
    where: list[ColumnElement[bool]],
    unit_ids: list[int],
    status: str | None,
) -> AnySelect:
    """The counts of a page's cells: per unit, period and status, the obligations, those of
    owners and the first obligation id (read by :func:`cell_counts`).

    No plan condition: the units are the plan's, and the (unit, period) index is the narrow one
    where the plan's index would visit a year of the whole plan.

    On PostgreSQL the cells are counted unit by unit, in a subquery per unit that returns them
    as one JSON array. The status expression holds a correlated EXISTS (the dependency check),
    which PostgreSQL runs either per row or as a hashed set of every blocked obligation of the
    ledger, chosen by the estimated rows of the scan that evaluates it: over a whole page
    (~6,000 rows) it builds the set, a join of every dependency with every open obligation
    (~300 ms at national scale, for rows of which a handful have a dependency at all); over one
    unit (~40 rows) it probes the dependency index per row (~15 ms for the page). SQLite runs
    the EXISTS per row whatever the shape and keeps the single grouped scan.

    (A LATERAL join would be the plainer SQL, but SQLAlchemy's FROM linter reports a false
    cartesian product for the EXISTS inside a LATERAL subquery.)
    """
    o = ObligationRow

    def grouped(rows: AnySelect, *by: str) -> AnySelect:
        sub = rows.subquery()
        query = select(
            *(sub.c[name] for name in by),
            sub.c.period_label,
            sub.c.st,
            func.count().label("n"),
            func.sum(case((sub.c.role != Role.SUPPORT, 1), else_=0)).label("owners"),
            func.min(sub.c.id).label("first_id"),
        )
        if status:
            query = query.where(sub.c.st == status)
        return query.group_by(*(sub.c[name] for name in by), sub.c.period_label, sub.c.st)

    if dialect != Dialect.POSTGRESQL:
        return grouped(
            select(o.id, o.unit_id, o.period_label, o.role, st.label("st")).where(
                *where, o.unit_id.in_(unit_ids)
            ),
            "unit_id",
        )
    rows = (
        select(o.id, o.period_label, o.role, st.label("st"))
        .where(*where, o.unit_id == UnitRow.id)
        .correlate(UnitRow)
    )
    cells = grouped(rows).subquery()
    fields = (cells.c.period_label, cells.c.st, cells.c.n, cells.c.owners, cells.c.first_id)
    per_unit = select(func.json_agg(func.json_build_array(*fields), type_=JSON))
    return select(UnitRow.id, per_unit.scalar_subquery()).where(UnitRow.id.in_(unit_ids))


def cell_counts(
    session: Session,
    st: ColumnElement[str],
    where: list[ColumnElement[bool]],
    unit_ids: list[int],
    status: str | None,
) -> list[CellCount]:
    """One row per unit, period and status of a page's cells (see :func:`cell_counts_query`)."""
    dialect = dialect_of(session)
    result = session.execute(cell_counts_query(dialect, st, where, unit_ids, status))
    if dialect != Dialect.POSTGRESQL:
        return [
            (unit_id, period, st_value, int(n), int(owners or 0), first_id)
            for unit_id, period, st_value, n, owners, first_id in result
        ]
    return [
        (unit_id, period, st_value, int(n), int(owners or 0), first_id)
        for unit_id, cells in result
        for period, st_value, n, owners, first_id in cells or ()
    ]


def matrix(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    *,
    periods: list[str],
    status: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    unit: str | None = None,
    page: int = 1,
    per_page: int = 150,
) -> Matrix:
    """Units × periods with status counts per cell, for one page of units."""
    st = status_expr(as_of, plan.timezone)
    o = ObligationRow
    base_where = [o.plan_id == plan.id, o.period_label.in_(periods)]
    latest = latest_start(periods)
    if latest is not None:  # implied by the labels; lets a status filter use a state index
        base_where.append(o.period_start <= latest)
    if status != Status.CANCELLED.value:
        base_where.append(o.state != State.CANCELLED)
    units_q = _unit_filter(
        select(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind).where(
            UnitRow.plan_id == plan.id
        ),
        kind=kind,
        q=q,
        unit=unit,
    )
    if status:  # the units with such a cell, found once (the count and the page both use them)
        having = select(o.unit_id).where(*base_where, status_is(as_of, plan.timezone, status))
        units_q = units_q.where(UnitRow.id.in_(sorted(session.scalars(having.distinct()))))
    total = session.scalar(select(func.count()).select_from(units_q.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    unit_rows = session.execute(
        units_q.order_by(case((UnitRow.kind == "commune", 1), else_=0), UnitRow.kind, UnitRow.code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    units = [UnitInfo(*r) for r in unit_rows]
    rows = {u.id: MatrixRow(u, {}) for u in units}
    if units and periods:
        cells = cell_counts(session, st, base_where[1:], list(rows), status)
        for unit_id, period, st_value, count, owners, first_id in cells:
            cell = rows[unit_id].cells.setdefault(period, Cell())
            cell.counts[st_value] = count
            cell.owner_counts[st_value] = owners
            cell.first_id = first_id if cell.first_id is None else min(cell.first_id, first_id)
        for unit_id, count in on_behalf_on_time(session, base_where[1:], list(rows)):
            rows[unit_id].on_behalf_on_time = count
    return Matrix(plan, periods, list(rows.values()), total, page, pages)


def on_behalf_on_time(
    session: Session, where: list[ColumnElement[bool]], unit_ids: list[int]
) -> list[tuple[int, int]]:
    """Per unit, the owner obligations accepted on time whose accepted submission a coordinator
    made on the unit's behalf (from the page's obligations to their submissions by index)."""
    o, s = ObligationRow, SubmissionRow
    rows = session.execute(
        select(o.unit_id, func.count())
        .join(s, s.obligation_id == o.id)
        .where(
            *where,
            o.unit_id.in_(unit_ids),
            o.state == State.ACCEPTED,
            o.on_time.is_(True),
            o.role != Role.SUPPORT,
            s.review == Review.ACCEPTED,
            s.on_behalf_reason.is_not(None),
        )
        .group_by(o.unit_id)
    ).all()
    return [(int(unit_id), int(count)) for unit_id, count in rows]


@dataclass(frozen=True)
class DutyInfo:
    id: int
    code: str
    title: str
    source: str
    text: str = ""


@dataclass
class Fanout:
    duties: list[DutyInfo]
    units: list[UnitInfo]
    cells: dict[tuple[int, int], tuple[int, str]]  # (unit id, duty id) -> (obligation id, status)
    submitted: dict[int, tuple[int, int]]  # duty id -> (submitted, total)
    total_units: int
    page: int
    pages: int


def fanout(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    period: str,
    *,
    q: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 150,
    kind: str = "commune",
) -> Fanout:
    """Duties owed by many units of one kind (the communes and wards) × those units, for one
    period; units of other kinds owing the same duty (departments) are left out."""
    o = ObligationRow
    st = status_expr(as_of, plan.timezone)
    of_kind = select(UnitRow.id).where(UnitRow.plan_id == plan.id, UnitRow.kind == kind)
    owed = [
        o.plan_id == plan.id,
        o.period_label == period,
        o.role != Role.SUPPORT,
        o.state != State.CANCELLED,
        o.unit_id.in_(of_kind),
    ]
    counted = session.execute(
        select(o.duty_id, func.count(), func.sum(case((submitted_by(as_of), 1), else_=0)))
        .where(*owed)
        .group_by(o.duty_id)
        .having(func.count() >= FANOUT_MIN_UNITS)
    ).all()
    submitted = {duty_id: (int(done or 0), int(n)) for duty_id, n, done in counted}
    duty_ids = list(submitted)
    if not duty_ids:
        return Fanout([], [], {}, {}, 0, 1, 1)
    duties = [
        DutyInfo(*r)
        for r in session.execute(
            select(DutyRow.id, DutyRow.code, DutyRow.title, DutyRow.source, DutyRow.text)
            .where(DutyRow.id.in_(duty_ids))
            .order_by(DutyRow.id)
        )
    ]
    where = [o.period_label == period, o.duty_id.in_(duty_ids), o.state != State.CANCELLED]
    unit_ids = select(o.unit_id).where(o.plan_id == plan.id, o.unit_id.in_(of_kind), *where)
    if status:
        unit_ids = unit_ids.where(status_is(as_of, plan.timezone, status))
    units_q = _unit_filter(
        select(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind).where(
            UnitRow.id.in_(unit_ids.distinct())
        ),
        kind=None,
        q=q,
        unit=None,
    )
    total = session.scalar(select(func.count()).select_from(units_q.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    units = [
        UnitInfo(*r)
        for r in session.execute(
            units_q.order_by(UnitRow.code).limit(per_page).offset((page - 1) * per_page)
        )
    ]
    cells: dict[tuple[int, int], tuple[int, str]] = {}
    if units:
        # by the (unit, period) index: no plan condition, the units are the plan's
        for unit_id, duty_id, ob_id, st_value in session.execute(
            select(o.unit_id, o.duty_id, o.id, st).where(
                *where, o.unit_id.in_([u.id for u in units])
            )
        ).all():
            if not status or st_value == status:
                cells[(unit_id, duty_id)] = (ob_id, st_value)
    return Fanout(duties, units, cells, submitted, total, page, pages)


def sorted_statuses(values: Iterable[str]) -> list[str]:
    return sorted(values, key=lambda s: RANK.get(s, 99))


def status_literal(value: str) -> Any:
    return literal(value)
