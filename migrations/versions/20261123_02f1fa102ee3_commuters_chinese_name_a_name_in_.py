"""commuters.chinese_name: a name in Chinese characters beside the one in Latin letters

Revision ID: 02f1fa102ee3
Revises: 7d6d23b35448
Create Date: 2026-11-23 04:36:35.012064
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "02f1fa102ee3"
down_revision: str | None = "7d6d23b35448"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chinese_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.drop_column("chinese_name")
