"""Queue rendered notices in the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from phancong.adapters.orm import OutboxItemRow, OutboxRow
from phancong.services.notices import Notice, Renderer

MAIL_DOMAIN = "phancong.localhost"


def message_id(*parts: object) -> str:
    """A deterministic Message-ID: the same logical message always gets the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"<{digest}@{MAIL_DOMAIN}>"


def _row(notice: Notice, renderer: Renderer, key: str, now: dt.datetime) -> dict[str, Any]:
    mail = renderer(notice)
    return {
        "plan_id": notice.plan_id,
        "message_id": message_id(notice.plan_id, notice.kind, key),
        "kind": notice.kind.value,
        "language": notice.language,
        "recipient_unit": notice.recipient_code,
        "recipients": list(notice.recipients),
        "subject": mail.subject,
        "body_text": mail.text,
        "body_html": mail.html,
        "status": "queued" if notice.recipients else "failed",
        "last_error": None if notice.recipients else "no email address for this unit",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "sent_at": None,
    }


def enqueue_many(
    session: Session, notices: Sequence[tuple[Notice, str]], renderer: Renderer, *, now: dt.datetime
) -> list[int]:
    """Render and queue notices in two statements; each ``key`` makes a unique Message-ID."""
    if not notices:
        return []
    rows = [_row(notice, renderer, key, now) for notice, key in notices]
    result = session.execute(
        insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True), rows
    )
    ids = [r[0] for r in result.all()]
    items = [
        {"outbox_id": outbox_id, "obligation_id": oid}
        for outbox_id, (notice, _) in zip(ids, notices, strict=True)
        for oid in sorted({item.obligation_id for item in notice.items})
    ]
    for start in range(0, len(items), 10_000):
        session.execute(insert(OutboxItemRow), items[start : start + 10_000])
    return ids


def enqueue(
    session: Session, notice: Notice, renderer: Renderer, *, key: str, now: dt.datetime
) -> OutboxRow:
    """Render ``notice`` and queue it; ``key`` makes its Message-ID (unique in the outbox)."""
    (outbox_id,) = enqueue_many(session, [(notice, key)], renderer, now=now)
    row = session.get(OutboxRow, outbox_id)
    assert row is not None
    return row
