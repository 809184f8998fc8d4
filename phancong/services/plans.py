"""The plans the ledger holds: which, what they are called, where they were loaded from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from phancong.adapters.orm import PlanRow, PlanVersionRow, UnitRow


@dataclass(frozen=True)
class PlanHeading:
    id: str
    title: str
    timezone: str


def plan_ids(session: Session) -> list[str]:
    """The ids of the plans in the ledger, sorted."""
    return list(session.scalars(select(PlanRow.id).order_by(PlanRow.id)))


def plan_heading(session: Session, plan_id: str) -> PlanHeading | None:
    """A plan's title and time zone; ``None`` if the ledger has no such plan."""
    plan = session.get(PlanRow, plan_id)
    return None if plan is None else PlanHeading(plan.id, plan.title, plan.timezone)


def plan_source(session: Session, plan_id: str) -> str | None:
    """The file the plan's current version was loaded from, if one was recorded."""
    return session.scalar(
        select(PlanVersionRow.source_path).where(PlanVersionRow.plan_id == plan_id)
        .order_by(PlanVersionRow.version.desc()).limit(1)) or None


def standing_office_language(session: Session, plan_id: str) -> str | None:
    """The language the plan's Standing Office reads (``None``: no such plan or unit)."""
    return session.scalar(
        select(UnitRow.language)
        .join(PlanRow, (PlanRow.id == UnitRow.plan_id) & (PlanRow.standing_office == UnitRow.code))
        .where(PlanRow.id == plan_id))
