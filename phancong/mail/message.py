"""Build the RFC 5322 message of an outbox row: multipart/alternative, UTF-8, RFC 2047 subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from phancong.adapters.orm import OutboxRow

# RFC 5322 line endings; headers with non-ASCII text are RFC 2047 encoded (utf8=False)
POLICY = policy.SMTP.clone(cte_type="7bit")


def envelope_sender(mail_from: str) -> str:
    """The bare address of a From header value ('Name <a@b>' → 'a@b')."""
    found = [addr for _, addr in getaddresses([mail_from]) if addr]
    if not found:
        raise ValueError(f"no address in mail_from {mail_from!r}")
    return found[0]


def build_message(row: OutboxRow, *, mail_from: str, date: dt.datetime | None = None,
                  recipients: Sequence[str] | None = None) -> EmailMessage:
    """The message of ``row`` exactly as it goes out (same bytes on every attempt).

    ``Date`` is when the row was queued (the message was complete then), unless ``date`` is given.
    """
    msg = EmailMessage(policy=POLICY)
    msg["From"] = mail_from
    msg["To"] = ", ".join(str(Address(addr_spec=a)) for a in (recipients or row.recipients))
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime((date or row.created_at).astimezone(dt.UTC))
    msg["Message-ID"] = row.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Phancong-Kind"] = row.kind
    msg["Content-Language"] = row.language
    msg.set_content(row.body_text, subtype="plain", charset="utf-8")
    msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    return msg
