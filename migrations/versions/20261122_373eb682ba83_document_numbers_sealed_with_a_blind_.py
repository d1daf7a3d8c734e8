"""document numbers sealed, with a blind index

Revision ID: 373eb682ba83
Revises: cd35785252f7
Create Date: 2026-11-22 05:19:10.418813
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "373eb682ba83"
down_revision: str | None = "cd35785252f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_document_number", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("document_index", sa.String(length=64), nullable=True))
    seal_existing_document_numbers()
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.alter_column("sealed_document_number", nullable=False)
        batch_op.alter_column("document_index", nullable=False)
        batch_op.drop_constraint("uq_commuters_organisation_id_document_type_document_number", type_="unique")
        batch_op.create_index(batch_op.f("ix_commuters_document_index"), ["document_index"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_commuters_organisation_id_document_type_document_index"),
            ["organisation_id", "document_type", "document_index"],
        )
        batch_op.drop_column("document_number")


def seal_existing_document_numbers() -> None:
    """Seal and index the numbers already stored, with the installation's keys (HETAO_ settings)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, document_type, document_number FROM commuters")).all()
    if not rows:
        return
    from clearance.core.settings import Settings
    from clearance.db.keyring import load_keyring
    from clearance.whitelist import documents

    keyring = load_keyring(Settings())
    for row in rows:
        commuter_id = row.id if isinstance(row.id, uuid.UUID) else uuid.UUID(str(row.id))
        connection.execute(
            sa.text(
                "UPDATE commuters SET sealed_document_number = :sealed, document_index = :index "
                "WHERE id = :id"
            ),
            {
                "id": row.id,
                "sealed": documents.seal_number(
                    keyring.data_key, commuter_id=commuter_id, number=row.document_number
                ),
                "index": documents.document_index(
                    keyring.index_key, document_type=row.document_type, number=row.document_number
                ),
            },
        )


def downgrade() -> None:
    if op.get_bind().execute(sa.text("SELECT count(*) FROM commuters")).scalar_one():
        raise RuntimeError(
            "cannot downgrade: the document numbers are sealed and this revision keeps them in clear"
        )
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_number", sa.VARCHAR(length=64), nullable=False))
        batch_op.drop_constraint(
            batch_op.f("uq_commuters_organisation_id_document_type_document_index"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_commuters_document_index"))
        batch_op.create_unique_constraint(
            "uq_commuters_organisation_id_document_type_document_number",
            ["organisation_id", "document_type", "document_number"],
        )
        batch_op.drop_column("document_index")
        batch_op.drop_column("sealed_document_number")
