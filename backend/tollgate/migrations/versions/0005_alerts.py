"""budget_spend.refused_at: the first refusal of a budget's period, which alerts turn into cap.exceeded

Revision ID: 0005_alerts
Revises: 0004_budget_holds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_alerts"
down_revision = "0004_budget_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("budget_spend", sa.Column("refused_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("budget_spend") as batch:
        batch.drop_column("refused_at")
