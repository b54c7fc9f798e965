"""admin hardening: rotation lineage of sub-keys, the limits an agency role set on a key, client key policy

Revision ID: 0005_admin
Revises: 0004_budget_holds

Existing keys become their own lineage; their allowed models and expiry are taken as set by the agency (the
conservative reading: a client token may narrow them, never loosen them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_admin"
down_revision = "0004_budget_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sub_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lineage_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("agency_allowed_models", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("agency_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE sub_keys SET lineage_id = id, agency_allowed_models = allowed_models, agency_expires_at = expires_at"
    )
    with op.batch_alter_table("sub_keys", schema=None) as batch_op:
        batch_op.alter_column("lineage_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_sub_keys_lineage_id"), ["lineage_id"], unique=False)
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_allowed_models", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("key_allowed_models")
    with op.batch_alter_table("sub_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sub_keys_lineage_id"))
        batch_op.drop_column("agency_expires_at")
        batch_op.drop_column("agency_allowed_models")
        batch_op.drop_column("lineage_id")
