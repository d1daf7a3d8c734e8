"""import_rows.field and .error long enough for every problem of a row at once (the fields at
fault, comma-separated, and every reason)

Revision ID: c5a7e9b1d3f6
Revises: 9d3b5c7e1f42
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5a7e9b1d3f6"
down_revision: str | None = "9d3b5c7e1f42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.alter_column("field", existing_type=sa.String(length=40), type_=sa.String(length=200))
        batch_op.alter_column("error", existing_type=sa.String(length=500), type_=sa.String(length=1000))


def downgrade() -> None:
    import_rows = sa.table("import_rows", sa.column("field", sa.String()), sa.column("error", sa.String()))
    op.execute(
        import_rows.update().values(
            field=sa.func.substr(import_rows.c.field, 1, 40),
            error=sa.func.substr(import_rows.c.error, 1, 500),
        )
    )
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.alter_column("field", existing_type=sa.String(length=200), type_=sa.String(length=40))
        batch_op.alter_column("error", existing_type=sa.String(length=1000), type_=sa.String(length=500))
