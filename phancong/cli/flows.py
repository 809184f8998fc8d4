"""``phancong flows …``: run a flow once, list or serve the deployments."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from phancong.cli._common import fail, parse_instant

flows_app = typer.Typer(help="Luồng Prefect / Prefect flows and deployments.", no_args_is_help=True)

FLOW_NAMES = ("materialize", "sweep", "deliver", "digest", "consolidate")


@flows_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="One of: " + ", ".join(FLOW_NAMES))],
    plan: Annotated[str | None, typer.Option(
        "--plan", help="Plan file or plan id (default: the Hà Nội plan).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="YYYY-MM-DD[THH:MM] in Asia/Ho_Chi_Minh; default now.")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="consolidate only: the period, e.g. 2026-Q1.")] = None,
) -> None:
    """Run one flow now on the Prefect server of `phancong up` (or PREFECT_API_URL): the run
    appears in the Prefect UI. Refuses when no server is running."""
    from phancong.bootstrap import wired
    from phancong.orchestration.instance import find_api_url, healthy

    if name not in FLOW_NAMES:
        raise typer.BadParameter(f"unknown flow {name!r}; one of {', '.join(FLOW_NAMES)}")
    api = find_api_url(wired().settings.data_dir)
    if api is None:
        fail("Không tìm thấy máy chủ Prefect đang chạy: hãy chạy `phancong up` (cùng "
             "PHANCONG_DATA_DIR), hoặc đặt PREFECT_API_URL trỏ tới máy chủ Prefect.\n"
             "No running Prefect server: start `phancong up` (same PHANCONG_DATA_DIR), or set "
             "PREFECT_API_URL to a running server.", 3)
    if not healthy(api):
        fail(f"Máy chủ Prefect không phản hồi tại {api} / Prefect server unreachable at {api}.\n"
             "Start it with `phancong up`, or set PREFECT_API_URL to a running server.", 3)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows import ALL

    kwargs: dict[str, Any] = {"plan": plan, "as_of": parse_instant(as_of) if as_of else None}
    if name == "consolidate":
        kwargs["period"] = period
    if name == "deliver":
        kwargs["plan"] = plan or "all"
    try:
        with temporary_settings(updates={PREFECT_API_URL: api}):
            result = asyncio.run(ALL[name](**kwargs))
    except (httpx.ConnectError, httpx.ConnectTimeout, RuntimeError) as exc:
        if "Failed to reach API" not in str(exc) and not isinstance(exc, httpx.TransportError):
            raise
        fail(f"Prefect server unreachable at {api}: {exc}\n"
             "Start it with `phancong up`, or set PREFECT_API_URL to a running server.", 3)
    from phancong.orchestration.values import plain

    typer.echo(json.dumps(compact(plain(result)), ensure_ascii=False, indent=2, default=str))
    if name == "deliver" and isinstance(result, dict):
        typer.echo(deliver_summary(result))


ID_LIST_SHOWN = 5


def compact(value: Any) -> Any:
    """A flow's result for a person: a long list of ids becomes its count and first few."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > ID_LIST_SHOWN and all(isinstance(v, int) for v in value):
            return {"count": len(value), "first": value[:ID_LIST_SHOWN]}
        return [compact(v) for v in value]
    return value


def deliver_summary(result: dict[str, Any]) -> str:
    """'đã gửi 120, thử lại 2, thất bại 1, chưa thử 0 (120 đến hạn)' from a deliver result."""

    def count(key: str) -> int:
        value = result.get(key)
        return len(value) if isinstance(value, list) else int(value or 0)

    text = (f"đã gửi {count('sent')}, thử lại {count('retrying')}, thất bại {count('failed')}, "
            f"chưa thử {count('released')} ({int(result.get('claimed') or 0)} đến hạn)")
    return f"{text}; dừng: {result['error']}" if result.get("error") else text


@flows_app.command("deployments")
def deployments(
    plan: Annotated[list[Path] | None, typer.Option(
        "--plan", help="Plan file (repeatable; default: the Hà Nội plan).")] = None,
) -> None:
    """List the deployments `phancong flows serve` registers, with their schedules."""
    from phancong.orchestration.deployments import planned
    from phancong.settings import DEFAULT_PLAN

    for item in planned(plan or [DEFAULT_PLAN]):
        typer.echo(f"{item.full_name:40} {item.schedule_text}")


@flows_app.command("serve")
def serve(
    plan: Annotated[list[Path] | None, typer.Option(
        "--plan", help="Plan file (repeatable; default: the Hà Nội plan).")] = None,
    limit: Annotated[int, typer.Option(help="Concurrent flow runs at most.")] = 4,
) -> None:
    """Register the deployments with PREFECT_API_URL and run their schedules until Ctrl-C."""
    from phancong.orchestration.deployments import serve as run_serve
    from phancong.settings import DEFAULT_PLAN

    run_serve(plan or [DEFAULT_PLAN], limit=limit)


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")
