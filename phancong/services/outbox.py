"""Queue rendered notices in the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from phancong.adapters.orm import OutboxItemRow, OutboxRow
from phancong.services.notices import Notice, Renderer

MAIL_DOMAIN = "phancong.localhost"

OUTBOX = cast(Table, OutboxRow.__table__)
OUTBOX_ITEMS = cast(Table, OutboxItemRow.__table__)


def message_id(*parts: object) -> str:
    """A deterministic Message-ID: the same logical message always gets the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"<{digest}@{MAIL_DOMAIN}>"


def _row(notice: Notice, renderer: Renderer, key: str, now: dt.datetime) -> dict[str, Any]:
    mail = renderer(notice)
    subject, body_text, body_html = mail.subject, mail.text, mail.html
    return {
        "plan_id": notice.plan_id, "message_id": message_id(notice.plan_id, notice.kind, key),
        "kind": notice.kind.value, "language": notice.language,
        "recipient_unit": notice.recipient_code, "recipients": list(notice.recipients),
        "subject": subject, "body_text": body_text, "body_html": body_html, "payload": None,
        "status": "queued" if notice.recipients else "failed",
        "last_error": None if notice.recipients else "no email address for this unit",
        "attempts": 0, "created_at": now, "next_attempt_at": now, "sent_at": None,
    }


def enqueue_many(session: Session, notices: Sequence[tuple[Notice, str]],
                 renderer: Renderer, *, now: dt.datetime, chunk: int = 500) -> list[int]:
    """Render and queue notices a chunk at a time (memory stays flat); each ``key`` makes a
    unique Message-ID."""
    ids: list[int] = []
    for start in range(0, len(notices), chunk):
        part = notices[start:start + chunk]
        rows = [_row(notice, renderer, key, now) for notice, key in part]
        # one executemany, then the ids by Message-ID (unique): RETURNING in parameter order
        # would cost a statement per row on SQLite
        connection = session.connection()  # Core inserts: no ORM bookkeeping per row
        connection.execute(insert(OUTBOX), rows)
        by_message = dict(session.execute(
            select(OutboxRow.message_id, OutboxRow.id)
            .where(OutboxRow.message_id.in_([r["message_id"] for r in rows]))).tuples().all())
        part_ids = [by_message[r["message_id"]] for r in rows]
        items = [{"outbox_id": outbox_id, "obligation_id": oid}
                 for outbox_id, (notice, _) in zip(part_ids, part, strict=True)
                 for oid in sorted({item.obligation_id for item in notice.items})]
        if items:
            connection.execute(insert(OUTBOX_ITEMS), items)
        ids.extend(part_ids)
    return ids


def enqueue(
    session: Session, notice: Notice, renderer: Renderer, *, key: str, now: dt.datetime
) -> OutboxRow:
    """Render ``notice`` and queue it; ``key`` makes its Message-ID (unique in the outbox)."""
    (outbox_id,) = enqueue_many(session, [(notice, key)], renderer, now=now)
    row = session.get(OutboxRow, outbox_id)
    assert row is not None
    return row
