"""A workspace's model alias: `fast` → a real model, so a workflow never hard-codes a vendor's model name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from .base import created_at_column, id_column, workspace_fk


class ModelAlias(Base):
    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("workspace_id", "alias"),)

    id: Mapped[str] = id_column()
    workspace_id: Mapped[str] = workspace_fk()
    alias: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = created_at_column()
