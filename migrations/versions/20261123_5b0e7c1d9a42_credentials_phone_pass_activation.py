"""credentials: a phone pass's one-time activation (token hash, expiry, when it was used)

Revision ID: 5b0e7c1d9a42
Revises: 02f1fa102ee3
Create Date: 2026-11-23 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearance.db.base

revision: str = "5b0e7c1d9a42"
down_revision: str | None = "02f1fa102ee3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activation_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("activation_expires_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("activated_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint("uq_credentials_activation_hash", ["activation_hash"])


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credentials_activation_hash", type_="unique")
        batch_op.drop_column("activated_at")
        batch_op.drop_column("activation_expires_at")
        batch_op.drop_column("activation_hash")
