"""commuters.chinese_name_folded: the Chinese name in Simplified characters, what a search matches
(a name registered as 陳大文 is found by 陈大文 and the other way round); filled for every
commuter already registered

Revision ID: 9d3b5c7e1f42
Revises: 7a1c3e5f9b20
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clearance.core import hanzi

revision: str = "9d3b5c7e1f42"
down_revision: str | None = "7a1c3e5f9b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chinese_name_folded", sa.String(length=100), nullable=True))
    commuters = sa.table(
        "commuters", sa.column("id"), sa.column("chinese_name"), sa.column("chinese_name_folded")
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(commuters.c.id, commuters.c.chinese_name).where(commuters.c.chinese_name.is_not(None))
    ).all()
    for commuter_id, name in rows:
        connection.execute(
            commuters.update()
            .where(commuters.c.id == commuter_id)
            .values(chinese_name_folded=hanzi.fold(name))
        )


def downgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.drop_column("chinese_name_folded")
