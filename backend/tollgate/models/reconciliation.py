"""Reconciliation: a lane's provider-report credential, and runs comparing Tollgate's metered cost with the
provider's own report, per UTC day and model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import BigIntPK, UTCDateTime, created_at_column, id_column, workspace_fk


class ReportCredential(Base):
    """The provider's admin key that reads usage and cost reports (OpenAI admin key, Anthropic Admin API key).
    Kept apart from the lane's inference key: a different secret with different powers, encrypted by the vault,
    shown as last 4 and fingerprint only."""

    __tablename__ = "lane_report_credentials"

    lane_id: Mapped[str] = mapped_column(String(32), ForeignKey("lanes.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = workspace_fk()
    base_url: Mapped[str | None] = mapped_column(String(2000))
    """Where the report API lives; None: the lane's own base URL."""
    scope: Mapped[str | None] = mapped_column(String(200))
    """The OpenAI project id / Anthropic workspace id the lane's key belongs to: the report is narrowed to it.
    None: the whole organization's report (right when the organization serves only this lane)."""
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = created_at_column()


class ReconciliationRun(Base):
    """One comparison of a lane over [start_day, end_day] (UTC days, both included)."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_lane", "lane_id", "created_at"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    lane_id: Mapped[str] = mapped_column(String(32), ForeignKey("lanes.id", ondelete="CASCADE"))
    client_id: Mapped[str | None] = mapped_column(String(32))
    """The lane's owner client (BYOK lanes): a client token sees its own lane's runs and no other."""
    provider: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(8))  # api | csv
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual | schedule
    start_day: Mapped[dt.date] = mapped_column(Date)
    end_day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # ok | gap | failed
    tollgate_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_cost_usd: Mapped[str] = mapped_column(String(40), default="0")
    """The provider's total as the exact decimal it reported (summed with Decimal, never float)."""
    difference_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    difference_percent: Mapped[str | None] = mapped_column(String(40))
    gap_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ReconciliationRow(Base):
    """One UTC day and model of a run: both sides, and provider − Tollgate."""

    __tablename__ = "reconciliation_rows"
    __table_args__ = (Index("ix_reconciliation_rows_run", "run_id", "day", "model"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("reconciliation_runs.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date)
    model: Mapped[str] = mapped_column(String(200))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    tollgate_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    tollgate_output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    """From the provider's usage report; None for a CSV import (an export has costs only)."""
    provider_output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    tollgate_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_cost_usd: Mapped[str] = mapped_column(String(40), default="0")
    difference_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    difference_percent: Mapped[str | None] = mapped_column(String(40))
