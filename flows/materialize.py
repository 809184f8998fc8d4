"""Nightly: keep the ledger materialised through the end of the next quarter; a plan without
an end (until revoked) a rolling horizon ahead, moved forward each night."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from phancong.orchestration.runs import label_run, local_day, name_from_parameters, resolve_as_of
from phancong.orchestration.values import MaterializeSummary
from tasks.ledger import materialize_plan
from tasks.plans import plan_source, resolve_plan


@flow(name="materialize", flow_run_name=name_from_parameters("materialize"), log_prints=True)
async def materialize_flow(plan: str | None = None, as_of: dt.datetime | None = None,
                           through: dt.date | None = None) -> MaterializeSummary:
    """Load the plan file and bring the ledger in line with it for every period starting on or
    before ``through`` (default: the end of the quarter after ``as_of``'s; for a plan without
    an end, ``as_of``'s day plus ``PHANCONG_MATERIALIZE_HORIZON_MONTHS``)."""
    instant = resolve_as_of(as_of)
    ref = resolve_plan(plan)
    await label_run("materialize", ref.id, local_day(instant).isoformat())
    path = ref.path or plan_source(ref.id)
    if path is None:
        raise ValueError(f"plan {ref.id!r} has no known file; pass the plan file path")
    summary = materialize_plan(path, through, instant)
    print(f"{ref.id} v{summary.version} through {summary.through}: "
          f"{summary.obligations_created} obligations created, "
          f"{summary.obligations_cancelled} cancelled")
    return summary
