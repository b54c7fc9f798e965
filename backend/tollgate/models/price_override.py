"""A workspace's own price for a model: custom models or negotiated rates. Micro-dollars per million tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import created_at_column, id_column, workspace_fk


class PriceOverride(Base):
    __tablename__ = "price_overrides"
    __table_args__ = (UniqueConstraint("workspace_id", "model"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    model: Mapped[str] = mapped_column(String(200))
    input_mtok_micros: Mapped[int] = mapped_column(BigInteger)
    cached_input_mtok_micros: Mapped[int | None] = mapped_column(BigInteger)
    output_mtok_micros: Mapped[int] = mapped_column(BigInteger)
    image_micros: Mapped[int | None] = mapped_column(BigInteger)
    """Per image generated, whatever its size and quality; wins over the token rates for an images call."""
    audio_minute_micros: Mapped[int | None] = mapped_column(BigInteger)
    """Per minute of input audio (billed by the millisecond); wins over the token rates for a transcription."""
    created_at: Mapped[dt.datetime] = created_at_column()
