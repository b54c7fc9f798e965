"""Lane: a provider connection plus how it is paid; RouteEntry: a client's ordered list of lanes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk


class Lane(Base):
    __tablename__ = "lanes"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    owner_client_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    """None: the agency's lane; a client id: that client's BYOK lane, usable only for that client."""
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(32))  # wire format: "openai"
    base_url: Mapped[str] = mapped_column(String(2000))
    payment: Mapped[str] = mapped_column(String(16), default="metered")  # metered | flat | byok
    monthly_fee_micros: Mapped[int | None] = mapped_column(BigInteger)
    """flat: what the plan behind the lane costs the agency a month (profitability shares it out by value served)."""
    capacity_limit: Mapped[int | None] = mapped_column(BigInteger)
    """flat: requests or tokens the plan allows per window; None: no capacity is tracked (the plain path)."""
    capacity_unit: Mapped[str | None] = mapped_column(String(16))  # requests | tokens
    capacity_window_s: Mapped[int | None] = mapped_column(Integer)
    """The window's length: it opens at the first request after the previous window ended (e.g. 18,000: 5 hours)."""
    credential_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    credential_fingerprint: Mapped[str | None] = mapped_column(String(64))
    credential_last4: Mapped[str | None] = mapped_column(String(4))
    models: Mapped[list[str] | None] = mapped_column(JSON)
    """Models this lane serves (exact ids or `prefix*`); None: its provider family's models (see
    gateway/model_routing.py)."""
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Provider options (Azure deployments and api_version, OpenRouter headers, price_provider); validated by
    gateway/providers/settings.py."""
    created_at: Mapped[dt.datetime] = created_at_column()
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def capacity(self) -> dict[str, object] | None:
        """The three capacity columns as the admin API shows them (set together, or all None)."""
        if self.capacity_limit is None:
            return None
        return {"limit": self.capacity_limit, "unit": self.capacity_unit, "window_s": self.capacity_window_s}

    @capacity.setter
    def capacity(self, value: dict[str, object] | None) -> None:
        value = value or {}
        self.capacity_limit = value.get("limit")  # type: ignore[assignment]
        self.capacity_unit = value.get("unit")  # type: ignore[assignment]
        self.capacity_window_s = value.get("window_s")  # type: ignore[assignment]


class RouteEntry(Base):
    """One step of a routing policy. `client_id` None is the workspace default policy."""

    __tablename__ = "route_entries"
    __table_args__ = (UniqueConstraint("workspace_id", "client_id", "position"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    lane_id: Mapped[str] = mapped_column(String(32), ForeignKey("lanes.id", ondelete="CASCADE"))
