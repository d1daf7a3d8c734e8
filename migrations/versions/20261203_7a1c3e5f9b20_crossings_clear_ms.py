"""crossings.clear_ms: time to clear, from the first frame that showed the person at the lane to the
kiosk's decision (measured by kiosks from this release on; empty for older records and for the
server's online check)

Revision ID: 7a1c3e5f9b20
Revises: 68c2e4a8edc0
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a1c3e5f9b20"
down_revision: str | None = "68c2e4a8edc0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clear_ms", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.drop_column("clear_ms")
