"""billing plans (per client and month, with history), invoice drafts, monthly usage reports the claims
of the 1st-of-month run, and flat-fee lanes' monthly fees

Revision ID: 0005_reports
Revises: 0004_budget_holds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_reports"
down_revision = "0004_budget_holds"
branch_labels = None
depends_on = None


def _ws() -> sa.Column:
    return sa.Column(
        "workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    )


def _client() -> sa.Column:
    return sa.Column(
        "client_id", sa.String(32), sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )


def _times() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "billing_plans",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        _client(),
        sa.Column("effective_month", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("usage_basis", sa.String(8), nullable=False),
        sa.Column("preset", sa.String(16), nullable=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("markup_bp", sa.Integer(), nullable=True),
        sa.Column("monthly_fee_micros", sa.BigInteger(), nullable=True),
        sa.Column("included_tokens", sa.BigInteger(), nullable=True),
        sa.Column("overage_mtok_micros", sa.BigInteger(), nullable=True),
        *_times(),
        sa.UniqueConstraint("client_id", "effective_month"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        _client(),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("number", sa.String(21), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("usage_subtotal_micros", sa.BigInteger(), nullable=False),
        sa.Column("total_micros", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("overage_tokens", sa.BigInteger(), nullable=False),
        *_times(),
        sa.UniqueConstraint("workspace_id", "client_id", "month"),
        sa.UniqueConstraint("workspace_id", "number"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.String(32), primary_key=True),
        _ws(),
        _client(),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("share_nonce", sa.String(32), nullable=True),
        sa.Column("share_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("workspace_id", "client_id", "month"),
    )
    op.add_column("lanes", sa.Column("monthly_fee_micros", sa.BigInteger(), nullable=True))
    op.create_table(
        "monthly_closes",
        sa.Column("workspace_id", sa.String(32), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("client_id", sa.String(32), sa.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monthly_closes")
    with op.batch_alter_table("lanes") as batch:
        batch.drop_column("monthly_fee_micros")
    op.drop_table("reports")
    op.drop_table("invoices")
    op.drop_table("billing_plans")
