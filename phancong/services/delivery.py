"""The outbox as a delivery sees it: claim the messages that are due, then record each outcome.

The delivery loop itself (one connection, backoff, what counts as temporary) is the email
channel's, :func:`phancong.mail.deliver.deliver`; it calls these, each in a transaction of its
own, and never touches the outbox table directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from phancong.adapters.orm import OutboxRow
from phancong.services.notices import Renderer
from phancong.services.outbox import Mail
from phancong.services.sweep_notices import render_pending

ERROR_LIMIT = 2000  # characters of a server's reply kept with a message


@dataclass(frozen=True)
class Claimed:
    """A due message, held back from any other delivery until the lease ends."""

    id: int
    attempts: int
    recipients: list[str]
    due_at: dt.datetime  # when it was due before the claim: a release puts it back there
    mail: Mail | None  # None when it could not be rendered (``problem`` says why)
    problem: str | None = None


def claim_due(session: Session, *, now: dt.datetime, limit: int, lease: dt.timedelta,
              renderer: Renderer) -> list[Claimed]:
    """Claim at most ``limit`` queued messages due at ``now``, oldest due first, skipping those
    another delivery holds; each is held until ``now + lease``. A sweep's email is rendered
    here (it is queued as references to the ledger)."""
    rows = list(session.scalars(
        select(OutboxRow)
        .where(OutboxRow.status == "queued", OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if not rows:
        return []
    claimed = []
    for row in rows:
        recipients = [str(r) for r in row.recipients]
        try:
            render_pending(session, row, renderer)
        except Exception as exc:
            claimed.append(Claimed(row.id, row.attempts, recipients, row.next_attempt_at, None,
                                   f"cannot render the message: {exc}"))
            continue
        claimed.append(Claimed(row.id, row.attempts, recipients, row.next_attempt_at,
                               Mail.of(row)))
    session.execute(
        update(OutboxRow).where(OutboxRow.id.in_([c.id for c in claimed]))
        .values(next_attempt_at=now + lease).execution_options(synchronize_session=False)
    )
    return claimed


def _settle(session: Session, outbox_id: int, **values: Any) -> bool:
    """Record one outcome (only while the message is still queued)."""
    result = session.execute(
        update(OutboxRow).where(OutboxRow.id == outbox_id, OutboxRow.status == "queued")
        .values(**values).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 1))


def record_sent(session: Session, outbox_id: int, *, at: dt.datetime, attempts: int,
                note: str | None = None) -> bool:
    """The server accepted the message (``note``: the recipients it refused, if any)."""
    return _settle(session, outbox_id, status="sent", sent_at=at, attempts=attempts,
                   last_error=note)


def record_failed(session: Session, outbox_id: int, *, attempts: int, error: str,
                  recipients: Sequence[str] | None = None) -> bool:
    """The message will not be tried again (refused for good, or attempts used up)."""
    values: dict[str, Any] = {"status": "failed", "attempts": attempts,
                              "last_error": error[:ERROR_LIMIT]}
    if recipients is not None:
        values["recipients"] = list(recipients)
    return _settle(session, outbox_id, **values)


def record_retry(session: Session, outbox_id: int, *, at: dt.datetime, attempts: int,
                 error: str, recipients: Sequence[str] | None = None) -> bool:
    """A temporary failure: try again at ``at``, only for ``recipients`` when given."""
    values: dict[str, Any] = {"next_attempt_at": at, "attempts": attempts,
                              "last_error": error[:ERROR_LIMIT]}
    if recipients is not None:
        values["recipients"] = list(recipients)
    return _settle(session, outbox_id, **values)


def release(session: Session, due_at: Mapping[int, dt.datetime]) -> None:
    """Give claimed messages that were not tried back, due when they were before the claim."""
    if due_at:
        session.execute(update(OutboxRow), [
            {"id": outbox_id, "next_attempt_at": at} for outbox_id, at in due_at.items()
        ])
