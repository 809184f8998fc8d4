"""``phancong ledger …``: materialise obligations and print roll-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from phancong.adapters.db import transaction, upgrade
from phancong.adapters.loader import directory
from phancong.bootstrap import wired
from phancong.cli._common import (
    load_plan,
    parse_date,
    parse_instant,
    progress_printer,
    sessions,
    user_errors,
)
from phancong.cli.plan import table
from phancong.domain.calendar import period_title
from phancong.domain.horizon import horizon_through, plan_period_words
from phancong.domain.status import label
from phancong.services import reads
from phancong.services.materialize import materialize as run_materialize
from phancong.services.materialize import refresh_statistics

ledger_app = typer.Typer(help="Sổ nghĩa vụ / the obligation ledger.", no_args_is_help=True)

PlanArg = Annotated[Path, typer.Argument(help="Plan file (YAML).")]


@ledger_app.command("materialize")
def materialize(
    plan_file: PlanArg,
    through: Annotated[
        str | None,
        typer.Option(
            help="Create obligations of periods starting on or before this date (default: the"
            " end of this year; a plan without an end: today plus"
            " PHANCONG_MATERIALIZE_HORIZON_MONTHS)."
        ),
    ] = None,
) -> None:
    """Create every obligation up to THROUGH; idempotent; a changed plan becomes a new version."""
    plan = load_plan(plan_file)
    today = dt.datetime.now(ZoneInfo(plan.plan.timezone)).date()
    if through is not None:
        last = parse_date(through)
    elif plan.plan.period.open_ended:
        last = horizon_through(today, wired().settings.materialize_horizon_months)
    else:
        last = dt.date(today.year, 12, 31)
    url = wired().settings.effective_database_url
    upgrade(url)
    factory = sessions()
    with user_errors(), transaction(factory) as session:
        report = run_materialize(
            session,
            plan,
            directory(plan),
            through=last,
            now=dt.datetime.now(dt.UTC),
            source=str(plan_file),
            progress=progress_printer("materialize"),
        )
    refresh_statistics(factory, report)
    typer.echo(
        f"plan {report.plan_id} version {report.version} through {last:%d/%m/%Y}"
        f"{' (new version)' if report.new_version else ''}: "
        f"{report.obligations_created} obligations created, "
        f"{report.obligations_cancelled} cancelled, {report.obligations_rescheduled} rescheduled, "
        f"{report.units_added} units added, duties +{len(report.duties_added)} "
        f"~{len(report.duties_changed)} -{len(report.duties_removed)}, "
        f"{report.dependencies_added} dependency links"
    )


@ledger_app.command("status")
def status(
    plan_file: PlanArg,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD[THH:MM] in Asia/Ho_Chi_Minh; default now."),
    ] = None,
    period: Annotated[str | None, typer.Option(help="Only this period, e.g. 2026-Q1.")] = None,
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
) -> None:
    """Print the roll-up as of an instant: statuses, 'x of N submitted' per duty and the
    on-time rate per agency."""
    plan = load_plan(plan_file)
    instant = parse_instant(as_of, plan.plan.timezone)
    with user_errors(), sessions()() as session:
        counts = reads.status_counts(session, plan.id, instant, period)
        duties = reads.rollup_by_duty(session, plan.id, instant, period)
        units = reads.rollup_by_unit(session, plan.id, instant)
    local = instant.astimezone(ZoneInfo(plan.plan.timezone))
    typer.echo(
        f"{plan.plan.title}\n{plan_period_words(plan.plan.period, lang)}\n"
        f"as of {local:%d/%m/%Y %H:%M} (Asia/Ho_Chi_Minh)\n"
    )
    typer.echo(
        table([[label(k, lang), str(v)] for k, v in sorted(counts.items())], ["trạng thái", "số"])
    )
    # periods whose deadline has passed, and the next deadline after the instant
    today = instant.astimezone(ZoneInfo(plan.plan.timezone)).date()
    upcoming = min((d.deadline for d in duties if d.deadline >= today), default=today)
    started = [d for d in duties if d.not_open < d.total and d.deadline <= upcoming]
    typer.echo("\nĐã nộp theo nhiệm vụ và kỳ / submitted per duty and period:")
    typer.echo(
        table(
            [
                [
                    d.source,
                    d.title[:50],
                    period_title(d.period_label, lang),
                    f"{d.submitted}/{d.total}",
                    str(d.on_time),
                    str(d.overdue),
                ]
                for d in started
            ],
            ["trích dẫn", "nhiệm vụ", "kỳ", "đã nộp", "đúng hạn", "quá hạn"],
        )
    )
    communes = [u for u in units if u.kind == "commune"]
    others = [u for u in units if u.kind != "commune"]
    typer.echo("\nTỷ lệ đúng hạn theo đơn vị / on-time rate per agency:")
    typer.echo(
        table(
            [
                [
                    u.unit_name[:50],
                    str(u.due),
                    str(u.on_time),
                    str(u.late),
                    str(u.overdue),
                    "—" if u.rate is None else f"{u.rate:.0%}",
                ]
                for u in others
            ],
            ["đơn vị", "đến hạn", "đúng hạn", "trễ", "quá hạn", "tỷ lệ"],
        )
    )
    if communes:
        due = sum(u.due for u in communes)
        on_time = sum(u.on_time for u in communes)
        overdue = sum(1 for u in communes if u.overdue)
        rate = f"{on_time / due:.0%}" if due else "—"
        typer.echo(
            f"\n{len(communes)} xã, phường: {on_time}/{due} đúng hạn ({rate}); "
            f"{overdue} xã, phường có nghĩa vụ quá hạn"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
