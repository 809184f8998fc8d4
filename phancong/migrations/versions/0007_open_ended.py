"""open-ended plans: a plan's period may have no end (a directive reported until revoked)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from phancong.adapters.dialect import is_postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_NULL = re.compile(r"(\bperiod_end\s+DATE)\s+NOT\s+NULL", re.IGNORECASE)
_NULLABLE = re.compile(r"(\bperiod_end\s+DATE)(?=\s*,)", re.IGNORECASE)


def _sqlite_column_sql(pattern: re.Pattern[str], replacement: str) -> None:
    """Change the NOT NULL of plans.period_end in SQLite's stored table definition.

    Rebuilding the table (what Alembic's batch mode does) drops it under the foreign keys of
    every unit, duty and obligation, which SQLite refuses at commit while foreign keys are on,
    and they cannot be turned off inside the migration's transaction. A NOT NULL is not in the
    file format, so SQLite documents this instead ("Making Other Kinds Of Table Schema
    Changes", sqlite.org/lang_altertable.html): in one transaction, rewrite the definition in
    sqlite_schema, bump schema_version, check integrity."""
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'plans'")
    ).scalar_one()
    changed, count = pattern.subn(replacement, sql)
    if count != 1:
        raise RuntimeError(f"plans.period_end not found as expected in: {sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'plans'"),
        {"sql": changed},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"integrity check after changing plans.period_end: {problems}")


def upgrade() -> None:
    if not is_postgresql(op.get_bind()):
        _sqlite_column_sql(_NOT_NULL, r"\1")
    else:
        op.alter_column("plans", "period_end", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM plans WHERE period_end IS NULL"))
    if held.scalar_one():  # the older schema has no place for it: refuse rather than invent one
        raise RuntimeError(
            "the ledger holds a plan without an end date; the older schema cannot hold it"
        )
    if not is_postgresql(op.get_bind()):
        _sqlite_column_sql(_NULLABLE, r"\1 NOT NULL")
    else:
        op.alter_column("plans", "period_end", existing_type=sa.Date(), nullable=False)
