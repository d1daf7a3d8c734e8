"""kiosks.whitelist_synced_at and kiosks.outbox_waiting: when a kiosk last read the whitelist to
its end, and how many crossings it said it held undelivered then (the officers' lane tiles)

Revision ID: e2b4d6f8a0c1
Revises: c5a7e9b1d3f6
Create Date: 2026-12-04 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearance.db.base

revision: str = "e2b4d6f8a0c1"
down_revision: str | None = "c5a7e9b1d3f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("whitelist_synced_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("outbox_waiting", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("outbox_waiting")
        batch_op.drop_column("whitelist_synced_at")
