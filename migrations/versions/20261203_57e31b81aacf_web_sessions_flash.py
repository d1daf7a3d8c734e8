"""web_sessions.flash: what the page after a form's redirect says once (post, redirect, get)

Revision ID: 57e31b81aacf
Revises: 8c4f2a6e1b37
Create Date: 2026-12-03 12:22:35
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "57e31b81aacf"
down_revision: str | None = "8c4f2a6e1b37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flash", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("flash")
