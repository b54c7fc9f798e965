"""Workspace: one agency, its brand, and the admin tokens that act for it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    primary_color: Mapped[str] = mapped_column(String(9), default="#1f2937")
    accent_color: Mapped[str] = mapped_column(String(9), default="#2563eb")
    report_footer: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[dt.datetime] = created_at_column()


class AdminToken(Base):
    """A bearer token for the admin API. Only its HMAC is stored; `client_id` scopes it to one client."""

    __tablename__ = "admin_tokens"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # owner | admin | viewer | client
    client_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[dt.datetime] = created_at_column()
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
