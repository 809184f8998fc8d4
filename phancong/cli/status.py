"""``phancong status`` (alias ``doctor``): is it healthy? Exit 0 if so, 1 if not."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from phancong.cli._common import fail


def status(
    lang: Annotated[str, typer.Option(
        "--lang", help="vi (mặc định) hoặc en / vi (default) or en.")] = "vi",
    as_json: Annotated[bool, typer.Option(
        "--json", help="Kết quả dạng JSON cho máy / JSON for machines.")] = False,
    prefect_api: Annotated[str | None, typer.Option(
        "--prefect-api",
        help="Prefect API URL (default PREFECT_API_URL, else the server `phancong up` "
             "starts on 127.0.0.1:4200).")] = None,
    no_smtp: Annotated[bool, typer.Option(
        "--no-smtp", help="Không kiểm tra máy chủ thư / skip the SMTP check.")] = False,
) -> None:
    """Tình trạng hệ thống / health: per plan the last successful sweep, the next scheduled
    run of each deployment, the outbox by state and its oldest queued email; the Prefect
    server and the SMTP server (connect, EHLO, NOOP — nothing sent). Exit code 1 when a
    deployment has no upcoming run, the last sweep is older than 26 h, mail has been queued
    more than an hour, or Prefect or SMTP cannot be reached; 0 when all is well."""
    from sqlalchemy.exc import SQLAlchemyError

    from phancong.orchestration.health import collect, find_api_url
    from phancong.orchestration.health_render import render_json, render_text

    if lang not in ("vi", "en"):
        fail(f"--lang phải là vi hoặc en / must be vi or en, not '{lang}'", 2)
    now = dt.datetime.now(dt.UTC)
    try:
        report = collect(now, find_api_url(prefect_api), smtp=not no_smtp)
    except SQLAlchemyError as exc:
        fail(("Không đọc được sổ nghĩa vụ (PHANCONG_DATABASE_URL): " if lang == "vi"
              else "cannot read the ledger (PHANCONG_DATABASE_URL): ")
             + type(exc).__name__, 1)
    if as_json:
        typer.echo(json.dumps(render_json(report, lang), ensure_ascii=False, indent=2))
    else:
        typer.echo(render_text(report, lang), nl=False)
    raise typer.Exit(0 if report.healthy else 1)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("doctor", help="Giống `status` / same as `status`.")(status)
