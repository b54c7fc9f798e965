"""/price-overrides: the workspace's own per-model rates (custom models, negotiated prices).

Overrides are cached with each key (`KeyContext.limits`), so the commit of every change invalidates the key
cache in every process (`config_changes.py`): the very next admission prices with the new rates."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...ids import new_id
from ...models import PriceOverride
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..pagination import contains, paginate
from ..schemas.workspace import (
    PriceOverrideListArgs,
    PriceOverridePageSchema,
    PriceOverrideSchema,
    PriceOverrideUpdateSchema,
)
from ..scope import get_or_404, scoped

bp = admin_blueprint("price_overrides", __name__, "Price overrides: per-model rates that win over list prices.")
_public = PriceOverrideSchema()


@bp.route("/price-overrides", methods=["GET"])
@requires("read")
@bp.arguments(PriceOverrideListArgs, location="query")
@bp.response(200, PriceOverridePageSchema)
def list_overrides(args: dict[str, Any]) -> dict[str, Any]:
    """List price overrides."""
    query = scoped(PriceOverride)
    if args.get("q"):
        query = query.where(contains(PriceOverride.model, args["q"]))
    return paginate(query, PriceOverride, args)


@bp.route("/price-overrides", methods=["POST"])
@requires("write")
@bp.arguments(PriceOverrideSchema)
@bp.response(201, PriceOverrideSchema)
def create_override(data: dict[str, Any]) -> PriceOverride:
    """Set a model's price for this workspace (one override per model: 409 for a second)."""
    override = PriceOverride(id=new_id("prc"), workspace_id=actor().workspace_id, **data)
    db.session.add(override)
    db.session.flush()
    record("price_override.create", "price_override", override.id, after=snapshot(_public, override))
    commit()
    return override


@bp.route("/price-overrides/<override_id>", methods=["GET"])
@requires("read")
@bp.response(200, PriceOverrideSchema)
def get_override(override_id: str) -> PriceOverride:
    """Get one price override."""
    return get_or_404(PriceOverride, override_id)


@bp.route("/price-overrides/<override_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(PriceOverrideUpdateSchema)
@bp.response(200, PriceOverrideSchema)
def update_override(data: dict[str, Any], override_id: str) -> PriceOverride:
    """Change the rates of an override."""
    override = get_or_404(PriceOverride, override_id)
    before = snapshot(_public, override)
    for name, value in data.items():
        setattr(override, name, value)
    record("price_override.update", "price_override", override.id, *changed_fields(before, snapshot(_public, override)))
    commit()
    return override


@bp.route("/price-overrides/<override_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_override(override_id: str) -> None:
    """Remove an override: the model is priced at list price again."""
    override = get_or_404(PriceOverride, override_id)
    record("price_override.delete", "price_override", override.id, before=snapshot(_public, override))
    db.session.delete(override)
    commit()
