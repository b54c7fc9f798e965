"""metering: exact sub-micro-dollar remainders of request values, usage events and budget spend

Revision ID: 0005_metering
Revises: 0004_budget_holds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_metering"
down_revision = "0004_budget_holds"
branch_labels = None
depends_on = "0002"  # request_logs and usage_events columns (0002 is a parallel head)

_REMAINDERS = (
    ("request_logs", "value_remainder_picos"),
    ("request_logs", "cost_remainder_picos"),
    ("usage_events", "value_remainder_picos"),
    ("usage_events", "cost_remainder_picos"),
    ("budget_spend", "spent_remainder_picos"),
)


def upgrade() -> None:
    for table, column in _REMAINDERS:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table, column in reversed(_REMAINDERS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
