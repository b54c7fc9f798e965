"""Budgets and rate limits, and the ledger rows that enforce them (SQL store).

Spend is kept per (budget, period start): a new period is a new row, so nothing is ever reset to zero and
past periods stay readable. Rate limits are token buckets kept as one "theoretical arrival time" per bucket.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, utcnow, workspace_fk

BUDGET_SCOPES = ("key", "project", "client")
RATE_SCOPES = ("key", "client")


class Budget(Base):
    __tablename__ = "budgets"
    __table_args__ = (Index("ix_budgets_scope", "workspace_id", "scope", "scope_id"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    scope: Mapped[str] = mapped_column(String(16))  # key | project | client
    scope_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    """The client the scope belongs to (the client itself for a client budget), for per-client listings."""
    name: Mapped[str] = mapped_column(String(200))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str] = mapped_column(String(16))  # daily | weekly | monthly | lifetime
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
    """Hard: a request that does not fit is refused. Soft: it passes and only alerts fire."""
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BudgetSpend(Base):
    """Spent and reserved micro-dollars of one budget in one period. Only ever incremented or decremented."""

    __tablename__ = "budget_spend"

    budget_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """No foreign key: like the Redis store's keys, these rows belong to the ledger; budgets are archived,
    never deleted, and an insert on the hot path does not pay for a constraint lookup."""
    period_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Unix seconds of the period's first instant (UTC); 0 for a lifetime budget."""
    spent_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    """Rounded half up from the exact spend: spent_micros × 10⁶ + spent_remainder_picos is exact."""
    reserved_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    refused_at: Mapped[int | None] = mapped_column(BigInteger)
    """Unix seconds of the first request this budget refused in the period (None: none yet); alerts read it."""
    spent_remainder_picos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """In [-500,000, 500,000): settles carry into spent_micros, so spend worth less than a micro-dollar a
    request still adds up (see prices.split_picos)."""


class RateLimit(Base):
    __tablename__ = "rate_limits"
    __table_args__ = (UniqueConstraint("workspace_id", "scope", "scope_id"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    scope: Mapped[str] = mapped_column(String(16))  # key | client
    scope_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    requests_per_min: Mapped[int | None] = mapped_column(Integer)
    tokens_per_min: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = created_at_column()


class RateBucket(Base):
    """A token bucket as GCRA keeps it: the instant (Unix microseconds) at which the bucket is full again."""

    __tablename__ = "rate_buckets"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    tat_us: Mapped[int] = mapped_column(BigInteger)


class BudgetHold(Base):
    """A reservation of one request that is not settled yet. If its process dies, the sweep releases it after
    `expires_at`; settle deletes it (and releases the reservation only if it found it, so never twice)."""

    __tablename__ = "budget_holds"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    """Unix seconds."""
    lines: Mapped[str] = mapped_column(Text)
    """`budget_id:period_start:micros` per budget row reserved against, separated by spaces."""


class LaneWindow(Base):
    """A flat lane's current capacity window, shared by every process (see budgets/lane_windows.py)."""

    __tablename__ = "lane_windows"

    lane_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_us: Mapped[int] = mapped_column(BigInteger)
    """Unix microseconds: the window opened with the first request after the previous one ended."""
    used: Mapped[int] = mapped_column(BigInteger)
    """Requests or tokens settled in this window."""
    held: Mapped[int] = mapped_column(BigInteger)
    """Requests or estimated tokens admitted and not settled yet."""
