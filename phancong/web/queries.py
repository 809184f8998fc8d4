"""Set-based reads behind the portal's pages and exports (never all obligations into Python).

The matrix groups obligations by unit × period × status in SQL, with the status computed by
:func:`phancong.services.status_sql.status_expr`, for one page of units and one year of periods.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from phancong.adapters.dialect import Dialect, dialect_of
from phancong.adapters.orm import DutyRow, ObligationRow, PlanRow, SubmissionRow, UnitRow
from phancong.domain.horizon import period_words
from phancong.domain.status import Status, local_date
from phancong.services import ledger
from phancong.services.access import Principal, plan_in_scope
from phancong.services.errors import NotFound
from phancong.services.status_sql import late_expr, status_expr, status_is, submitted_by

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


_PERIOD = re.compile(r"^(?:ONCE-(\d{4})-(\d{2})-(\d{2})|(\d{4})(?:-(Q|H)?(\d{1,2}))?)$")


# ----------------------------------------------------------------------------- plans and periods


@dataclass(frozen=True)
class PlanInfo:
    id: str
    title: str
    timezone: str
    period_start: dt.date | None = None
    period_end: dt.date | None = None  # None: until revoked

    def period_words(self, lang: str = "vi") -> str:
        """The plan's period as people read it ('từ 01/01/2026, đến khi có văn bản thay thế')."""
        if self.period_start is None:
            return ""
        return period_words(self.period_start, self.period_end, lang)


PLAN_INFO = (PlanRow.id, PlanRow.title, PlanRow.timezone, PlanRow.period_start, PlanRow.period_end)


def plans_for(session: Session, principal: Principal) -> list[PlanInfo]:
    query = select(*PLAN_INFO).order_by(PlanRow.id)
    if principal.plan_id is not None:
        query = query.where(PlanRow.id == principal.plan_id)
    return [PlanInfo(*row) for row in session.execute(query).all()]


def resolve_plan(session: Session, principal: Principal, requested: str | None) -> PlanInfo:
    """The plan a request is about: the user's own, or the asked one within scope, or the first."""
    if requested and not plan_in_scope(principal, requested):
        raise NotFound(f"Không có kế hoạch '{requested}'", f"No plan '{requested}'")
    plan_id = requested or principal.plan_id
    query = select(*PLAN_INFO)
    query = query.where(PlanRow.id == plan_id) if plan_id else query.order_by(PlanRow.id).limit(1)
    row = session.execute(query).first()
    if row is None:
        if plan_id:
            raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
        raise NotFound("Chưa có kế hoạch nào trong hệ thống", "No plan has been loaded")
    return PlanInfo(*row)


def period_key(label: str) -> tuple[int, int, int, str]:
    """Chronological order of period labels, as reports fall due: by the day a period ends
    (a one-off deadline "ends" on its day), then shorter spans first — Q1, the 31/03 deadline…,
    Q2, H1, Q3, Q4, H2, the year. Unknown labels last."""
    bounds = period_bounds(label)
    if bounds is None:
        return (99_999_999, 0, 0, label)
    first, last = bounds
    return (last.toordinal(), (last - first).days, 0, label)


def period_year(label: str) -> int | None:
    """The calendar year a period belongs to (the year it starts in)."""
    bounds = period_bounds(label)
    return bounds[0].year if bounds is not None else None


def plan_periods(session: Session, plan_id: str) -> list[str]:
    """The plan's period labels, read as a skip scan of the (plan, period) index: each label is
    the smallest one after the previous, one index probe per label (a plain DISTINCT reads an
    index entry per obligation: ~170 ms on PostgreSQL and ~75 ms on SQLite at national scale,
    against a few milliseconds)."""
    o = ObligationRow
    labels = (
        select(func.min(o.period_label).label("label"))
        .where(o.plan_id == plan_id)
        .cte("labels", recursive=True)
    )
    following = select(func.min(o.period_label)).where(
        o.plan_id == plan_id, o.period_label > labels.c.label
    )
    labels = labels.union_all(
        select(following.scalar_subquery()).where(labels.c.label.is_not(None))
    )
    found = session.scalars(select(labels.c.label).where(labels.c.label.is_not(None))).all()
    return sorted(found, key=period_key)


