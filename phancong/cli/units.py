"""``phancong units …``: find a plan's units by code or name, and set their contact addresses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from phancong.adapters.db import transaction
from phancong.cli._common import fail, sessions, user_errors
from phancong.services import units
from phancong.services.plans import plan_ids

units_app = typer.Typer(
    help="Đơn vị của kế hoạch, email liên hệ / a plan's units and their contact addresses.",
    no_args_is_help=True,
)

PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="plan id, e.g. hanoi-2026-2030 (default: the only plan loaded)"),
]


def _plan_id(session: Session, plan: str | None) -> str:
    ids = plan_ids(session)
    if plan is not None:
        if plan not in ids:
            fail(f"không có kế hoạch '{plan}' (có: {', '.join(ids) or 'chưa có'})", 2)
        return plan
    if len(ids) != 1:
        fail(f"cần --plan (có: {', '.join(ids) or 'chưa có kế hoạch nào'})", 2)
    return ids[0]


@units_app.command("list")
def list_(
    plan: PlanOption = None,
    search: Annotated[
        str | None,
        typer.Option("--search", help="part of a code, name or email; no need for diacritics"),
    ] = None,
    placeholder: Annotated[
        bool, typer.Option("--placeholder", help="only units still on *.example addresses")
    ] = False,
) -> None:
    """List units with their codes, names and contact emails."""
    with user_errors(), sessions()() as session:
        plan_id = _plan_id(session, plan)
        found = units.list_units(session, plan_id, search)
    if placeholder:
        found = [u for u in found if u.placeholder]
    if not found:
        typer.echo("không có đơn vị nào phù hợp", err=True)
        raise typer.Exit(1)
    width = max(len("mã"), *(len(u.code) for u in found))
    name_width = min(44, max(len("tên"), *(len(u.name) for u in found)))
    typer.echo(f"{'mã':<{width}}  {'tên':<{name_width}}  email")
    for u in found:
        mark = "  (địa chỉ tạm)" if u.placeholder else ""
        typer.echo(f"{u.code:<{width}}  {u.name:<{name_width}}  {', '.join(u.emails) or '–'}{mark}")
    typer.echo(f"{len(found)} đơn vị")


@units_app.command("import-contacts")
def import_contacts(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) with a header: unit,emails")],
    plan: PlanOption = None,
) -> None:
    """Set the units' contact addresses from a CSV file, all or nothing.

    Each row names a unit by code or name and its addresses (several separated by ';'); every
    change is recorded in the audit log. A bad row is reported by its line number and nothing
    is imported.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"không đọc được {file}: {exc}", 2)
    with user_errors(), transaction(sessions()) as session:
        plan_id = _plan_id(session, plan)
        result = units.import_contacts(
            session, plan_id, text, now=dt.datetime.now(dt.UTC), actor="cli"
        )
        left = len(units.units_on_placeholder_addresses(session, plan_id))
    typer.echo(
        f"đã cập nhật {result.changed} đơn vị, {result.unchanged} không đổi; "
        f"còn {left} đơn vị dùng địa chỉ tạm (*.example)"
    )


@units_app.command("set-contacts")
def set_contacts(
    unit: Annotated[str, typer.Argument(help="unit code or name")],
    emails: Annotated[str, typer.Argument(help="addresses separated by ',' or ';'")],
    plan: PlanOption = None,
) -> None:
    """Set one unit's contact addresses (audited)."""
    with user_errors(), transaction(sessions()) as session:
        plan_id = _plan_id(session, plan)
        found = units.find_unit(session, plan_id, unit)
        changed = units.set_contacts(
            session, plan_id, found.code, emails, now=dt.datetime.now(dt.UTC), actor="cli"
        )
    typer.echo(f"{found.code} ({found.name}): " + ("đã cập nhật" if changed else "không đổi"))


def register(app: typer.Typer) -> None:
    app.add_typer(units_app, name="units")
