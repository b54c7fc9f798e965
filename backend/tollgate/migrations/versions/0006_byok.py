"""provider_keys (a client's own provider accounts, BYOK) and the per-client BYOK choices on clients

Revision ID: 0006_byok
Revises: 0005_admin, 0005_alerts, 0005_metering, 0005_reports, 0005_surface
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_byok"
down_revision = ("0005_admin", "0005_alerts", "0005_metering", "0005_reports", "0005_surface")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.String(32),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "client_id", sa.String(32), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("lane_id", sa.String(32), sa.ForeignKey("lanes.id", ondelete="SET NULL"), nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.String(500), nullable=True),
        sa.Column("credential_last4", sa.String(4), nullable=True),
        sa.Column("credential_fingerprint", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("byok_use", sa.String(16), nullable=False, server_default="own_account"))
        batch.add_column(sa.Column("byok_fallback", sa.String(16), nullable=False, server_default="agency_default"))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("byok_fallback")
        batch.drop_column("byok_use")
    op.drop_table("provider_keys")