def period_bounds(label: str) -> tuple[dt.date, dt.date] | None:
    """First and last day a period label covers (a one-off deadline covers its own day)."""
    m = _PERIOD.match(label)
    if m is None:
        return None
    if m.group(1):
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return day, day
    year = int(m.group(4))
    kind, number = m.group(5), m.group(6)
    if number is None:
        first, months = 1, 12
    elif kind == "Q":
        first, months = 3 * int(number) - 2, 3
    elif kind == "H":
        first, months = 6 * int(number) - 5, 6
    else:
        first, months = int(number), 1
    last_month = first + months - 1
    end = dt.date(year + last_month // 12, last_month % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(year, first, 1), end


def latest_start(periods: Iterable[str]) -> dt.date | None:
    """The latest day an obligation of these periods can start on: the last day the latest of
    them covers (a one-off duty's period runs from the plan's start to its deadline, which the
    plan's validation keeps inside the plan). None when a label is not one the portal reads."""
    ends = [period_bounds(label) for label in periods]
    if not ends or any(bounds is None for bounds in ends):
        return None
    return max(bounds[1] for bounds in ends if bounds is not None)


def current_period(periods: list[str], today: dt.date) -> str | None:
    """The shortest period under way on ``today``, else the one that ended last, else the first."""
    spans = [(p, b) for p in periods if (b := period_bounds(p)) is not None]
    under_way = [(b[1], p.startswith("ONCE-"), p) for p, b in spans if b[0] <= today <= b[1]]
    if under_way:
        return min(under_way)[2]
    ended = [(b[1], p) for p, b in spans if b[1] < today]
    if ended:
        return max(ended)[1]
    return periods[0] if periods else None


# ----------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str


def unit_kinds(session: Session, plan_id: str) -> list[str]:
    return list(
        session.scalars(
            select(UnitRow.kind).where(UnitRow.plan_id == plan_id).distinct().order_by(UnitRow.kind)
        )
    )


def units_of_plan(session: Session, plan_id: str) -> list[UnitInfo]:
    rows = session.execute(
        select(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.kind)
        .where(UnitRow.plan_id == plan_id)
        .order_by(case((UnitRow.kind == "commune", 1), else_=0), UnitRow.code)
    )
    return [UnitInfo(*r) for r in rows]


UnitSelect = Select[int, str, str, str]


def _unit_filter(
    query: UnitSelect, *, kind: str | None, q: str | None, unit: str | None
) -> UnitSelect:
    if kind:
        query = query.where(UnitRow.kind == kind)
    if unit:
        query = query.where(UnitRow.code == unit)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(UnitRow.code).like(like),
                func.lower(UnitRow.name).like(like),
                UnitRow.name.like(f"%{q.strip()}%"),
            )
        )
    return query


# ----------------------------------------------------------------------------- matrix


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


CellCount = tuple[int, str, str, int, int, int]  # unit, period, status, count, owners, first id
AnySelect = Select[*tuple[Any, ...]]


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
            func.sum(case((sub.c.role != "support", 1), else_=0)).label("owners"),
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
        base_where.append(o.state != "cancelled")
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
            o.state == "accepted",
            o.on_time.is_(True),
            o.role != "support",
            s.review == "accepted",
            s.on_behalf_reason.is_not(None),
        )
        .group_by(o.unit_id)
    ).all()
    return [(int(unit_id), int(count)) for unit_id, count in rows]


# ----------------------------------------------------------------------------- fan-out duties


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
        o.role != "support",
        o.state != "cancelled",
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
    where = [o.period_label == period, o.duty_id.in_(duty_ids), o.state != "cancelled"]
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


@dataclass(frozen=True)
class DutyProgress:
    duty_code: str
    title: str
    source: str
    total: int  # owed by owners (lead and requested), cancelled excluded
    submitted: int
    overdue: int


