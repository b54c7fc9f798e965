"""Billing plans (one row per client and month it takes effect: the history) and invoices made from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, utcnow, workspace_fk


class BillingPlan(Base):
    """The plan a client is billed on from `effective_month` until the month of its next row."""

    __tablename__ = "billing_plans"
    __table_args__ = (UniqueConstraint("client_id", "effective_month"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    effective_month: Mapped[str] = mapped_column(String(7))
    """YYYY-MM, a calendar month of the workspace's time zone (sorts as text)."""
    kind: Mapped[str] = mapped_column(String(16))  # pass_through | cost_plus | retainer | byok | fixed
    usage_basis: Mapped[str] = mapped_column(String(8), default="cost")  # cost | value
    preset: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    markup_bp: Mapped[int | None] = mapped_column(Integer)
    """cost_plus: the markup in basis points (3000 = 30%)."""
    monthly_fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    """retainer and fixed: the retainer; byok: the service fee. Whole cents."""
    included_tokens: Mapped[int | None] = mapped_column(BigInteger)
    overage_mtok_micros: Mapped[int | None] = mapped_column(BigInteger)
    """retainer: the price of a million tokens over the included ones. Whole cents."""
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Invoice(Base):
    """A client's invoice for one month, made from its plan and its usage. Made again (same number) until it
    is exported and booked by the accountant; `status` stays "draft": Tollgate never sends invoices."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("workspace_id", "client_id", "month"),
        UniqueConstraint("workspace_id", "number"),
    )

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    number: Mapped[str] = mapped_column(String(21))
    """YYYYMM-NNN, unique in the workspace; 21 characters at most (QuickBooks Online's limit)."""
    status: Mapped[str] = mapped_column(String(16), default="draft")
    plan_id: Mapped[str] = mapped_column(String(32))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The plan's terms as they were applied (the plan row may change later)."""
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    usage_subtotal_micros: Mapped[int] = mapped_column(BigInteger)
    total_micros: Mapped[int] = mapped_column(BigInteger)
    tokens: Mapped[int] = mapped_column(BigInteger)
    overage_tokens: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
