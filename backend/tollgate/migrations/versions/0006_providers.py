"""lanes.settings (provider options: Azure deployments and api-version, OpenRouter headers, price provider);
model_aliases (workspace aliases such as `fast` → a real model)

Revision ID: 0006_providers
Revises: 0005_admin, 0005_alerts, 0005_metering, 0005_reports, 0005_surface
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_providers"
down_revision = ("0005_admin", "0005_alerts", "0005_metering", "0005_reports", "0005_surface")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lanes") as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=True))
    op.create_table(
        "model_aliases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "alias"),
    )
    op.create_index("ix_model_aliases_workspace_id", "model_aliases", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_model_aliases_workspace_id", table_name="model_aliases")
    op.drop_table("model_aliases")
    with op.batch_alter_table("lanes") as batch:
        batch.drop_column("settings")
