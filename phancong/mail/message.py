"""Build the RFC 5322 message of an outbox row: multipart/alternative, UTF-8, RFC 2047 subject."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses
from typing import Any, Protocol


class Outgoing(Protocol):
    """What a message is built from: an outbox message (:class:`phancong.services.outbox.Mail`)
    or anything shaped like it (a preview)."""

    @property
    def message_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def recipients(self) -> Sequence[str]: ...
    @property
    def subject(self) -> str: ...
    @property
    def body_text(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def created_at(self) -> dt.datetime: ...


UNSTRUCTURED = ("subject",)


class MailPolicy(EmailPolicy):
    """``policy.SMTP`` with 7-bit bodies, and a Subject folded by ``email.header.Header``.

    CPython's folder (3.11) puts the space between two RFC 2047 encoded words outside them,
    where every decoder drops it ("Nhắc hạn: 3" arrives as "Nhắc hạn:3"); ``Header`` keeps the
    spaces inside the encoded words.
    """

    def fold(self, name: str, value: Any) -> str:
        text = str(value)
        if name.lower() in UNSTRUCTURED and not text.isascii():
            encoded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}"
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in UNSTRUCTURED and not str(value).isascii():
            return self.fold(name, value).encode("ascii")
        return bytes(super().fold_binary(name, value))


# RFC 5322 line endings; every header and body line 7-bit (RFC 2047 words, base64/QP parts)
POLICY = MailPolicy(linesep="\r\n", cte_type="7bit")


def envelope_sender(mail_from: str) -> str:
    """The bare address of a From header value ('Name <a@b>' → 'a@b')."""
    found = [addr for _, addr in getaddresses([mail_from]) if addr]
    if not found:
        raise ValueError(f"no address in mail_from {mail_from!r}")
    return found[0]


def build_message(row: Outgoing, *, mail_from: str, date: dt.datetime | None = None,
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
    msg.set_content(row.body_text, subtype="plain", charset="utf-8")
    msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    msg["Content-Language"] = row.language  # after the parts: set_content clears Content-*
    # a boundary of its own, so a retry sends the same bytes ("=_" never occurs in QP/base64)
    msg.set_boundary("=_phancong_" + hashlib.sha256(row.message_id.encode()).hexdigest()[:24])
    return msg
