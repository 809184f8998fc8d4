"""Queue rendered notices in the outbox, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from phancong.adapters.orm import OutboxItemRow, OutboxRow
from phancong.services.notices import Notice, Renderer

MAIL_DOMAIN = "phancong.localhost"

OUTBOX = cast(Table, OutboxRow.__table__)
OUTBOX_ITEMS = cast(Table, OutboxItemRow.__table__)


@dataclass(frozen=True)
class Mail:
    """One outbox message as the email channel sends it: addressed, rendered, dated."""

    id: int
    message_id: str
    kind: str
    language: str
    recipients: list[str]
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime  # when it was queued (the message's Date)

    @classmethod
    def of(cls, row: OutboxRow) -> Mail:
        return cls(
            id=row.id, message_id=row.message_id, kind=row.kind, language=row.language,
            recipients=[str(r) for r in row.recipients], subject=row.subject,
            body_text=row.body_text, body_html=row.body_html, created_at=row.created_at,
        )


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


def is_queued(session: Session, message_id: str) -> bool:
    """Whether a message with this Message-ID is in the outbox already (in whatever state)."""
    return session.scalars(
        select(OutboxRow.id).where(OutboxRow.message_id == message_id)
    ).first() is not None


def queue_mail(
    session: Session, *, plan_id: str, message_id: str, kind: str, language: str,
    recipients: Sequence[str], subject: str, body_text: str, body_html: str, now: dt.datetime,
) -> Mail:
    """Queue one message rendered by the caller, due at once, about no obligation."""
    row = OutboxRow(
        plan_id=plan_id, message_id=message_id, kind=kind, language=language,
        recipient_unit=None, recipients=list(recipients), subject=subject, body_text=body_text,
        body_html=body_html, payload=None, status="queued", attempts=0, last_error=None,
        created_at=now, next_attempt_at=now, sent_at=None,
    )
    session.add(row)
    session.flush()
    return Mail.of(row)


@dataclass(frozen=True)
class OutboxEntry:
    """One message as the outbox listing shows it."""

    id: int
    status: str
    kind: str
    attempts: int
    recipients: list[str]
    subject: str  # empty for a sweep email not rendered yet (it is written when sent)
    last_error: str | None
    obligations: int  # how many obligations an unrendered sweep email cites (else 0)


def latest(session: Session, *, status: str | None = None, limit: int = 50) -> list[OutboxEntry]:
    """The newest ``limit`` messages (only those in ``status`` when given), newest first."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxRow.status == status)
    rows = list(session.scalars(query))
    pending = [r.id for r in rows if not r.subject]
    counts = dict(session.execute(
        select(OutboxItemRow.outbox_id, func.count())
        .where(OutboxItemRow.outbox_id.in_(pending))
        .group_by(OutboxItemRow.outbox_id)).tuples().all()) if pending else {}
    return [
        OutboxEntry(id=r.id, status=r.status, kind=r.kind, attempts=r.attempts,
                    recipients=[str(a) for a in r.recipients], subject=r.subject,
                    last_error=r.last_error, obligations=counts.get(r.id, 0))
        for r in rows
    ]


def requeue_failed(session: Session, ids: Sequence[int] | None, *, now: dt.datetime) -> int:
    """Queue failed messages again (those of ``ids``, or every one), due at ``now`` with their
    attempts reset; how many were."""
    query = update(OutboxRow).where(OutboxRow.status == "failed")
    if ids:
        query = query.where(OutboxRow.id.in_(list(ids)))
    result = session.execute(query.values(status="queued", attempts=0, next_attempt_at=now))
    return int(getattr(result, "rowcount", 0))
