"""/clients: the agency's customers. Deleting archives the client and revokes its sub-keys; unarchiving makes
it active again (its keys stay revoked: issue new ones)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, update

from ...extensions import db
from ...ids import new_id
from ...models import Client, SubKey
from ...models.base import utcnow
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, record, snapshot
from ..pagination import contains, paginate
from ..schemas.clients import ClientListArgs, ClientPageSchema, ClientSchema, ClientUpdateSchema
from ..scope import get_or_404, scoped

bp = admin_blueprint("clients", __name__, "The agency's customers (tenants).")
_public = ClientSchema()


@bp.route("/clients", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ClientListArgs, location="query")
@bp.response(200, ClientPageSchema)
def list_clients(args: dict[str, Any]) -> dict[str, Any]:
    """List clients (a client token sees only its own)."""
    query = with_status(scoped(Client), Client, args["status"])
    if args.get("q"):
        query = query.where(contains(Client.name, args["q"]))
    return paginate(query, Client, args)


def with_status(query: Select[Any], model: Any, status: str) -> Select[Any]:
    """`active` / `archived` / `all` for models with an `archived_at` column."""
    if status == "active":
        return query.where(model.archived_at.is_(None))
    if status == "archived":
        return query.where(model.archived_at.is_not(None))
    return query


@bp.route("/clients", methods=["POST"])
@requires("write")
@bp.arguments(ClientSchema)
@bp.response(201, ClientSchema)
def create_client(data: dict[str, Any]) -> Client:
    """Create a client. The slug must be unique in the workspace (409 otherwise)."""
    client = Client(id=new_id("cli"), workspace_id=actor().workspace_id, **data)
    db.session.add(client)
    db.session.flush()
    record("client.create", "client", client.id, after=snapshot(_public, client))
    db.session.commit()
    return client


@bp.route("/clients/<client_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ClientSchema)
def get_client(client_id: str) -> Client:
    """Get one client."""
    return get_or_404(Client, client_id)


@bp.route("/clients/<client_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(ClientUpdateSchema)
@bp.response(200, ClientSchema)
def update_client(data: dict[str, Any], client_id: str) -> Client:
    """Change a client's name, slug or external reference."""
    client = get_or_404(Client, client_id)
    before = snapshot(_public, client)
    for name, value in data.items():
        setattr(client, name, value)
    db.session.flush()
    record("client.update", "client", client.id, *changed_fields(before, snapshot(_public, client)))
    db.session.commit()
    return client


@bp.route("/clients/<client_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def archive_client(client_id: str) -> None:
    """Archive a client and revoke all its sub-keys (its usage history stays)."""
    client = get_or_404(Client, client_id)
    if client.archived_at is None:
        now = utcnow()
        client.archived_at = now
        db.session.execute(
            update(SubKey)
            .where(SubKey.client_id == client.id, SubKey.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        record("client.archive", "client", client.id, after={"archived_at": now.isoformat()})
        db.session.commit()


@bp.route("/clients/<client_id>/unarchive", methods=["POST"])
@requires("write")
@bp.response(200, ClientSchema)
def unarchive_client(client_id: str) -> Client:
    """Make an archived client active again: new projects and keys, and its client tokens work again. The
    sub-keys revoked by the archive stay revoked (issue new ones); an active client is returned unchanged."""
    client = get_or_404(Client, client_id)
    if client.archived_at is not None:
        record("client.unarchive", "client", client.id, before={"archived_at": client.archived_at.isoformat()})
        client.archived_at = None
        db.session.commit()
    return client
