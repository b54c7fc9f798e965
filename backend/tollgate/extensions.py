"""Flask extensions, created unbound and attached in `create_app` (no import-time work)."""

from __future__ import annotations

from typing import Any, TypeAlias

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

DbSession: TypeAlias = Session | scoped_session[Any]
"""A plain session or Flask-SQLAlchemy's scoped `db.session`: both work wherever a session is taken."""
