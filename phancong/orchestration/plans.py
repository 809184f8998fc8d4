"""Which plan a flow is about: a plan file path or a plan id, resolved to both when possible."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from phancong.domain.horizon import horizon_through
from phancong.domain.plan import Plan
from phancong.settings import DEFAULT_PLAN


class PlanRef(BaseModel):
    """A plan as tasks pass it around: its id and, when known, the file it was declared in."""

    model_config = ConfigDict(frozen=True)

    id: str
    path: str | None = None


def looks_like_path(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or "/" in value or "\\" in value


@lru_cache(maxsize=64)
def _id_in_file(path: str, mtime: float) -> str:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    try:
        return str(data["plan"]["id"])
    except (TypeError, KeyError):
        raise ValueError(f"{path}: not a plan file (no plan.id)") from None


def resolve(plan: str | None) -> PlanRef:
    """``None`` is the Hà Nội plan; a ``*.yaml`` path is read for its id; anything else is an id."""
    value = str(DEFAULT_PLAN) if plan is None else plan.strip()
    if looks_like_path(value):
        path = Path(value).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"plan file not found: {value}")
        return PlanRef(id=_id_in_file(str(path), path.stat().st_mtime), path=str(path))
    return PlanRef(id=value)


def end_of_next_quarter(day: dt.date) -> dt.date:
    """The last day of the quarter after ``day``'s: how far ahead the ledger is materialised."""
    quarter = (day.month - 1) // 3 + 1
    year, next_quarter = (day.year + 1, 1) if quarter == 4 else (day.year, quarter + 1)
    last_month = next_quarter * 3
    following = dt.date(year + 1, 1, 1) if last_month == 12 else dt.date(year, last_month + 1, 1)
    return following - dt.timedelta(days=1)


def materialize_through(plan: Plan, today: dt.date, horizon_months: int) -> dt.date:
    """How far ahead a plan is materialised on ``today``: through the end of the next quarter;
    a plan without an end (until revoked), every period starting before ``today`` plus the
    horizon (``PHANCONG_MATERIALIZE_HORIZON_MONTHS``), which the nightly run moves forward."""
    if plan.plan.period.open_ended:
        return horizon_through(today, horizon_months)
    return end_of_next_quarter(today)
