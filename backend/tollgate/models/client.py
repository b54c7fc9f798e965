"""Client (the agency's customer, a tenant) and Project (one workflow of a client)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import UTCDateTime, created_at_column, id_column, workspace_fk


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = created_at_column()
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    key_allowed_models: Mapped[list[str] | None] = mapped_column(JSON)
    """Key policy (agency roles only): the models a key minted by this client's own token may use at most."""
    byok_use: Mapped[str] = mapped_column(String(16), default="own_account", server_default="own_account")
    """The client's choice: `own_account` (its verified provider keys serve first) or `agency_default`."""
    byok_fallback: Mapped[str] = mapped_column(String(16), default="agency_default", server_default="agency_default")
    """The agency's rule when the client's own key cannot serve: `agency_default` (its lanes) or `refuse`."""


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("client_id", "slug"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    client_id: Mapped[str] = mapped_column(String(32), ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = created_at_column()
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
