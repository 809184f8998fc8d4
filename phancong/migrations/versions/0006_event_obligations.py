"""what opened an event-triggered obligation (an event a unit reported, an ad hoc request)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from phancong.adapters.orm import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligation_events",
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_obligation_events_obligation_id_obligations"),
        ),
        sa.PrimaryKeyConstraint("obligation_id", name=op.f("pk_obligation_events")),
    )


def downgrade() -> None:
    op.drop_table("obligation_events")
