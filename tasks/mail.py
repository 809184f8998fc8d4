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


@task(name="deliver-outbox", **IO_RETRIES)
def deliver_outbox(now: dt.datetime, limit: int | None = None) -> Any:
    settings = get_settings()
    deliver = wiring.deliverer()
    return plain(deliver(sessions(), wiring.transport(settings), now=now, limit=limit))


@task(name="queue-digest", **IO_RETRIES)
def queue_digest(plan_id: str, as_of: dt.datetime) -> Any:
    settings = get_settings()
    queue = wiring.digest_queuer()
    with transaction(sessions()) as session:
        return plain(queue(session, plan_id, as_of, renderer=wiring.renderer(),
                           portal_url=settings.portal_url, now=as_of))
