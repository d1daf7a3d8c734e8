"""whitelist feed, presence, dynamic credentials, alerts

Revision ID: d6a9863665fc
Revises: da4ddf564a03
Create Date: 2026-11-22 02:42:56.177804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearance.db.base

revision: str = "d6a9863665fc"
down_revision: str | None = "da4ddf564a03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_counters")),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "kind",
            sa.Enum("anti_passback_conflict", name="alertkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("commuter_id", sa.Uuid(), nullable=True),
        sa.Column("crossing_id", sa.Uuid(), nullable=True),
        sa.Column("kiosk_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("acknowledged_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["users.id"], name=op.f("fk_alerts_acknowledged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["commuter_id"], ["commuters.id"], name=op.f("fk_alerts_commuter_id_commuters")
        ),
        sa.ForeignKeyConstraint(
            ["crossing_id"], ["crossings.id"], name=op.f("fk_alerts_crossing_id_crossings")
        ),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"], name=op.f("fk_alerts_kiosk_id_kiosks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column(
                "last_side", sa.Enum("hk", "sz", name="park", native_enum=False, length=16), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("last_crossed_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sync_version", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.create_index(batch_op.f("ix_commuters_sync_version"), ["sync_version"], unique=False)

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("last_counter", sa.BigInteger(), nullable=True))

    # Commuters registered before the feed existed are all in a kiosk's first snapshot.
    op.execute("UPDATE commuters SET sync_version = 1")
    op.execute("INSERT INTO sync_counters (name, value) VALUES ('whitelist', 1)")


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("last_counter")
        batch_op.drop_column("sealed_secret")

    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commuters_sync_version"))
        batch_op.drop_column("sync_version")
        batch_op.drop_column("last_crossed_at")
        batch_op.drop_column("last_side")
        batch_op.drop_column("face_only")

    op.drop_table("alerts")
    op.drop_table("sync_counters")