def duty_progress(
    session: Session, plan: PlanInfo, as_of: dt.datetime, period: str
) -> list[DutyProgress]:
    """'x of N submitted' per duty for one period, as ``ledger.rollup_by_duty`` counts it,
    with the dependency subquery evaluated only for rows already past their deadline."""
    o = ObligationRow
    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            func.count(),
            func.sum(case((submitted_by(as_of), 1), else_=0)),
            func.sum(case((status_is(as_of, plan.timezone, Status.OVERDUE), 1), else_=0)),
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .where(
            o.plan_id == plan.id,
            o.period_label == period,
            o.role != "support",
            o.state != "cancelled",
        )
        .group_by(DutyRow.id, DutyRow.code, DutyRow.title, DutyRow.source)
        .order_by(DutyRow.id)
    ).all()
    return [DutyProgress(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in rows]


# ----------------------------------------------------------------------------- review queue


@dataclass(frozen=True)
class PendingReview:
    obligation_id: int
    duty_code: str
    duty_title: str
    source: str
    unit_code: str
    unit_name: str
    period_label: str
    deadline: dt.date
    original_deadline: dt.date
    submission_id: int
    submitted_by: str
    submitted_at: dt.datetime
    note: str
    indicator_values: dict[str, Any]
    evidence_url: str | None
    indicators: list[Any]


def pending_reviews(session: Session, plan: PlanInfo, *, limit: int = 100) -> list[PendingReview]:
    o = ObligationRow
    rows = session.execute(
        select(
            o.id,
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            UnitRow.code,
            UnitRow.name,
            o.period_label,
            o.effective_deadline,
            o.original_deadline,
            SubmissionRow.id,
            SubmissionRow.submitted_by,
            SubmissionRow.submitted_at,
            SubmissionRow.note,
            SubmissionRow.indicator_values,
            SubmissionRow.evidence_url,
            DutyRow.indicators,
        )
        .join(SubmissionRow, SubmissionRow.obligation_id == o.id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .where(o.plan_id == plan.id, o.state == "submitted", SubmissionRow.review == "pending")
        .order_by(SubmissionRow.submitted_at, o.id)
        .limit(limit)
    ).all()
    return [
        PendingReview(
            obligation_id=r[0],
            duty_code=r[1],
            duty_title=r[2],
            source=r[3],
            unit_code=r[4],
            unit_name=r[5],
            period_label=r[6],
            deadline=r[7],
            original_deadline=r[8],
            submission_id=r[9],
            submitted_by=r[10],
            submitted_at=r[11],
            note=r[12],
            indicator_values=dict(r[13] or {}),
            evidence_url=r[14],
            indicators=list(r[15] or []),
        )
        for r in rows
    ]


def pending_count(session: Session, plan: PlanInfo) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ObligationRow)
            .where(ObligationRow.plan_id == plan.id, ObligationRow.state == "submitted")
        )
        or 0
    )


# ----------------------------------------------------------------------------- lists and feeds


def list_obligations(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    period: str | None = None,
    status: str | None = None,
    duty: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ledger.ObligationView]:
    """Like ``ledger.find`` (open first, then by deadline), in two steps: pick the page's ids on
    plain columns, then compute the status of those rows only."""
    o = ObligationRow
    closed = case((o.state.in_(["accepted", "waived", "cancelled"]), 1), else_=0)
    ids = select(o.id.label("id"), closed.label("closed"), o.effective_deadline.label("deadline"))
    if unit:  # by the unit's index (a unit belongs to one plan)
        unit_id = session.scalar(
            select(UnitRow.id).where(UnitRow.plan_id == plan.id, UnitRow.code == unit)
        )
        if unit_id is None:
            return []
        ids = ids.where(o.unit_id == unit_id)
    else:
        ids = ids.where(o.plan_id == plan.id)
    if period:
        ids = ids.where(o.period_label == period)
    if duty:
        duty_id = session.scalar(
            select(DutyRow.id).where(DutyRow.plan_id == plan.id, DutyRow.code == duty)
        )
        if duty_id is None:
            return []
        ids = ids.where(o.duty_id == duty_id)
    if status:
        ids = ids.where(status_is(as_of, plan.timezone, status))
    page = ids.order_by(closed, o.effective_deadline, o.id).limit(limit).offset(offset).subquery()
    day = local_date(as_of, plan.timezone)
    rows = session.execute(
        select(
            *ledger.view_columns(),
            status_expr(as_of, plan.timezone),
            o.submitted_at,
            DutyRow.indicators,
        )
        .join(page, page.c.id == o.id)
        .join(DutyRow, DutyRow.id == o.duty_id)
        .join(UnitRow, UnitRow.id == o.unit_id)
        .order_by(page.c.closed, page.c.deadline, o.id)
    ).all()
    return [ledger.view_from_row(r, day) for r in rows]


