"""budgets, rate limits, alerts and webhooks

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ws() -> sa.Column:
    return sa.Column(
        "workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_id", sa.String(32), nullable=False),
        sa.Column(
            "client_id", sa.String(32), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("hard", sa.Boolean(), nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_budgets_scope", "budgets", ["workspace_id", "scope", "scope_id"])
    op.create_table(
        "budget_spend",
        sa.Column("budget_id", sa.String(32), primary_key=True),
        sa.Column("period_start", sa.BigInteger(), primary_key=True),
        sa.Column("spent_micros", sa.BigInteger(), nullable=False),
        sa.Column("reserved_micros", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "rate_limits",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_id", sa.String(32), nullable=False),
        sa.Column(
            "client_id", sa.String(32), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("requests_per_min", sa.Integer(), nullable=True),
        sa.Column("tokens_per_min", sa.Integer(), nullable=True),
        _created(),
        sa.UniqueConstraint("workspace_id", "scope", "scope_id"),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("bucket", sa.String(64), primary_key=True),
        sa.Column("tat_us", sa.BigInteger(), nullable=False),
    )
    _alerts()


def _alerts() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        sa.Column("budget_id", sa.String(32), sa.ForeignKey("budgets.id", ondelete="CASCADE"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=True),
        sa.Column("spike_window", sa.String(8), nullable=True),
        sa.Column("spike_factor_percent", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _created(),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("client_id", sa.String(32), nullable=True),
        sa.Column("budget_id", sa.String(32), nullable=True),
        sa.Column("rule_id", sa.String(32), nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _created(),
    )
    op.create_index("ix_alert_events_ws_time", "alert_events", ["workspace_id", "created_at"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("client_ids", sa.JSON(), nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        _created(),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.String(32), nullable=False, index=True),
        sa.Column(
            "subscription_id",
            sa.String(32),
            sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created(),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in (
        "webhook_deliveries",
        "webhook_subscriptions",
        "alert_events",
        "alert_rules",
        "rate_buckets",
        "rate_limits",
        "budget_spend",
        "budgets",
    ):
        op.drop_table(table)
