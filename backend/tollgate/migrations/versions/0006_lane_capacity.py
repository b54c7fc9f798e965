"""flat lanes' capacity windows (lane columns, the shared `lane_windows` counters); fallback attempts per log row

Revision ID: 0006_lane_capacity
Revises: 0005_admin, 0005_alerts, 0005_metering, 0005_reports, 0005_surface
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_lane_capacity"
down_revision = ("0005_admin", "0005_alerts", "0005_metering", "0005_reports", "0005_surface")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lanes") as batch:
        batch.add_column(sa.Column("capacity_limit", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("capacity_unit", sa.String(16), nullable=True))
        batch.add_column(sa.Column("capacity_window_s", sa.Integer(), nullable=True))
    op.create_table(
        "lane_windows",
        sa.Column("lane_id", sa.String(32), primary_key=True),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
    )
    op.add_column("request_logs", sa.Column("attempts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_logs") as batch:
        batch.drop_column("attempts")
    op.drop_table("lane_windows")
    with op.batch_alter_table("lanes") as batch:
        batch.drop_column("capacity_window_s")
        batch.drop_column("capacity_unit")
        batch.drop_column("capacity_limit")
