"""upstream objects: which lane and client created a response or conversation; background responses' holds

Revision ID: 0005_surface
Revises: 0004_budget_holds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_surface"
down_revision = "0004_budget_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upstream_objects",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("lane_id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pending", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_upstream_objects_created", "upstream_objects", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_upstream_objects_created", table_name="upstream_objects")
    op.drop_table("upstream_objects")
