"""Mondays: the weekly summary for the Standing Office, queued in the outbox."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from phancong.orchestration.runs import label_run, local_day, name_from_parameters, resolve_as_of
from tasks.artifacts import publish_summary
from tasks.mail import queue_digest
from tasks.plans import resolve_plan


@flow(name="digest", flow_run_name=name_from_parameters("digest"), log_prints=True)
async def digest_flow(plan: str | None = None, as_of: dt.datetime | None = None) -> int | None:
    instant = resolve_as_of(as_of)
    ref = resolve_plan(plan)
    await label_run("digest", ref.id, local_day(instant).isoformat())
    queued = queue_digest(ref.id, instant)
    publish_summary(ref.id, instant)
    print(f"{ref.id}: weekly digest {'queued' if queued else 'already queued'}")
    return queued
