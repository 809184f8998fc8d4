"""Ledger tasks: materialise a plan ahead, sweep it."""

from __future__ import annotations

import datetime as dt

from prefect import task

from phancong.adapters.db import transaction
from phancong.adapters.loader import directory, load
from phancong.bootstrap import wired
from phancong.orchestration.artifacts import (
    artifact_language,
    local_time,
    progress_key,
    progress_reporter,
)
from phancong.orchestration.plans import materialize_through
from phancong.orchestration.runs import local_day
from phancong.orchestration.values import MaterializeSummary, SweepSummary
from phancong.services.health import record_sweep
from phancong.services.materialize import materialize, refresh_statistics
from phancong.services.sweep import sweep
from tasks import IO_RETRIES


@task(name="materialize", **IO_RETRIES)
def materialize_plan(path: str, through: dt.date | None, now: dt.datetime) -> MaterializeSummary:
    """``through`` None: as far ahead as the plan is kept (:func:`materialize_through`)."""
    plan = load(path)
    if through is None:
        months = wired().settings.materialize_horizon_months
        through = materialize_through(plan, local_day(now), months)
    progress = progress_reporter(progress_key(plan.id, "materialize"),
                                 f"Cập nhật sổ nghĩa vụ đến {through:%d/%m/%Y}")
    factory = wired().sessions
    with transaction(factory) as session:
        report = materialize(session, plan, directory(plan), through=through, now=now,
                             source=path, progress=progress)
    refresh_statistics(factory, report)  # a sweep may follow at once
    return MaterializeSummary.of(report, through)


@task(name="sweep", **IO_RETRIES)
def sweep_ledger(plan_id: str, as_of: dt.datetime) -> SweepSummary:
    """Every due reminder, overdue notice and escalation, and their emails: one transaction."""
    with wired().sessions() as session:
        lang = artifact_language(session, plan_id)
    what = "Sweep of" if lang == "en" else "Rà soát nhắc việc"
    progress = progress_reporter(progress_key(plan_id, "sweep"),
                                 f"{what} {local_time(as_of)}", lang)
    with transaction(wired().sessions) as session:
        # emails are queued as notices and rendered by the deliver flow
        report = sweep(session, plan_id, as_of, portal_url=wired().settings.portal_url,
                       progress=progress)
        # in the same transaction: `phancong status` reads when the last sweep succeeded
        record_sweep(session, plan_id, as_of=as_of, ran_at=dt.datetime.now(dt.UTC),
                     sweep_key=report.sweep_key, steps=report.steps, emails=report.emails)
    return SweepSummary.of(report)
