"""kiosk crossing chains

Revision ID: 44f11e092116
Revises: 373eb682ba83
Create Date: 2026-11-22 05:35:57.100421
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "44f11e092116"
down_revision: str | None = "373eb682ba83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("chain_seq")
        batch_op.drop_column("public_key")

    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.drop_column("chain_seq")
