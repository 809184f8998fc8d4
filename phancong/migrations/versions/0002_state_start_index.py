"""index obligations by plan, state and period start (the matrix's status filters)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_obligations_state_start", "obligations", ["plan_id", "state", "period_start"]
    )


def downgrade() -> None:
    op.drop_index("ix_obligations_state_start", table_name="obligations")
