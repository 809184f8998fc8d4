"""Every few minutes: send what the outbox holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from phancong.orchestration.artifacts import local_time
from phancong.orchestration.runs import label_run, local_day, name_from_parameters, resolve_as_of
from tasks.mail import deliver_outbox


@flow(name="deliver", flow_run_name=name_from_parameters("deliver"), log_prints=True)
async def deliver_flow(plan: str | None = "all", as_of: dt.datetime | None = None,
                       limit: int = 500) -> dict[str, Any]:
    """Send queued emails due by ``as_of`` (the outbox is shared by every plan: ``plan`` only
    names the run)."""
    instant = resolve_as_of(as_of)
    await label_run("deliver", plan or "all", local_day(instant).isoformat())
    result = deliver_outbox(instant, limit)
    print(f"delivery as of {local_time(instant)} (Asia/Ho_Chi_Minh): {result}")
    return result
