"""Usage that did not pass through the gateway, reported by the agency's own code (`tollgate.track`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import BigIntPK, UTCDateTime


class UsageEvent(Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_id", name="uq_usage_events_ws_event"),
        Index("ix_usage_events_ws_time", "workspace_id", "created_at"),
        Index("ix_usage_events_client_time", "workspace_id", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(100))
    """The sender's id of the event; a second event with the same id is ignored."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    """When the usage happened (the event's timestamp)."""
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    workspace_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    value_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    value_remainder_picos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cost_remainder_picos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priced: Mapped[bool] = mapped_column(Boolean, default=True)
    metadata_: Mapped[dict[str, str] | None] = mapped_column("metadata", JSON)
