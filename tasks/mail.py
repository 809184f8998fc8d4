"""Mail tasks: deliver the outbox, queue the weekly digest (``phancong.mail``, imported lazily)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task

from phancong.adapters.db import transaction
from phancong.orchestration import wiring
from phancong.orchestration.db import sessions
from phancong.orchestration.values import plain
from phancong.settings import get_settings
from tasks import IO_RETRIES


@task(name="deliver-outbox")
def deliver_outbox(now: dt.datetime, limit: int = 500) -> dict[str, Any]:
    """Send what is due; a batch stopped by the mail server fails the run, visibly.

    No Prefect retries here: the outbox keeps its own per-message backoff, and the deliver
    deployment runs every few minutes, so the next run (with a later ``now``) retries."""
    settings = get_settings()
    report = wiring.deliverer()(sessions(), wiring.transport(settings), now=now, limit=limit,
                                lease=dt.timedelta(seconds=settings.deliver_lease_seconds))
    if getattr(report, "error", None):
        raise RuntimeError(f"delivery stopped: {report.error}")
    result: dict[str, Any] = plain(report)
    return result


@task(name="queue-digest", **IO_RETRIES)
def queue_digest(plan_id: str, as_of: dt.datetime) -> int | None:
    """The week's digest for the Standing Office; ``None`` when this week's is already queued."""
    with transaction(sessions()) as session:
        row = wiring.digest_queuer()(session, plan_id, as_of, renderer=wiring.renderer(),
                                     portal_url=get_settings().portal_url, now=as_of)
        return int(row.id) if row is not None else None
