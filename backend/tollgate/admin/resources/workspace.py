"""/workspace: the caller's workspace, its settings and brand. Deleting it (owner only) erases everything."""

from __future__ import annotations

from typing import Any

from ... import provisioning
from ...extensions import db
from ...models import Workspace
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..schemas.workspace import WorkspaceSchema

bp = admin_blueprint("workspace", __name__, "The workspace: the agency's settings and white-label brand.")
_public = WorkspaceSchema()


def _workspace() -> Workspace:
    found = db.session.get(Workspace, actor().workspace_id)
    assert found is not None  # the token's workspace exists: tokens are deleted with it
    return found


@bp.route("/workspace", methods=["GET"])
@requires("read", client=True)
@bp.response(200, WorkspaceSchema)
def get_workspace() -> Workspace:
    """Get the workspace's settings and brand (name, logo, colours, report footer, timezone, currency)."""
    return _workspace()


@bp.route("/workspace", methods=["PATCH"])
@requires("write")
@bp.arguments(WorkspaceSchema)
@bp.response(200, WorkspaceSchema)
def update_workspace(data: dict[str, Any]) -> Workspace:
    """Change settings or brand."""
    workspace = _workspace()
    before = snapshot(_public, workspace)
    for name, value in data.items():
        setattr(workspace, name, value)
    record("workspace.update", "workspace", workspace.id, *changed_fields(before, snapshot(_public, workspace)))
    commit()
    return workspace


@bp.route("/workspace", methods=["DELETE"])
@requires("owner")
@bp.response(204)
def delete_workspace() -> None:
    """Delete the workspace with all its clients, keys, lanes, tokens, logs and audit trail. Irreversible."""
    provisioning.delete_workspace(db.session, _workspace())
    db.session.commit()
