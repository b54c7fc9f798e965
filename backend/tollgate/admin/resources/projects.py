"""/projects: one workflow of a client (e.g. "support triage"). Deleting archives it."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...ids import new_id
from ...models import Project
from ...models.base import utcnow
from ..auth import requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, record, snapshot
from ..pagination import contains, paginate
from ..schemas.clients import ProjectListArgs, ProjectPageSchema, ProjectSchema, ProjectUpdateSchema
from ..scope import forced_client_id, get_or_404, live_client_or_404, scoped
from .clients import with_status

bp = admin_blueprint("projects", __name__, "Projects: the workflows of a client.")
_public = ProjectSchema()


@bp.route("/projects", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ProjectListArgs, location="query")
@bp.response(200, ProjectPageSchema)
def list_projects(args: dict[str, Any]) -> dict[str, Any]:
    """List projects, optionally of one client."""
    query = with_status(scoped(Project), Project, args["status"])
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(Project.client_id == client_id)
    if args.get("q"):
        query = query.where(contains(Project.name, args["q"]))
    return paginate(query, Project, args)


@bp.route("/projects", methods=["POST"])
@requires("write", client=True)
@bp.arguments(ProjectSchema)
@bp.response(201, ProjectSchema)
def create_project(data: dict[str, Any]) -> Project:
    """Create a project for a client. The slug must be unique within the client (409 otherwise)."""
    client = live_client_or_404(data["client_id"])
    project = Project(id=new_id("prj"), workspace_id=client.workspace_id, **data)
    db.session.add(project)
    db.session.flush()
    record("project.create", "project", project.id, after=snapshot(_public, project))
    db.session.commit()
    return project


@bp.route("/projects/<project_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ProjectSchema)
def get_project(project_id: str) -> Project:
    """Get one project."""
    return get_or_404(Project, project_id)


@bp.route("/projects/<project_id>", methods=["PATCH"])
@requires("write", client=True)
@bp.arguments(ProjectUpdateSchema)
@bp.response(200, ProjectSchema)
def update_project(data: dict[str, Any], project_id: str) -> Project:
    """Rename a project or change its slug."""
    project = get_or_404(Project, project_id)
    before = snapshot(_public, project)
    for name, value in data.items():
        setattr(project, name, value)
    db.session.flush()
    record("project.update", "project", project.id, *changed_fields(before, snapshot(_public, project)))
    db.session.commit()
    return project


@bp.route("/projects/<project_id>", methods=["DELETE"])
@requires("write", client=True)
@bp.response(204)
def archive_project(project_id: str) -> None:
    """Archive a project (its usage history stays)."""
    project = get_or_404(Project, project_id)
    if project.archived_at is None:
        project.archived_at = utcnow()
        record("project.archive", "project", project.id, after={"archived_at": project.archived_at.isoformat()})
        db.session.commit()
