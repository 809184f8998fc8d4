"""Plain values tasks hand each other (never sessions or ORM rows)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from phancong.services.materialize import MaterializeReport
from phancong.services.sweep import SweepReport


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class SweepSummary(Value):
    plan_id: str
    as_of: dt.datetime
    sweep_key: str
    steps: dict[str, int]
    emails: int
    recipients_without_address: list[str]

    @property
    def total_steps(self) -> int:
        return sum(self.steps.values())

    @classmethod
    def of(cls, report: SweepReport) -> SweepSummary:
        return cls(plan_id=report.plan_id, as_of=report.as_of, sweep_key=report.sweep_key,
                   steps=dict(report.steps), emails=report.emails,
                   recipients_without_address=list(report.recipients_without_address))


class MaterializeSummary(Value):
    plan_id: str
    version: int
    through: dt.date
    new_version: bool
    obligations_created: int
    obligations_cancelled: int
    obligations_rescheduled: int
    dependencies_added: int
    duties_added: list[str]
    duties_changed: list[str]
    duties_removed: list[str]

    @classmethod
    def of(cls, report: MaterializeReport, through: dt.date) -> MaterializeSummary:
        return cls(plan_id=report.plan_id, version=report.version, through=through,
                   new_version=report.new_version,
                   obligations_created=report.obligations_created,
                   obligations_cancelled=report.obligations_cancelled,
                   obligations_rescheduled=report.obligations_rescheduled,
                   dependencies_added=report.dependencies_added,
                   duties_added=list(report.duties_added),
                   duties_changed=list(report.duties_changed),
                   duties_removed=list(report.duties_removed))


def plain(value: Any) -> Any:
    """Whatever a collaborator returned, as JSON-able plain data for a task result."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "id") and isinstance(value.id, int):  # an ORM row: its id only
        return {"id": value.id}
    return str(value)
