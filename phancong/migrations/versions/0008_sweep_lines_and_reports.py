"""the sweep's high-volume line tables without foreign keys; consolidated reports in the ledger

Escalation steps and outbox lines are written only by the sweep (and the deliver flow's
lines of the digest and review letters), in the same transaction as what they reference, with
obligation ids read from the obligations table in that transaction; obligations and outbox rows
are never deleted. PostgreSQL checked each inserted row against its parent one row at a time
(a key-share lock per obligation): ~0.5 s of a national sweep of ~2 s. Integrity is kept by the
writers and checked by ``phancong status`` (:func:`phancong.services.health.orphan_lines`).

``consolidated_reports`` keeps the HTML and DOCX the ``consolidate`` flow wrote (and the PDF a
portal made of it): the runner that wrote them and the portal process that serves them are
different machines.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from phancong.adapters.orm import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ("escalations", "fk_escalations_obligation_id_obligations", "obligation_id", "obligations"),
    ("outbox_items", "fk_outbox_items_obligation_id_obligations", "obligation_id", "obligations"),
    ("outbox_items", "fk_outbox_items_outbox_id_outbox", "outbox_id", "outbox"),
]


def upgrade() -> None:
    for table, name, _, _ in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="foreignkey")
    op.create_table(
        "consolidated_reports",
        sa.Column("plan_id", sa.String(length=80), nullable=False),
        sa.Column("period_label", sa.String(length=24), nullable=False),
        sa.Column("as_of", UTCDateTime(timezone=True), nullable=False),
        sa.Column("written_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("plan_id", "period_label", name=op.f("pk_consolidated_reports")),
    )


def downgrade() -> None:
    op.drop_table("consolidated_reports")
    for table, name, column, parent in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(name, parent, [column], ["id"])
