"""Where messages go: a small interface and its implementations (cf. httpx's transports).

A :class:`Transport` is opened once per delivery batch, sends messages one by one and is
closed. ``send`` returns the recipients the server refused (empty: all accepted) or raises
:class:`SendError` saying whether the failure is permanent and whether the connection is lost.

- :class:`SmtpTransport` speaks SMTP (plain, STARTTLS or implicit TLS, optional login), over
  one connection per batch; it is configured from settings or a prefect-email block.
- :class:`FileTransport` writes each message as an ``.eml`` file (mail capture, simulator).
- :class:`MockTransport` calls a function: the fake for tests.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from pydantic import SecretStr

from phancong.settings import Settings

Refused = Mapping[str, tuple[int, str]]


class SendError(Exception):
    """A message was not accepted.

    ``permanent``: the server refused it for good (5xx); retrying will not help.
    ``connection_lost``: the session cannot go on (dropped, timed out, refused, 421).
    """

    def __init__(self, reply: str, *, permanent: bool, connection_lost: bool = False,
                 refused: Refused | None = None) -> None:
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent
        self.connection_lost = connection_lost
        self.refused: Refused = dict(refused or {})


class Transport(Protocol):
    def open(self) -> None:
        """Connect (and log in); raise :class:`SendError` if that fails."""

    def send(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> Refused:
        """Send one message; return the recipients refused (the others accepted it)."""

    def close(self) -> None:
        """Close the connection; never raises."""


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the SMTP server. The password is a ``SecretStr``: it never shows in logs."""

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = 10.0
    verify: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        if settings.smtp_block:
            return cls.from_block(settings.smtp_block, timeout=settings.smtp_timeout)
        return cls(host=settings.smtp_host, port=settings.smtp_port,
                   security=settings.smtp_security, username=settings.smtp_username or None,
                   password=settings.smtp_password, timeout=settings.smtp_timeout)

    @classmethod
    def from_block(cls, name: str, *, timeout: float = 10.0) -> SmtpConfig:
        """Read a prefect-email ``EmailServerCredentials`` block (needs ``prefect-email``)."""
        try:
            from prefect_email import EmailServerCredentials  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError as exc:
            raise RuntimeError(
                f"PHANCONG_SMTP_BLOCK is set to '{name}' but prefect-email is not installed;"
                " run 'pip install prefect-email' or use the PHANCONG_SMTP_* settings"
            ) from exc
        block = EmailServerCredentials.load(name)
        return cls.from_credentials(block, timeout=timeout)

    @classmethod
    def from_credentials(cls, block: object, *, timeout: float = 10.0) -> SmtpConfig:
        """Map an ``EmailServerCredentials``-like object (smtp_server, smtp_type, …)."""
        server = getattr(block, "smtp_server", "")
        host = str(getattr(server, "value", server))
        smtp_type = getattr(block, "smtp_type", "SSL")
        type_name = str(getattr(smtp_type, "name", smtp_type)).upper()
        security: Security = {"SSL": "tls", "STARTTLS": "starttls"}.get(type_name, "none")  # type: ignore[assignment]
        default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
        port = getattr(block, "smtp_port", None) or default_port
        password = getattr(block, "password", None)
        if password is not None and not isinstance(password, SecretStr):
            password = SecretStr(str(password))
        if password is not None and not password.get_secret_value():
            password = None
        verify = getattr(block, "verify", True)
        return cls(host=host, port=int(port), security=security,
                   username=getattr(block, "username", None) or None, password=password,
                   timeout=timeout, verify=bool(True if verify is None else verify))


class SmtpTransport:
    """SMTP over one connection per batch (``smtplib``)."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(SmtpConfig.from_settings(settings))

    def __repr__(self) -> str:
        c = self.config
        return f"SmtpTransport({c.host}:{c.port}, security={c.security}, user={c.username!r})"

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is not None:
            return self._ssl_context
        context = ssl.create_default_context()
        if not self.config.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def open(self) -> None:
        c = self.config
        try:
            if c.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout,
                                                      context=self._context())
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            self._smtp = smtp
            if c.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password.get_secret_value() if c.password else "")
        except smtplib.SMTPResponseException as exc:  # greeting, STARTTLS or login refused
            self.close()
            raise SendError(_reply(exc.smtp_code, exc.smtp_error), permanent=False,
                            connection_lost=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise SendError(f"cannot connect to {c.host}:{c.port}: {exc!r}", permanent=False,
                            connection_lost=True) from None

    def send(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> Refused:
        if self._smtp is None:
            raise SendError("not connected", permanent=False, connection_lost=True)
        try:
            refused = self._smtp.send_message(message, from_addr=sender, to_addrs=list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:  # nobody accepted it
            return {a: (int(c), _reply(c, text)) for a, (c, text) in exc.recipients.items()}
        except smtplib.SMTPSenderRefused as exc:  # our configuration, not this message
            raise SendError(_reply(exc.smtp_code, exc.smtp_error), permanent=False,
                            connection_lost=True) from None
        except smtplib.SMTPResponseException as exc:  # DATA refused, or anything else coded
            code = exc.smtp_code
            raise SendError(_reply(code, exc.smtp_error), permanent=500 <= code < 600,
                            connection_lost=code == 421) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(f"not supported by the server: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:  # dropped, timed out, reset
            raise SendError(f"connection lost: {exc!r}", permanent=False,
                            connection_lost=True) from None
        return {a: (int(code), _reply(code, text)) for a, (code, text) in refused.items()}

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def __enter__(self) -> SmtpTransport:
        self.open()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def eml_name(message_id: str) -> str:
    """A safe file name for a Message-ID."""
    return re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>")) + ".eml"


class FileTransport:
    """Writes each message to ``<dir>/<message-id>.eml`` (atomically; the same id overwrites)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"FileTransport({str(self.directory)!r})"

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SendError(f"cannot create {self.directory}: {exc}", permanent=False,
                            connection_lost=True) from None

    def send(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> Refused:
        data = bytes(message)
        envelope = (f"X-Envelope-From: {sender}\r\n"
                    f"X-Envelope-To: {', '.join(recipients)}\r\n").encode()
        target = self.directory / eml_name(str(message["Message-ID"]))
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(envelope + data)
            os.replace(tmp, target)
        except OSError as exc:
            raise SendError(f"cannot write {target}: {exc}", permanent=False,
                            connection_lost=True) from None
        return {}

    def close(self) -> None:
        return None


Handler = Callable[[EmailMessage, str, Sequence[str]], Refused | None]


class MockTransport:
    """Calls ``handler(message, sender, recipients)`` for each message: the fake for tests.

    The handler may return refused recipients or raise :class:`SendError`.
    """

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.sent: list[EmailMessage] = []
        self.opened = 0

    def open(self) -> None:
        self.opened += 1

    def send(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> Refused:
        refused = self.handler(message, sender, recipients) if self.handler else None
        if not refused or set(refused) != set(recipients):
            self.sent.append(message)
        return refused or {}

    def close(self) -> None:
        return None


def transport_from_settings(settings: Settings) -> Transport:
    """``FileTransport`` when ``mail_dir`` is set, otherwise SMTP (settings or block)."""
    if settings.mail_dir is not None:
        return FileTransport(settings.mail_dir)
    return SmtpTransport.from_settings(settings)
