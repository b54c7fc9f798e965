"""Sub-key: the bearer credential a client's workflow uses on /v1. Stored only as an HMAC."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk


class SubKey(Base):
    __tablename__ = "sub_keys"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    allowed_models: Mapped[list[str] | None] = mapped_column(JSON)
    """None: every model the client's lanes serve; a list: only these (exact ids or `prefix*`)."""
    created_at: Mapped[dt.datetime] = created_at_column()
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lineage_id: Mapped[str] = mapped_column(String(32), index=True)
    """The id of the first key of its rotation chain (its own id until it replaces another key). Key-scoped
    budgets and rate limits apply to every key of a lineage, so a rotation (and its overlap) keeps them."""
    agency_allowed_models: Mapped[list[str] | None] = mapped_column(JSON)
    """The widest `allowed_models` the agency allows this key (set by an agency role, or the client's
    `key_allowed_models` for a key a client token minted); a client token may only narrow within it."""
    agency_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """The latest expiry an agency role set; a client token may bring the expiry forward, never past it."""
