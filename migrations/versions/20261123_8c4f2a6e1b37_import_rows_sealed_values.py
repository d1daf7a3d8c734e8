"""import_rows.sealed_values: a failed row's cells, sealed, to give back to fix and import again

Revision ID: 8c4f2a6e1b37
Revises: 5b0e7c1d9a42
Create Date: 2026-11-23 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4f2a6e1b37"
down_revision: str | None = "5b0e7c1d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_values", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_column("sealed_values")
