"""``phancong up``: Prefect server, ledger, portal and deployments on one machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phancong.cli._common import progress_printer


def up(
    port: Annotated[int | None, typer.Option(
        "--port", help="Portal port (default PHANCONG_PORTAL_PORT, 8000).")] = None,
    prefect_port: Annotated[int | None, typer.Option(
        "--prefect-port",
        help="Port of the local Prefect server (default 4200, or a free one).")] = None,
    plan: Annotated[list[Path] | None, typer.Option(
        "--plan",
        help="Plan file to load and serve (repeatable; default: the Hà Nội plan).")] = None,
    no_portal: Annotated[bool, typer.Option(
        "--no-portal", help="Do not start the portal.")] = False,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir",
        help="Where the SQLite ledger, Prefect's database, reports and logs live.")] = None,
) -> None:
    """Khởi động toàn bộ hệ thống / start everything: a local Prefect server (unless
    PREFECT_API_URL is set), the ledger with the plan materialised, the portal and the
    scheduled deployments; prints their URLs. Ctrl-C stops it all."""
    from phancong.orchestration.up import UpOptions
    from phancong.orchestration.up import up as run_up

    options = UpOptions(plans=list(plan or []), portal_port=port, prefect_port=prefect_port,
                        portal=not no_portal, data_dir=data_dir)
    code = run_up(options, say=lambda line: typer.echo(line),
                  progress=progress_printer("  materialise"))
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
