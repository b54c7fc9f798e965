"""Alert rules, the events they fire, and webhook subscriptions with their delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk

RULE_KINDS = ("threshold", "spike")
EVENT_TYPES = (
    "cap.threshold_reached",
    "cap.exceeded",
    "spend.spike",
    "price.unknown",
    "report.ready",
    "invoice.ready",
    "byok.failed",
)


class AlertRule(Base):
    """`budget_id` None: the rule applies to every budget of the workspace (the editable defaults)."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    budget_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("budgets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # threshold | spike
    threshold_percent: Mapped[int | None] = mapped_column(Integer)
    """threshold: fire when spend reaches this percentage of the budget (100 fires cap.exceeded)."""
    spike_window: Mapped[str | None] = mapped_column(String(8))  # day | hour
    spike_factor_percent: Mapped[int | None] = mapped_column(Integer)
    """spike: fire when the window's spend exceeds the trailing 7-day average per window × factor / 100."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = created_at_column()


class AlertEvent(Base):
    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_ws_time", "workspace_id", "created_at"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    type: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[str | None] = mapped_column(String(32))
    budget_id: Mapped[str | None] = mapped_column(String(32))
    rule_id: Mapped[str | None] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    """rule + budget + period (or model + day): an event fires once per period per rule."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = created_at_column()


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    client_ids: Mapped[list[str] | None] = mapped_column(JSON)
    """None: events of every client; a list: only these clients' events."""
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    """The signing secret, encrypted by the vault: it must be readable to sign, and is shown once."""
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = created_at_column()
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), index=True)
    subscription_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(32), ForeignKey("alert_events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
