"""The portal's HTTP protocol turns Nagle's algorithm off on every connection."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from phancong.cli import app as cli
from phancong.settings import get_settings
from phancong.web.serving import NoDelayH11Protocol

pytestmark = pytest.mark.integration


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # pragma: no cover
    raise AssertionError("not called")


async def _nodelay_of_accepted(protocol_class: type[H11Protocol]) -> int:
    """TCP_NODELAY of a connection accepted as uvicorn's worker processes accept them: on a
    listening socket uvicorn bound itself (protocol number 0)."""
    config = Config(app=_app, lifespan="off")
    config.load()
    state = ServerState()
    made: list[H11Protocol] = []

    def factory() -> H11Protocol:
        made.append(protocol_class(config=config, server_state=state, app_state={}))
        return made[-1]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like bind_socket
    listener.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if made and made[0].transport is not None:
                break
            await asyncio.sleep(0.01)
        sock = made[0].transport.get_extra_info("socket")
        value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        made[0].transport.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_connections_accepted_by_workers_send_without_waiting_for_acks() -> None:
    # the stock protocol leaves Nagle on there: the reason this subclass exists
    assert asyncio.run(_nodelay_of_accepted(H11Protocol)) == 0
    assert asyncio.run(_nodelay_of_accepted(NoDelayH11Protocol)) == 1


def test_portal_serve_runs_uvicorn_with_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PHANCONG_DATABASE_URL", f"sqlite+pysqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    get_settings.cache_clear()
    asked: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: asked.update(app=app, **kwargs))
    try:
        result = CliRunner().invoke(cli, ["portal", "serve", "--workers", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert asked["workers"] == 2
    assert asked["http"] is NoDelayH11Protocol


def test_the_served_app_is_kept_out_of_full_collections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gc

    from phancong.web.app import from_environment

    monkeypatch.setenv("PHANCONG_DATABASE_URL", f"sqlite+pysqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("PHANCONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHANCONG_ENVIRONMENT", "development")
    get_settings.cache_clear()
    gc.unfreeze()
    try:
        from_environment()
        assert gc.get_freeze_count() > 10_000  # the modules and the app, frozen before serving
    finally:
        gc.unfreeze()
        get_settings.cache_clear()
