"""crossings.previous_left_ms: time to leave of the person decided in the kiosk's record before
this one (from that decision to the last frame that showed them), carried by the next record
because a record is chained as its decision is made (kiosks from this release on; empty for older
records and for the server's online check)

Revision ID: 4f6a8c0e2b13
Revises: e2b4d6f8a0c1
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f6a8c0e2b13"
down_revision: str | None = "e2b4d6f8a0c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_left_ms", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.drop_column("previous_left_ms")
