"""Tenant scoping: every query an admin view runs goes through here, so another workspace's rows (or, for a
client token, another client's rows) simply do not exist: the answer is 404, never 403, never a leak."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, false, select

from ..extensions import db
from ..models import Client
from .auth import actor
from .problems import abort

M = TypeVar("M")


def scoped(model: type[M]) -> Select[Any]:
    """`SELECT model` limited to the caller's workspace and, for a client token, to its client."""
    who = actor()
    query = select(model).where(model.workspace_id == who.workspace_id)  # type: ignore[attr-defined]
    if who.client_id is not None:
        column = _client_column(model)
        if column is None:
            return query.where(false())
        query = query.where(column == who.client_id)
    return query


def _client_column(model: type[Any]) -> Any:
    if model is Client:
        return Client.id
    return getattr(model, "client_id", None)


def get_or_404(model: type[M], object_id: str | int) -> M:
    found: M | None = db.session.scalars(scoped(model).where(model.id == object_id)).first()  # type: ignore[attr-defined]
    if found is None:
        abort(404, f"No {_noun(model)} with id '{object_id}' in this workspace.")
    return found


def client_or_404(client_id: str) -> Client:
    """The caller's client with this id (used when a body names a client)."""
    return get_or_404(Client, client_id)


def live_client_or_404(client_id: str) -> Client:
    """`client_or_404`, and 409 when the client is archived: it gets no new projects or keys (the gateway
    refuses every key of an archived client)."""
    client = client_or_404(client_id)
    if client.archived_at is not None:
        abort(409, f"The client '{client_id}' is archived.")
    return client


def forced_client_id(requested: str | None) -> str | None:
    """For a client token the client filter is fixed to its own client; asking for another one finds nothing."""
    own = actor().client_id
    if own is None:
        return requested
    if requested is not None and requested != own:
        abort(404, f"No client with id '{requested}' in this workspace.")
    return own


def _noun(model: type[Any]) -> str:
    return str(getattr(model, "__tablename__", "resource")).rstrip("s").replace("_", " ")
