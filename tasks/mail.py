"""Mail tasks: deliver the outbox, queue the weekly digest, with the process's wiring."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task

from phancong.adapters.db import transaction
from phancong.bootstrap import wired
from phancong.mail.deliver import deliver
from phancong.orchestration.values import plain
from phancong.services import digest
from tasks import IO_RETRIES


@task(name="deliver-outbox")
def deliver_outbox(now: dt.datetime, limit: int = 500) -> dict[str, Any]:
    """Send what is due; a batch stopped by the mail server fails the run, visibly.

    No Prefect retries here: the outbox keeps its own per-message backoff, and the deliver
    deployment runs every few minutes, so the next run (with a later ``now``) retries."""
    wiring = wired()
    settings = wiring.settings
    report = deliver(wiring.sessions, wiring.transport(), now=now, limit=limit,
                     mail_from=settings.mail_from,
                     lease=dt.timedelta(seconds=settings.deliver_lease_seconds))
    if report.error:
        raise RuntimeError(f"delivery stopped: {report.error}")
    result: dict[str, Any] = plain(report)
    return result


@task(name="queue-digest", **IO_RETRIES)
def queue_digest(plan_id: str, as_of: dt.datetime) -> int | None:
    """The week's digest for the Standing Office; ``None`` when this week's is already queued."""
    wiring = wired()
    with transaction(wiring.sessions) as session:
        row = digest.queue_digest(session, plan_id, as_of, renderer=wiring.renderer,
                                  portal_url=wiring.settings.portal_url, now=as_of)
        return int(row.id) if row is not None else None
