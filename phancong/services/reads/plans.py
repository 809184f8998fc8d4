"""Plans, their periods and units as the portal lists them (the read model's lookups)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import ObligationRow, PlanRow, UnitRow
from phancong.domain.access import Principal, plan_in_scope
from phancong.domain.horizon import period_words
from phancong.domain.status import local_date
from phancong.services.errors import NotFound


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


def plan_row(session: Session, plan_id: str) -> PlanRow:
    plan = session.get(PlanRow, plan_id)
    if plan is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return plan


def plan_info(session: Session, plan_id: str) -> PlanInfo:
    row = session.execute(select(*PLAN_INFO).where(PlanRow.id == plan_id)).first()
    if row is None:
        raise NotFound(f"Không có kế hoạch '{plan_id}'", f"No plan '{plan_id}'")
    return PlanInfo(*row)


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


# a one-off deadline (ONCE-<day>), an event-triggered report (EV-<event day>-<n>) or an ad hoc
# request (DX-<request day>-<n>): each covers its own day; or a year, quarter, half or month
_PERIOD = re.compile(
    r"^(?:(?:ONCE|EV|DX)-(\d{4})-(\d{2})-(\d{2})(?:-\d+)?|(\d{4})(?:-(Q|H)?(\d{1,2}))?)$"
)


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
    """First and last day a period label covers (a one-off deadline, an event and an ad hoc
    request cover their own day)."""
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


def today(plan: PlanInfo, as_of: dt.datetime) -> dt.date:
    return local_date(as_of, plan.timezone)


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


def unit_name(session: Session, plan_id: str, code: str) -> str | None:
    return session.scalar(
        select(UnitRow.name).where(UnitRow.plan_id == plan_id, UnitRow.code == code)
    )


def unit_name_of_obligation(session: Session, obligation_id: int) -> str | None:
    return session.scalar(
        select(UnitRow.name)
        .join(ObligationRow, ObligationRow.unit_id == UnitRow.id)
        .where(ObligationRow.id == obligation_id)
    )
