"""A client's monthly usage report: the job's state, the figures (the one source of every format), the printed
HTML and PDF, and its share link's state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, utcnow, workspace_fk

REPORT_STATUSES = ("queued", "running", "ready", "failed")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("workspace_id", "client_id", "month"),)
    """One report per client and month: making it again regenerates that row (the monthly run relies on it to
    make each report once across processes)."""

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    html: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    share_nonce: Mapped[str | None] = mapped_column(String(32))
    """Signed into share links; a new nonce (or None) revokes every link issued before."""
    share_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = created_at_column()
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class MonthlyClose(Base):
    """The claim of the 1st-of-month run on one client and month: whoever inserts it makes that month's report
    and invoice draft; every other process or host finds the row and does nothing."""

    __tablename__ = "monthly_closes"

    workspace_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    created_at: Mapped[dt.datetime] = created_at_column()
