"""the sweep's high-volume line tables without foreign keys

Escalation steps and outbox lines are written only by the sweep (and the deliver flow's
lines of the digest and review letters), in the same transaction as what they reference, with
obligation ids read from the obligations table in that transaction; obligations and outbox rows
are never deleted. PostgreSQL checked each inserted row against its parent one row at a time
(a key-share lock per obligation): ~0.5 s of a national sweep of ~2 s. Integrity is kept by the
writers and checked by ``phancong status`` (:func:`phancong.services.health.orphan_lines`).

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0005"
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


def downgrade() -> None:
    for table, name, column, parent in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(name, parent, [column], ["id"])
