"""Queue rendered notices in the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import insert
from sqlalchemy.orm import Session

from phancong.adapters.orm import OutboxItemRow, OutboxRow
from phancong.services.notices import Notice, Renderer

MAIL_DOMAIN = "phancong.localhost"


def message_id(*parts: object) -> str:
    """A deterministic Message-ID: the same logical message always gets the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"<{digest}@{MAIL_DOMAIN}>"


def enqueue(session: Session, notice: Notice, renderer: Renderer, *, key: str,
            now: dt.datetime) -> OutboxRow:
    """Render ``notice`` and queue it; ``key`` makes its Message-ID (unique in the outbox)."""
    mail = renderer(notice)
    row = OutboxRow(
        plan_id=notice.plan_id, message_id=message_id(notice.plan_id, notice.kind, key),
        kind=notice.kind.value, language=notice.language, recipient_unit=notice.recipient_code,
        recipients=list(notice.recipients), subject=mail.subject, body_text=mail.text,
        body_html=mail.html, status="queued" if notice.recipients else "failed",
        last_error=None if notice.recipients else "no email address for this unit",
        attempts=0, created_at=now, next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    ids = sorted({item.obligation_id for item in notice.items})
    if ids:
        session.execute(insert(OutboxItemRow), [{"outbox_id": row.id, "obligation_id": i} for i in ids])
    return row