def overdue(
    session: Session,
    plan: PlanInfo,
    as_of: dt.datetime,
    *,
    unit: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ledger.ObligationView]:
    return list_obligations(
        session, plan, as_of, unit=unit, status=Status.OVERDUE.value, limit=limit, offset=offset
    )


@dataclass(frozen=True)
class DeadlineGroup:
    duty_code: str
    duty_title: str
    source: str
    period_label: str
    deadline: dt.date
    count: int


def deadline_groups(
    session: Session, plan: PlanInfo, since: dt.date, limit: int = 5000
) -> list[DeadlineGroup]:
    """One line per duty × period × deadline (for coordinators' and viewers' calendars)."""
    o = ObligationRow
    rows = session.execute(
        select(
            DutyRow.code,
            DutyRow.title,
            DutyRow.source,
            o.period_label,
            o.effective_deadline,
            func.count(),
        )
        .join(DutyRow, DutyRow.id == o.duty_id)
        .where(
            o.plan_id == plan.id,
            o.effective_deadline >= since,
            o.role != "support",
            o.state.not_in(["cancelled", "waived"]),
        )
        .group_by(DutyRow.code, DutyRow.title, DutyRow.source, o.period_label, o.effective_deadline)
        .order_by(o.effective_deadline, DutyRow.code)
        .limit(limit)
    ).all()
    return [DeadlineGroup(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]


def today(plan: PlanInfo, as_of: dt.datetime) -> dt.date:
    return local_date(as_of, plan.timezone)


def sorted_statuses(values: Iterable[str]) -> list[str]:
    return sorted(values, key=lambda s: RANK.get(s, 99))


def status_literal(value: str) -> Any:
    return literal(value)


# ----------------------------------------------------------------------------- national roll-up


@dataclass(frozen=True)
class PlanRollup:
    """One plan (a province) on the national page: its owners' obligations past deadline."""

    plan: PlanInfo
    due: int  # deadline passed, owed by an owner (lead or requested); cancelled, waived excluded
    reported: int  # of those: submitted or accepted
    accepted: int
    accepted_on_time: int
    late: int  # of those: still open or returned

    @property
    def rate(self) -> float | None:
        """On-time rate as the matrix counts it: accepted on time / (accepted + late)."""
        judged = self.accepted + self.late
        return self.accepted_on_time / judged if judged else None


def national_rollup(
    session: Session, plans: Sequence[PlanInfo], as_of: dt.datetime
) -> list[PlanRollup]:
    """'x of N reported' and the on-time rate of every plan in one grouped scan per timezone
    (the deadline-passed rows of each plan through the (plan, state, deadline) index)."""
    o = ObligationRow
    found: dict[str, tuple[int, ...]] = {}
    by_tz: dict[str, list[str]] = {}
    for plan in plans:
        by_tz.setdefault(plan.timezone, []).append(plan.id)
    reported = o.state.in_(["submitted", "accepted"])
    for tz, ids in by_tz.items():
        day = local_date(as_of, tz)
        rows = session.execute(
            select(
                o.plan_id,
                func.count(),
                func.sum(case((reported, 1), else_=0)),
                func.sum(case((o.state == "accepted", 1), else_=0)),
                func.sum(case((and_(o.state == "accepted", o.on_time.is_(True)), 1), else_=0)),
                func.sum(case((late_expr(day), 1), else_=0)),
            )
            .where(
                o.plan_id.in_(ids),
                o.state.in_(["open", "returned", "submitted", "accepted"]),
                o.effective_deadline < day,
                o.role != "support",
            )
            .group_by(o.plan_id)
        ).all()
        found.update({r[0]: tuple(int(v or 0) for v in r[1:]) for r in rows})
    out = []
    for plan in plans:
        out.append(PlanRollup(plan, *found.get(plan.id, (0, 0, 0, 0, 0))))
    return out
