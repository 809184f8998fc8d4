"""Resolve the plan a flow run is about."""

from __future__ import annotations

from prefect import task

from phancong.bootstrap import wired
from phancong.orchestration import plans
from phancong.services.plans import plan_source as recorded_source
from tasks import IO_RETRIES


@task(name="resolve-plan")
def resolve_plan(plan: str | None) -> plans.PlanRef:
    return plans.resolve(plan)


@task(name="plan-source", **IO_RETRIES)
def plan_source(plan_id: str) -> str | None:
    """The file the ledger's current version of a plan was loaded from, if recorded."""
    with wired().sessions() as session:
        return recorded_source(session, plan_id)
