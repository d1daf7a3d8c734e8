"""initial schema

Revision ID: da4ddf564a03
Revises:
Create Date: 2026-11-22 02:24:02.361189
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearance.db.base

revision: str = "da4ddf564a03"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "bridge", sa.Enum("east", "west", name="bridge", native_enum=False, length=16), nullable=False
        ),
        sa.Column("face_only", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_checkpoints_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("park", sa.Enum("hk", "sz", name="park", native_enum=False, length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("retired_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "kiosks",
        sa.Column("checkpoint_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("to_hk", "to_sz", name="direction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"], ["checkpoints.id"], name=op.f("fk_kiosks_checkpoint_id_checkpoints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosks")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_kiosks_api_key_hash")),
        sa.UniqueConstraint("checkpoint_id", "name", name=op.f("uq_kiosks_checkpoint_id_name")),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "enroller", "officer", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_users_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "commuters",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column(
            "home_park", sa.Enum("hk", "sz", name="park", native_enum=False, length=16), nullable=False
        ),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "suspended",
                "revoked",
                name="commuterstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("enrolled_by_id", sa.Uuid(), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_commuters_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"], ["users.id"], name=op.f("fk_commuters_enrolled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_commuters_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commuters")),
        sa.UniqueConstraint(
            "organisation_id",
            "document_type",
            "document_number",
            name=op.f("uq_commuters_organisation_id_document_type_document_number"),
        ),
    )
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commuters_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commuters_status"), ["status"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("commuter_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("static", "dynamic", name="credentialkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.String(length=512), nullable=False),
        sa.Column("issued_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", clearance.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commuter_id"], ["commuters.id"], name=op.f("fk_credentials_commuter_id_commuters")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_credentials_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(["kid"], ["signing_keys.kid"], name=op.f("fk_credentials_kid_signing_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_commuter_id"), ["commuter_id"], unique=False)

    op.create_table(
        "face_templates",
        sa.Column("commuter_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("sealed_encoding", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_reference_photo", sa.LargeBinary(), nullable=False),
        sa.Column("quality", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commuter_id"], ["commuters.id"], name=op.f("fk_face_templates_commuter_id_commuters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_templates")),
        sa.UniqueConstraint("commuter_id", name=op.f("uq_face_templates_commuter_id")),
    )
    op.create_table(
        "crossings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_id", sa.Uuid(), nullable=False),
        sa.Column("checkpoint_id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("to_hk", "to_sz", name="direction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("commuter_id", sa.Uuid(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum("cleared", "rejected", "refer", name="decision", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("distance", sa.Double(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=True),
        sa.Column("decided_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", clearance.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"], ["checkpoints.id"], name=op.f("fk_crossings_checkpoint_id_checkpoints")
        ),
        sa.ForeignKeyConstraint(
            ["commuter_id"], ["commuters.id"], name=op.f("fk_crossings_commuter_id_commuters")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["credentials.id"], name=op.f("fk_crossings_credential_id_credentials")
        ),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"], name=op.f("fk_crossings_kiosk_id_kiosks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossings")),
    )
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crossings_checkpoint_id"), ["checkpoint_id"], unique=False)
        batch_op.create_index(
            "ix_crossings_commuter_id_decided_at", ["commuter_id", "decided_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crossings_decided_at"), ["decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crossings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crossings_decided_at"))
        batch_op.drop_index("ix_crossings_commuter_id_decided_at")
        batch_op.drop_index(batch_op.f("ix_crossings_checkpoint_id"))

    op.drop_table("crossings")
    op.drop_table("face_templates")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_commuter_id"))

    op.drop_table("credentials")
    with op.batch_alter_table("commuters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commuters_status"))
        batch_op.drop_index(batch_op.f("ix_commuters_organisation_id"))

    op.drop_table("commuters")
    op.drop_table("users")
    op.drop_table("kiosks")
    op.drop_table("signing_keys")
    op.drop_table("organisations")
    op.drop_table("checkpoints")
