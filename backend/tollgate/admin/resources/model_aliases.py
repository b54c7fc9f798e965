"""/model-aliases: a workspace's own model names (`fast` → a real model), so a workflow never hard-codes a
vendor's model name and the agency can move it to another model in one place.

Aliases are cached with each key (`KeyContext.aliases`); the commit of every change invalidates the key cache in
every process (`config_changes.py`), so the next request resolves the alias anew."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...ids import new_id
from ...models import ModelAlias
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..pagination import paginate
from ..problems import abort
from ..schemas.aliases import ModelAliasListArgs, ModelAliasPageSchema, ModelAliasSchema, ModelAliasUpdateSchema
from ..scope import get_or_404, scoped

bp = admin_blueprint("model_aliases", __name__, "Model aliases: workspace names (e.g. `fast`) for real models.")
_public = ModelAliasSchema()


@bp.route("/model-aliases", methods=["GET"])
@requires("read")
@bp.arguments(ModelAliasListArgs, location="query")
@bp.response(200, ModelAliasPageSchema)
def list_aliases(args: dict[str, Any]) -> dict[str, Any]:
    """List model aliases."""
    return paginate(scoped(ModelAlias), ModelAlias, args)


@bp.route("/model-aliases", methods=["POST"])
@requires("write")
@bp.arguments(ModelAliasSchema)
@bp.response(201, ModelAliasSchema)
def create_alias(data: dict[str, Any]) -> ModelAlias:
    """Add an alias (one per name: 409 for a second; 409 for an alias naming itself)."""
    _not_itself(data["alias"], data["model"])
    alias = ModelAlias(id=new_id("mal"), workspace_id=actor().workspace_id, **data)
    db.session.add(alias)
    db.session.flush()
    record("model_alias.create", "model_alias", alias.id, after=snapshot(_public, alias))
    commit()
    return alias


@bp.route("/model-aliases/<alias_id>", methods=["GET"])
@requires("read")
@bp.response(200, ModelAliasSchema)
def get_alias(alias_id: str) -> ModelAlias:
    """Get one alias."""
    return get_or_404(ModelAlias, alias_id)


@bp.route("/model-aliases/<alias_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(ModelAliasUpdateSchema)
@bp.response(200, ModelAliasSchema)
def update_alias(data: dict[str, Any], alias_id: str) -> ModelAlias:
    """Point an alias at another model: the next request through any key of the workspace uses it."""
    alias = get_or_404(ModelAlias, alias_id)
    _not_itself(alias.alias, data.get("model"))
    before = snapshot(_public, alias)
    alias.model = data.get("model", alias.model)
    record("model_alias.update", "model_alias", alias.id, *changed_fields(before, snapshot(_public, alias)))
    commit()
    return alias


def _not_itself(alias: str, model: str | None) -> None:
    """An alias for its own name would loop; the two fields conflict (JSON Schema cannot compare them: 409)."""
    if model == alias:
        abort(409, f"The alias '{alias}' cannot stand for itself.", {"model": ["An alias cannot stand for itself."]})


@bp.route("/model-aliases/<alias_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_alias(alias_id: str) -> None:
    """Remove an alias: requests naming it are routed as a model of that name again."""
    alias = get_or_404(ModelAlias, alias_id)
    record("model_alias.delete", "model_alias", alias.id, before=snapshot(_public, alias))
    db.session.delete(alias)
    commit()
