"""index obligations for the national roll-up (every plan's deadline-passed rows, index only)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["plan_id", "effective_deadline", "state", "role", "on_time"]


def upgrade() -> None:
    op.create_index("ix_obligations_rollup", "obligations", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_obligations_rollup", table_name="obligations")
