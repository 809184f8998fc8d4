"""``phancong db …``: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from phancong.adapters.db import downgrade as run_downgrade
from phancong.adapters.db import upgrade as run_upgrade
from phancong.bootstrap import wired

db_app = typer.Typer(help="Cơ sở dữ liệu / database schema (Alembic).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database (PHANCONG_DATABASE_URL, or the local SQLite file) to REVISION."""
    url = wired().settings.effective_database_url
    run_upgrade(url, revision)
    typer.echo(f"database at {revision}: {url.split('@')[-1]}")


@db_app.command("downgrade")
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "base") -> None:
    """Roll the schema back to REVISION (base removes every table)."""
    url = wired().settings.effective_database_url
    run_downgrade(url, revision)
    typer.echo(f"database at {revision}: {url.split('@')[-1]}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
