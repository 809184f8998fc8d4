"""open-ended plans: a plan's period may have no end (a directive reported until revoked)

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _defer_foreign_keys() -> None:
    # SQLite rebuilds the table to change a column: the obligations, units and duties that
    # reference the plan are checked at commit, once the rebuilt table has its name again
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")


def upgrade() -> None:
    _defer_foreign_keys()
    with op.batch_alter_table("plans") as batch:
        batch.alter_column("period_end", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # the older schema has no place for a plan without an end: refuse rather than invent one
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM plans WHERE period_end IS NULL"))
    if held.scalar_one():
        raise RuntimeError(
            "the ledger holds a plan without an end date; the older schema cannot hold it"
        )
    _defer_foreign_keys()
    with op.batch_alter_table("plans") as batch:
        batch.alter_column("period_end", existing_type=sa.Date(), nullable=False)
