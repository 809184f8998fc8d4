"""uvicorn's HTTP/1.1 protocol with ``TCP_NODELAY`` on every connection.

When uvicorn runs several worker processes it binds the listening socket itself, and asyncio
then leaves Nagle's algorithm on for the accepted connections (it only disables it on sockets
whose protocol number says TCP, and that socket's says 0). A response written as head, then
body, then waits for the client's delayed ACK: about 40 ms on every keep-alive request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
