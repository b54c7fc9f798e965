"""/lanes: provider connections. The credential is write-only; base URLs pass the SSRF guard."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ... import provisioning
from ...extensions import db
from ...gateway.key_resolver import lane_capacity
from ...gateway.providers.settings import unread
from ...models import Lane
from ...models.base import utcnow
from ...services import services
from ...upstream_urls import upstream_url_problem
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..pagination import paginate
from ..problems import abort
from ..schemas.lanes import CapacityStatusSchema, LaneListArgs, LanePageSchema, LaneSchema, LaneUpdateSchema
from ..scope import client_or_404, get_or_404, scoped

bp = admin_blueprint("lanes", __name__, "Lanes: provider connections (base URL, credential, how they are paid).")
_public = LaneSchema()
log = logging.getLogger(__name__)


@bp.route("/lanes", methods=["GET"])
@requires("read")
@bp.arguments(LaneListArgs, location="query")
@bp.response(200, LanePageSchema)
def list_lanes(args: dict[str, Any]) -> dict[str, Any]:
    """List lanes, filtered by owner client, provider or payment kind."""
    query = scoped(Lane)
    for name in ("owner_client_id", "provider", "payment"):
        if args.get(name):
            query = query.where(getattr(Lane, name) == args[name])
    return paginate(query, Lane, args)


@bp.route("/lanes", methods=["POST"])
@requires("write")
@bp.arguments(LaneSchema)
@bp.response(201, LaneSchema)
def create_lane(data: dict[str, Any]) -> Lane:
    """Add a lane. `api_key` is encrypted at rest and never shown again."""
    _check(data, data["provider"])
    if data.get("owner_client_id"):
        client_or_404(data["owner_client_id"])
    lane = provisioning.create_lane(
        db.session,
        services().vault,
        actor().workspace_id,
        data["name"],
        data["base_url"],
        data.get("api_key"),
        provider=data["provider"],
        payment=data["payment"],
        owner_client_id=data.get("owner_client_id"),
        models=data.get("models"),
        actor=actor().label,
    )
    lane.monthly_fee_micros = data.get("monthly_fee_micros")
    lane.settings = data.get("settings")
    lane.capacity = data.get("capacity")
    commit()
    return lane


def _check(data: dict[str, Any], provider: str) -> None:
    """What the schema cannot see: the base URL's address (SSRF), and settings another provider reads (409, as
    they conflict with this lane's provider, stored or sent)."""
    if "base_url" in data:
        problem = upstream_url_problem(data["base_url"], services().settings.allow_private_upstreams)
        if problem:
            abort(422, "The lane has invalid fields: base_url.", {"base_url": [problem]})
    if names := unread(provider, data.get("settings")):
        errors = {f"settings.{name}": [f"Not read by a {provider} lane."] for name in names}
        abort(409, f"A {provider} lane does not read: " + ", ".join(names) + ".", errors)


@bp.route("/lanes/<lane_id>", methods=["GET"])
@requires("read")
@bp.response(200, LaneSchema)
def get_lane(lane_id: str) -> Lane:
    """Get one lane (the credential shows as last 4 and fingerprint only)."""
    return get_or_404(Lane, lane_id)


@bp.route("/lanes/<lane_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(LaneUpdateSchema)
@bp.response(200, LaneSchema)
def update_lane(data: dict[str, Any], lane_id: str) -> Lane:
    """Change a lane; a new `api_key` replaces the credential, `disabled` takes it out of routing."""
    lane = get_or_404(Lane, lane_id)
    _check(data, lane.provider)
    before = snapshot(_public, lane)
    if "api_key" in data:
        provisioning.set_lane_credential(lane, services().vault, data.pop("api_key"))
    if "disabled" in data:
        disabled = data.pop("disabled")
        lane.disabled_at = (lane.disabled_at or utcnow()) if disabled else None
    if "base_url" in data:
        data["base_url"] = data["base_url"].rstrip("/")
    if data.get("payment", lane.payment) != "flat":
        if data.get("capacity") is not None:  # `payment` not sent: the schema's rule could not see the lane's
            abort(409, f"Lane '{lane.id}' is {lane.payment}: only a flat lane has a capacity window.")
        data["capacity"] = None  # a lane whose payment changes away from flat loses its window
    for name, value in data.items():
        setattr(lane, name, value)
    record("lane.update", "lane", lane.id, *changed_fields(before, snapshot(_public, lane)))
    commit()
    return lane


@bp.route("/lanes/<lane_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_lane(lane_id: str) -> None:
    """Delete a lane; it leaves every routing policy it was in."""
    lane = get_or_404(Lane, lane_id)
    record("lane.delete", "lane", lane.id, before=snapshot(_public, lane))
    db.session.delete(lane)
    commit()


@bp.route("/lanes/<lane_id>/capacity", methods=["GET"])
@requires("read")
@bp.response(200, CapacityStatusSchema)
def lane_capacity_status(lane_id: str) -> dict[str, Any]:
    """Where a flat lane's capacity window stands: used, in flight, remaining, and when it resets. 404 for a lane
    without a window; 503 when the ledger store cannot be read."""
    lane = get_or_404(Lane, lane_id)
    capacity = lane_capacity(lane)
    if capacity is None:
        abort(404, f"Lane '{lane.id}' has no capacity window (only a flat lane with `capacity` set has one).")
    try:
        status = services().lane_windows.status(lane.id, capacity)
    except Exception:
        log.exception("could not read the capacity window of lane %s", lane.id)
        abort(503, "The ledger store holding capacity windows cannot be reached; retry shortly.")
    return {
        "lane_id": lane.id,
        "limit": status.limit,
        "unit": status.unit,
        "window_s": status.window_s,
        "used": status.used,
        "in_flight": status.held,
        "remaining": status.remaining,
        "window_started_at": _utc(status.started_at),
        "resets_at": _utc(status.resets_at),
    }


def _utc(seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)
