"""``phancong portal serve``: the agency portal under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from phancong.bootstrap import wired
from phancong.cli._common import fail

portal_app = typer.Typer(
    help="Cổng thông tin cho các đơn vị / the agency portal.", no_args_is_help=True
)


@portal_app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="address to bind (default PHANCONG_PORTAL_HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="port (default PHANCONG_PORTAL_PORT)"),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="worker processes")] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
) -> None:
    """Serve the portal (uvicorn; the app is built in each worker from PHANCONG_* settings).

    uvicorn believes no proxy header: the portal reads X-Forwarded-For itself, and only from
    the proxies named in PHANCONG_TRUSTED_PROXIES."""
    import uvicorn

    from phancong.web.serving import NoDelayH11Protocol

    try:
        settings = wired().settings  # refuse early: production needs a secret key and a database
        settings.signing_key()
    except ValidationError as exc:
        fail(f"invalid settings: {exc.errors()[0].get('msg', exc)}", 2)
    uvicorn.run(
        "phancong.web.app:from_environment",
        factory=True,
        host=host or settings.portal_host,
        port=port or settings.portal_port,
        workers=workers,
        http=NoDelayH11Protocol,
        proxy_headers=False,  # see phancong.web.security.client_address
        log_level=log_level,
        server_header=False,
        access_log=False,  # feed and login-link URLs carry tokens: never write them to a log
    )


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
