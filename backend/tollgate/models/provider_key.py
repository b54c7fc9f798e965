"""ProviderKey: a client's own provider account (BYOK), as the client added it, and where its verification stands.

The credential itself lives, encrypted and bound to its owner, in the BYOK lane the key created (`lane_id`):
one way to store and decrypt a credential. This row says what the key is for and whether it may serve.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk

KEY_STATUSES = ("pending", "verified", "failed", "revoked", "replaced")
"""pending: added, not checked yet; verified: serves; failed: the provider refused it (at verification or on a
request); revoked: removed by the client or agency; replaced: retired by a rotation to a newer key."""


class ProviderKey(Base):
    __tablename__ = "provider_keys"

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    lane_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("lanes.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(String(32))
    purposes: Mapped[list[str]] = mapped_column(JSON)
    label: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    """Why it failed, was revoked or replaced, in words a client can act on (never the key)."""
    credential_last4: Mapped[str | None] = mapped_column(String(4))
    credential_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """When it stopped serving (failed, revoked, replaced)."""
