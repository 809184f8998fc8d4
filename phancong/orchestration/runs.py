"""How flow runs are named and tagged, and the one place ``as_of`` defaults to now."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from phancong.domain.zone import DEFAULT_TZ

TZ = DEFAULT_TZ


def resolve_as_of(as_of: dt.datetime | None) -> dt.datetime:
    """The instant a flow run is about: the parameter, or now in Asia/Ho_Chi_Minh (read once)."""
    if as_of is None:
        return dt.datetime.now(ZoneInfo(TZ))
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=ZoneInfo(TZ))
    return as_of


def local_day(as_of: dt.datetime) -> dt.date:
    return as_of.astimezone(ZoneInfo(TZ)).date()


def run_name(flow: str, plan_id: str, period: str) -> str:
    return f"{flow} · {plan_id} · {period}"


def run_tags(flow: str, plan_id: str, period: str) -> list[str]:
    return [f"plan:{plan_id}", f"period:{period}", f"flow:{flow}"]


def _as_of_parameter(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def name_from_parameters(flow: str) -> Any:
    """A ``flow_run_name`` callable: the name before the run starts, from its parameters."""

    def name() -> str:
        from prefect.runtime import flow_run

        from phancong.orchestration.plans import resolve

        parameters = flow_run.parameters
        try:
            plan_id = resolve(parameters.get("plan")).id
        except (OSError, ValueError):
            plan_id = str(parameters.get("plan"))
        period = parameters.get("period") or local_day(
            resolve_as_of(_as_of_parameter(parameters.get("as_of")))).isoformat()
        return run_name(flow, plan_id, str(period))

    return name


async def label_run(flow: str, plan_id: str, period: str) -> None:
    """Rename and tag the current flow run once its plan and period are resolved."""
    from prefect import get_client
    from prefect.runtime import flow_run

    run_id = flow_run.id
    if run_id is None:
        return
    async with get_client() as client:
        current = await client.read_flow_run(run_id)
        tags = list(dict.fromkeys([*current.tags, *run_tags(flow, plan_id, period)]))
        await client.update_flow_run(run_id, name=run_name(flow, plan_id, period), tags=tags)
