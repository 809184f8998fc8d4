"""report files attached to submissions; a duty's evidence requirement

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from phancong.adapters.orm import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_files_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_submission_files_obligation_id_obligations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_files")),
    )
    op.create_index("ix_submission_files_submission", "submission_files", ["submission_id"])
    op.create_index("ix_submission_files_obligation", "submission_files", ["obligation_id"])
    with op.batch_alter_table("duties") as batch:
        batch.add_column(
            sa.Column(
                "evidence", sa.String(length=12), nullable=False, server_default="optional"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("duties") as batch:
        batch.drop_column("evidence")
    op.drop_index("ix_submission_files_obligation", table_name="submission_files")
    op.drop_index("ix_submission_files_submission", table_name="submission_files")
    op.drop_table("submission_files")
