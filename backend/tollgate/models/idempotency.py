"""Idempotency keys of admin API POSTs: the request's hash and the response to replay for a retry.

The response body is stored sealed (AES-GCM, bound to the token and the key), since a create's answer holds
the secret it issued; rows live `RETENTION` and are purged by the periodic housekeeping job.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Connection, Integer, LargeBinary, String, UniqueConstraint, delete
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import BigIntPK, created_at_column


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    """0 while the first request with this key is still running."""
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The response body sealed by the vault (`idempotency_owner` as associated data), never plain text."""
    created_at: Mapped[dt.datetime] = created_at_column()


RETENTION: Final = dt.timedelta(hours=24)
"""How long a key replays its answer; after that the key is free again and the row is deleted."""


def delete_expired(conn: Connection, now: dt.datetime, workspace_id: str | None = None) -> int:
    """Delete the keys older than `RETENTION` (of one workspace, or of all); returns how many went."""
    query = delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - RETENTION)
    if workspace_id is not None:
        query = query.where(IdempotencyKey.workspace_id == workspace_id)
    return conn.execute(query).rowcount
