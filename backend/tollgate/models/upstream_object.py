"""Objects a provider keeps for a client (responses, conversations): which lane made them and whose they are.

Follow-ups (retrieve, cancel, delete, items) must reach the lane that created the object, and only the creating
client may address it. A background response also carries, until its usage is known, what settling it needs
(the create's log record and its budget hold). Never message content.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, utcnow


class UpstreamObject(Base):
    __tablename__ = "upstream_objects"
    __table_args__ = (Index("ix_upstream_objects_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    """The provider's id (`resp_…`, `conv_…`): random and unique across providers."""
    kind: Mapped[str] = mapped_column(String(16))  # response | conversation
    workspace_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    lane_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str] = mapped_column(String(40))
    """The request that created it (its request-log row)."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    pending: Mapped[str | None] = mapped_column(Text)
    """A background response whose usage is not known yet: JSON with the create's record and budget hold.
    Cleared (exactly once, by a conditional update) by whoever settles it."""
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """When the sweep last asked the lane about a pending response."""
