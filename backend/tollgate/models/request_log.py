"""One row per gateway request: who, which lane and model, tokens, money, timing. Never message content."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import BigIntPK, UTCDateTime


class RequestLog(Base):
    __tablename__ = "request_logs"
    __table_args__ = (
        Index("ix_request_logs_ws_time", "workspace_id", "created_at"),
        Index("ix_request_logs_client_time", "workspace_id", "client_id", "created_at"),
        Index("ix_request_logs_project_time", "workspace_id", "project_id", "created_at"),
        Index("ix_request_logs_key_time", "key_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    workspace_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str | None] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    end_user: Mapped[str | None] = mapped_column(String(256))
    metadata_: Mapped[dict[str, str] | None] = mapped_column("metadata", JSON)
    lane_id: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(32))
    model_requested: Mapped[str | None] = mapped_column(String(200))
    model_served: Mapped[str | None] = mapped_column(String(200))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(Integer, default=0)
    images: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Images generated (images endpoints)."""
    audio_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Input audio billed, milliseconds (transcriptions)."""
    value_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    """API-equivalent value at list price, integer micro-dollars."""
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    """What the call actually cost the agency, by the lane's payment kind."""
    value_remainder_picos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """value_micros × 10⁶ + this = the exact value in pico-dollars (sums stay exact; see prices.split_picos)."""
    cost_remainder_picos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priced: Mapped[bool] = mapped_column(Boolean, default=True)
    usage_estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The tokens are the gateway's estimate: the upstream answered, but its usage never arrived (the caller left
    mid-stream, the stream broke, the provider sent none)."""
    status_code: Mapped[int] = mapped_column(SmallInteger)
    error_code: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[int] = mapped_column(Integer)
    ttfb_ms: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    """Lanes passed over before the one that answered (or all tried, when none did), in order, each with its
    reason (`capacity_full`, `upstream_429`, ...); None when the first lane tried answered."""
