"""users.sessions_version (a sign-out everywhere refuses every older token), commuters.photo_added_by_ids
(everyone who added a photo, four eyes), credentials.sealed_proof_key (a phone pass's proof key)

A phone pass activated before this revision has no proof key: its phone can no longer prove its
requests (status, data) and is told so; staff replace it with a new pass (README, "Commuters' phones").

Revision ID: 68c2e4a8edc0
Revises: 57e31b81aacf
Create Date: 2026-12-03 14:07:43
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "68c2e4a8edc0"
down_revision: str | None = "57e31b81aacf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_added_by_ids", sa.JSON(), server_default="[]", nullable=False))
    # Whoever last added a photo is the one contributor known so far.
    commuters = sa.table(
        "commuters",
        sa.column("id"),
        sa.column("photo_added_by_id"),
        sa.column("photo_added_by_ids", sa.JSON()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(commuters.c.id, commuters.c.photo_added_by_id).where(
            commuters.c.photo_added_by_id.is_not(None)
        )
    ).all()
    for commuter_id, added_by in rows:
        connection.execute(
            commuters.update().where(commuters.c.id == commuter_id).values(photo_added_by_ids=[str(added_by)])
        )

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_proof_key", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sessions_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sessions_version")

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("sealed_proof_key")

    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.drop_column("photo_added_by_ids")
