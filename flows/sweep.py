"""Daily sweep: take every due escalation step once, queue the emails, publish what is late."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from phancong.orchestration.artifacts import local_time
from phancong.orchestration.runs import label_run, local_day, name_from_parameters, resolve_as_of
from phancong.orchestration.values import SweepSummary
from tasks.artifacts import announce_sweep, publish_overdue, publish_summary
from tasks.ledger import sweep_ledger
from tasks.plans import resolve_plan


@flow(name="sweep", flow_run_name=name_from_parameters("sweep"), log_prints=True)
async def sweep_flow(plan: str | None = None, as_of: dt.datetime | None = None) -> SweepSummary:
    """Reminders, overdue notices and escalations due as of ``as_of``, each recorded once, with
    their emails queued in the same transaction; then the overdue table, the summary and a
    ``phancong.sweep.completed`` event."""
    instant = resolve_as_of(as_of)
    ref = resolve_plan(plan)
    await label_run("sweep", ref.id, local_day(instant).isoformat())
    summary = sweep_ledger(ref.id, instant)
    overdue = publish_overdue(ref.id, instant)
    publish_summary(ref.id, instant, summary)
    announce_sweep(summary, overdue)
    print(f"{ref.id} as of {local_time(instant)} (Asia/Ho_Chi_Minh): steps {summary.steps}, "
          f"{summary.emails} emails queued, {overdue} overdue")
    return summary
