"""budget holds: reservations that expire, so a crashed worker's reservation is released by the sweep

Revision ID: 0004_budget_holds
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_budget_holds"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_holds",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
    )
    op.create_index("ix_budget_holds_expires_at", "budget_holds", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_budget_holds_expires_at", table_name="budget_holds")
    op.drop_table("budget_holds")
