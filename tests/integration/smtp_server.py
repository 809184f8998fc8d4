"""A real SMTP server on loopback for the mail tests (aiosmtpd, in a thread of the test process).

It records every accepted message, can refuse chosen recipients permanently (550) or
temporarily (451), can be slowed down, and can be stopped and started again on the same port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from phancong.mail.transport import SmtpConfig, SmtpTransport

REJECT_PERMANENT = "550 5.1.1 Recipient address rejected: User unknown in local recipient table"
REJECT_TEMPORARY = "451 4.3.0 Mailbox temporarily unavailable, try again later"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Mailbox:
    """The aiosmtpd handler: accepts, refuses or delays as told, and keeps what it accepted."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → SMTP reply
    delay: float = 0.0  # seconds before answering DATA (makes kills land mid-batch)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        return "250 2.0.0 Ok: queued"

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def message_ids(self) -> Counter[str]:
        return Counter(r.message_id for r in self.messages())

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:<port> that can be stopped and restarted."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self.mailbox, hostname=self.host, port=self.port,
                                    ready_timeout=10)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def config(self, timeout: float = 5.0) -> SmtpConfig:
        return SmtpConfig(host=self.host, port=self.port, timeout=timeout)

    def transport(self, timeout: float = 5.0) -> SmtpTransport:
        return SmtpTransport(self.config(timeout))


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
