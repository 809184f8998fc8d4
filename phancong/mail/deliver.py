"""Deliver the outbox: one batch of due messages over one connection, each outcome committed.

The rules that keep mail from being lost or doubled:

- a row is marked ``sent`` only after the server accepted the message, in its own short
  transaction right after; a crash between the two re-sends that one message (at least once);
- the batch first *claims* its rows (pushes ``next_attempt_at`` a lease ahead), so a second
  delivery running at the same time does not pick them; a crash leaves them due again when the
  lease ends;
- a temporary failure (4xx, refused or dropped connection, timeout) keeps the row queued with
  ``attempts + 1`` and an exponential backoff; after ``max_attempts`` the row is ``failed``;
- a permanent refusal (5xx) marks that row ``failed`` with the server's reply and the batch
  goes on; a lost connection ends the batch and the rows not yet tried are released untouched.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from phancong.adapters.db import transaction
from phancong.mail.message import build_message, envelope_sender
from phancong.mail.render import render_notice
from phancong.mail.transport import (
    FileTransport,
    MockTransport,
    SendError,
    SmtpConfig,
    SmtpTransport,
    Transport,
    transport_from_settings,
)
from phancong.services import delivery

__all__ = [
    "DeliveryReport",
    "FileTransport",
    "MockTransport",
    "SendError",
    "SmtpConfig",
    "SmtpTransport",
    "Transport",
    "backoff",
    "deliver",
    "transport_from_settings",
]

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 500
LEASE = dt.timedelta(minutes=15)
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4 … minutes, at most 1 h."""
    return min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 20)), BACKOFF_CAP)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)  # temporary failure, still queued
    failed: list[int] = field(default_factory=list)  # permanent refusal or attempts exhausted
    released: list[int] = field(default_factory=list)  # not tried: the batch stopped first
    error: str | None = None  # why the batch stopped early, if it did

    def summary(self) -> str:
        text = (f"{len(self.sent)} sent, {len(self.retrying)} to retry, {len(self.failed)} failed,"
                f" {len(self.released)} not tried (of {self.claimed} due)")
        return f"{text}; stopped: {self.error}" if self.error else text


@dataclass
class _Pending:
    id: int
    attempts: int
    recipients: list[str]
    message: EmailMessage | None
    problem: str | None = None


def _claim(factory: sessionmaker[Session], now: dt.datetime, limit: int, lease: dt.timedelta,
           mail_from: str) -> tuple[list[_Pending], dict[int, dt.datetime]]:
    with transaction(factory) as session:
        claimed = delivery.claim_due(session, now=now, limit=limit, lease=lease,
                                     renderer=render_notice)
    pending = []
    for c in claimed:
        if c.mail is None:
            pending.append(_Pending(c.id, c.attempts, c.recipients, None, c.problem))
            continue
        try:
            message: EmailMessage | None = build_message(c.mail, mail_from=mail_from)
            problem = None if c.recipients else "no recipients"
        except (ValueError, TypeError, IndexError, MessageError) as exc:  # a bad address
            message, problem = None, f"cannot build the message: {exc}"
        pending.append(_Pending(c.id, c.attempts, c.recipients, message, problem))
    return pending, {c.id: c.due_at for c in claimed}


def _refusals(refused: dict[str, tuple[int, str]]) -> str:
    return "; ".join(f"{addr}: {reply}" for addr, (_, reply) in sorted(refused.items()))


def deliver(factory: sessionmaker[Session], transport: Transport, *, now: dt.datetime,
            mail_from: str, limit: int | None = 500, max_attempts: int = 8,
            lease: dt.timedelta = LEASE) -> DeliveryReport:
    """Send the queued messages due at ``now`` (at most ``limit``) over one connection.

    ``lease``: how long the rows of this batch are held back from another delivery (and, after
    a crash, from the next one). ``mail_from``: the sender the settings name
    (``PHANCONG_MAIL_FROM``).
    """
    limit = limit or DEFAULT_LIMIT
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    sender = envelope_sender(mail_from)
    report = DeliveryReport()
    pending, originals = _claim(factory, now, limit, lease, mail_from)
    report.claimed = len(pending)
    if not pending:
        return report
    started = time.monotonic()

    def clock() -> dt.datetime:
        return now + dt.timedelta(seconds=time.monotonic() - started)

    def temporary(p: _Pending, reply: str, recipients: Sequence[str] | None = None) -> None:
        attempts = p.attempts + 1
        with transaction(factory) as session:
            if attempts >= max_attempts:
                delivery.record_failed(
                    session, p.id, attempts=attempts, recipients=recipients,
                    error=f"{reply} (gave up after {attempts} attempts)")
                report.failed.append(p.id)
            else:
                delivery.record_retry(session, p.id, at=clock() + backoff(attempts),
                                      attempts=attempts, error=reply, recipients=recipients)
                report.retrying.append(p.id)

    def failed(p: _Pending, reply: str) -> None:
        with transaction(factory) as session:
            delivery.record_failed(session, p.id, attempts=p.attempts + 1, error=reply)
        report.failed.append(p.id)

    try:
        transport.open()
    except SendError as exc:
        log.warning("mail delivery: cannot open %r: %s", transport, exc.reply)
        report.error = exc.reply
        for p in pending:
            temporary(p, exc.reply)
        return report

    try:
        for index, p in enumerate(pending):
            if p.message is None or p.problem:
                failed(p, p.problem or "cannot build the message")
                continue
            try:
                refused = dict(transport.send(p.message, sender, p.recipients))
            except SendError as exc:
                if exc.permanent:
                    failed(p, exc.reply)
                else:
                    temporary(p, exc.reply)
                if exc.connection_lost:
                    report.error = exc.reply
                    rest = pending[index + 1:]
                    if rest:
                        with transaction(factory) as session:
                            delivery.release(session, {q.id: originals[q.id] for q in rest})
                        report.released.extend(q.id for q in rest)
                    break
                continue
            accepted = [r for r in p.recipients if r not in refused]
            retry = {a: r for a, r in refused.items() if not 500 <= r[0] < 600}
            if accepted and not retry:
                with transaction(factory) as session:
                    delivery.record_sent(
                        session, p.id, at=clock(), attempts=p.attempts + 1,
                        note=f"refused: {_refusals(refused)}" if refused else None)
                report.sent.append(p.id)
            elif retry:  # try again later, only for the recipients that may still accept
                note = _refusals(refused)
                if accepted:
                    note = f"delivered to {', '.join(accepted)}; {note}"
                temporary(p, note, recipients=sorted(retry))
            else:
                failed(p, _refusals(refused))
    finally:
        transport.close()
    log.info("mail delivery: %s", report.summary())
    return report
