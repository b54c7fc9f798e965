"""/routing-policies: a client's ordered list of lanes (`default`: the workspace's policy for every client
without its own). PUT replaces the whole list; DELETE makes a client fall back to the default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ...extensions import db
from ...ids import new_id
from ...models import Lane, RouteEntry
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import commit, record
from ..pagination import decode_cursor, encode_cursor, unknown_cursor
from ..problems import abort
from ..schemas.lanes import RoutingListArgs, RoutingPolicyPageSchema, RoutingPolicySchema
from ..scope import client_or_404

bp = admin_blueprint("routing_policies", __name__, "Routing policies: which lanes serve a client, in order.")

DEFAULT_SCOPE = "default"


def _client_id(scope: str) -> str | None:
    if scope == DEFAULT_SCOPE:
        return None
    return client_or_404(scope).id


def _lane_ids(client_id: str | None) -> list[str]:
    rows = db.session.scalars(
        select(RouteEntry.lane_id)
        .where(
            RouteEntry.workspace_id == actor().workspace_id,
            RouteEntry.client_id.is_(None) if client_id is None else RouteEntry.client_id == client_id,
        )
        .order_by(RouteEntry.position)
    )
    return list(rows)


def _policy(client_id: str | None) -> dict[str, Any]:
    return {"scope": client_id or DEFAULT_SCOPE, "client_id": client_id, "lane_ids": _lane_ids(client_id)}


@bp.route("/routing-policies", methods=["GET"])
@requires("read")
@bp.arguments(RoutingListArgs, location="query")
@bp.response(200, RoutingPolicyPageSchema)
def list_policies(args: dict[str, Any]) -> dict[str, Any]:
    """List routing policies: the default one first, then each client that has its own."""
    owners = db.session.scalars(
        select(RouteEntry.client_id).where(RouteEntry.workspace_id == actor().workspace_id).distinct()
    ).all()
    scopes = sorted({o or "" for o in owners})  # "" (the default) sorts first
    if args.get("cursor"):
        after, _ = decode_cursor(args["cursor"], "scope")
        if not isinstance(after, str):
            unknown_cursor()
        scopes = [s for s in scopes if s > after]
    page = scopes[: args["limit"]]
    more = len(scopes) > len(page)
    next_cursor = encode_cursor("scope", page[-1], 0) if more and page else None
    return {"data": [_policy(s or None) for s in page], "next_cursor": next_cursor}


@bp.route("/routing-policies/<scope>", methods=["GET"])
@requires("read")
@bp.response(200, RoutingPolicySchema)
def get_policy(scope: str) -> dict[str, Any]:
    """Get the default policy (`default`) or a client's (its id); empty `lane_ids` when it has none."""
    return _policy(_client_id(scope))


@bp.route("/routing-policies/<scope>", methods=["PUT"])
@requires("write")
@bp.arguments(RoutingPolicySchema)
@bp.response(200, RoutingPolicySchema)
def put_policy(data: dict[str, Any], scope: str) -> dict[str, Any]:
    """Replace a policy's ordered lanes. A client's BYOK lane may only appear in that client's policy."""
    client_id = _client_id(scope)
    lane_ids: list[str] = data["lane_ids"]
    _check_lanes(lane_ids, client_id)
    before = _lane_ids(client_id)
    _delete_entries(client_id)
    db.session.flush()
    for position, lane_id in enumerate(lane_ids, start=1):
        db.session.add(
            RouteEntry(
                id=new_id("rte"),
                workspace_id=actor().workspace_id,
                client_id=client_id,
                position=position,
                lane_id=lane_id,
            )
        )
    record("routing_policy.update", "routing_policy", client_id, {"lane_ids": before}, {"lane_ids": lane_ids})
    commit()
    return _policy(client_id)


def _check_lanes(lane_ids: list[str], client_id: str | None) -> None:
    if len(set(lane_ids)) != len(lane_ids):
        abort(422, "A lane may appear only once in a policy.", {"lane_ids": ["Duplicate lane."]})
    lanes = {
        lane.id: lane
        for lane in db.session.scalars(
            select(Lane).where(Lane.workspace_id == actor().workspace_id, Lane.id.in_(lane_ids))
        )
    }
    missing = [i for i in lane_ids if i not in lanes]
    if missing:
        detail = "No lane with id " + ", ".join(f"'{i}'" for i in missing) + " in this workspace."
        abort(404, detail, {"lane_ids": [f"No lane {i}." for i in missing]})
    foreign = [i for i in lane_ids if lanes[i].owner_client_id not in (None, client_id)]
    if foreign:
        abort(422, "Another client's own lane cannot route this traffic.", {"lane_ids": foreign})


def _delete_entries(client_id: str | None) -> None:
    db.session.execute(
        delete(RouteEntry).where(
            RouteEntry.workspace_id == actor().workspace_id,
            RouteEntry.client_id.is_(None) if client_id is None else RouteEntry.client_id == client_id,
        )
    )


@bp.route("/routing-policies/<scope>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_policy(scope: str) -> None:
    """Remove a client's own policy (it then uses the default) or empty the default policy."""
    client_id = _client_id(scope)
    before = _lane_ids(client_id)
    if before:
        _delete_entries(client_id)
        record("routing_policy.delete", "routing_policy", client_id, {"lane_ids": before}, None)
        commit()
