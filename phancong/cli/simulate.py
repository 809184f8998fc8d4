"""``phancong simulate``: preview a year of a plan on a virtual clock."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from phancong.adapters.db import transaction, upgrade
from phancong.adapters.loader import directory
from phancong.bootstrap import Wiring, bootstrap, dispose_all, wired
from phancong.cli._common import load_plan, parse_date, progress_printer
from phancong.cli.plan import table
from phancong.domain.plan import Plan
from phancong.services.materialize import materialize
from phancong.services.simulate import outbox_counts, simulate

LEVELS = ["reminder", "overdue", "standing_office", "steering_committee"]
HEAD = ["nhắc hạn", "quá hạn", "→ Thường trực", "→ Ban Chỉ đạo"]


def run(
    plan_file: Annotated[Path, typer.Argument(help="Plan file (YAML).")],
    start: Annotated[
        str, typer.Option("--from", help="First simulated day (YYYY-MM-DD).")
    ] = "2026-01-01",
    end: Annotated[
        str, typer.Option("--to", help="Last simulated day (YYYY-MM-DD).")
    ] = "2026-12-31",
    seed: Annotated[int, typer.Option(help="Seed of the agencies' random behaviour.")] = 2026,
    mail_dir: Annotated[
        Path | None, typer.Option(help="Write every delivered email here as .eml.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Simulate in this database (default: a throw-away SQLite file)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Agencies listed in the per-agency table.")] = 25,
    sweep_every: Annotated[
        int,
        typer.Option(
            min=1,
            help="Sweep every N days (1: daily, as scheduled; more replays a scheduler that "
            "was down for days at a time).",
        ),
    ] = 1,
) -> None:
    """Replay days with a virtual clock: seeded agency behaviour, the real sweep each morning,
    mail captured to a folder; then print the escalation load per week and per agency.

    Without --database-url the ledger is a throw-away SQLite file, removed at the end (with the
    mail, unless --mail-dir keeps it)."""
    plan = load_plan(plan_file)
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise typer.BadParameter("--to is before --from")
    work = Path(tempfile.mkdtemp(prefix="phancong-sim-"))
    try:
        _simulate(plan_file, plan, first, last, seed, mail_dir, database_url, top, work,
                  sweep_every)
    finally:  # the throw-away database (and, without --mail-dir, the mail) goes with it
        shutil.rmtree(work, ignore_errors=True)


def _simulate(
    plan_file: Path,
    plan: Plan,
    first: dt.date,
    last: dt.date,
    seed: int,
    mail_dir: Path | None,
    database_url: str | None,
    top: int,
    work: Path,
    sweep_every: int = 1,
) -> None:
    url = database_url or f"sqlite+pysqlite:///{work / 'simulation.db'}"
    upgrade(url)
    wiring = bootstrap(wired().settings.model_copy(update={"database_url": url}))
    try:
        _replay(plan_file, plan, first, last, seed, mail_dir or work / "mail", top, wiring,
                kept=mail_dir is not None, ledger=url if database_url else "throw-away, removed",
                sweep_every=sweep_every)
    finally:
        dispose_all()


def _replay(
    plan_file: Path,
    plan: Plan,
    first: dt.date,
    last: dt.date,
    seed: int,
    mails: Path,
    top: int,
    wiring: Wiring,
    *,
    kept: bool,
    ledger: str,
    sweep_every: int = 1,
) -> None:
    from phancong.mail.deliver import deliver
    from phancong.mail.transport import FileTransport

    factory = wiring.sessions
    with transaction(factory) as session:
        materialize(
            session,
            plan,
            directory(plan),
            through=last,
            now=dt.datetime.combine(first, dt.time(), dt.UTC),
            source=str(plan_file),
        )
    transport = FileTransport(mails)

    def send(now: dt.datetime) -> int:
        return len(deliver(factory, transport, now=now, limit=100_000,
                           mail_from=wiring.settings.mail_from).sent)

    report = simulate(
        factory,
        plan.id,
        first,
        last,
        deliver=send,
        seed=seed,
        portal_url="http://127.0.0.1:8000",
        sweep_every=sweep_every,
        progress=progress_printer("simulate"),
    )
    typer.echo(
        f"\n{plan.plan.title}\n{first:%d/%m/%Y}–{last:%d/%m/%Y}, seed {seed}: "
        f"{report.submissions} submissions, {report.accepted} accepted, {report.emails} emails "
        f"queued, {report.delivered} delivered"
        + (f" to {mails}" if kept else " (not kept: --mail-dir keeps them)")
        + "\n"
    )
    weeks = sorted(report.steps_by_week)
    typer.echo("Tải leo thang theo tuần / escalation load per week:")
    typer.echo(
        table(
            [
                [
                    w,
                    *[str(report.steps_by_week[w][lv]) for lv in LEVELS],
                    str(report.emails_by_week[w]),
                ]
                for w in weeks
            ],
            ["tuần", *HEAD, "email"],
        )
    )
    typer.echo("\nTheo đơn vị / per agency (most escalated first):")
    ranked = sorted(
        report.steps_by_unit.items(),
        key=lambda kv: (
            -kv[1]["steering_committee"],
            -kv[1]["standing_office"],
            -kv[1]["overdue"],
            kv[0],
        ),
    )
    typer.echo(
        table(
            [[name[:50], *[str(c[lv]) for lv in LEVELS]] for name, c in ranked[:top]],
            ["đơn vị", *HEAD],
        )
    )
    with factory() as session:
        typer.echo(f"\noutbox: {dict(outbox_counts(session, plan.id))}; ledger: {ledger}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(run)
