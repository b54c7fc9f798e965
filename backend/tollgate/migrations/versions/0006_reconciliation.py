"""reconciliation: lane report credentials, reconciliation runs and their per-day, per-model rows

Revision ID: 0006_reconciliation
Revises: 0005_admin, 0005_alerts, 0005_metering, 0005_reports, 0005_surface
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reconciliation"
down_revision = ("0005_admin", "0005_alerts", "0005_metering", "0005_reports", "0005_surface")
branch_labels = None
depends_on = None


def _ws() -> sa.Column:
    return sa.Column(
        "workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )


def _lane(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "lane_id", sa.String(32), sa.ForeignKey("lanes.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key
    )


def _money() -> list[sa.Column]:
    return [
        sa.Column("tollgate_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("provider_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("provider_cost_usd", sa.String(40), nullable=False),
        sa.Column("difference_micros", sa.BigInteger(), nullable=False),
        sa.Column("difference_percent", sa.String(40), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "lane_report_credentials",
        _lane(primary_key=True),
        _ws(),
        sa.Column("base_url", sa.String(2000), nullable=True),
        sa.Column("scope", sa.String(200), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        _lane(),
        sa.Column("client_id", sa.String(32), nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("end_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_money(),
        sa.Column("gap_days", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reconciliation_runs_lane", "reconciliation_runs", ["lane_id", "created_at"])
    op.create_table(
        "reconciliation_rows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("reconciliation_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("tollgate_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("tollgate_output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("provider_input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("provider_output_tokens", sa.BigInteger(), nullable=True),
        *_money(),
    )
    op.create_index("ix_reconciliation_rows_run", "reconciliation_rows", ["run_id", "day", "model"])


def downgrade() -> None:
    op.drop_index("ix_reconciliation_rows_run", "reconciliation_rows")
    op.drop_table("reconciliation_rows")
    op.drop_index("ix_reconciliation_runs_lane", "reconciliation_runs")
    op.drop_table("reconciliation_runs")
    op.drop_table("lane_report_credentials")
