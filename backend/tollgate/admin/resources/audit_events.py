"""/audit-events: the workspace's change log (read-only)."""

from __future__ import annotations

from typing import Any

from ...models import AuditEvent
from ..auth import requires
from ..blueprint import admin_blueprint
from ..pagination import paginate
from ..schemas.audit import AuditEventPageSchema, AuditListArgs
from ..scope import scoped

bp = admin_blueprint("audit_events", __name__, "The audit log: who changed what, when and from where.")


@bp.route("/audit-events", methods=["GET"])
@requires("read")
@bp.arguments(AuditListArgs, location="query")
@bp.response(200, AuditEventPageSchema)
def list_audit_events(args: dict[str, Any]) -> dict[str, Any]:
    """List audit events, newest first, filtered by action, target, actor or time range."""
    query = scoped(AuditEvent)
    for name in ("action", "target_type", "target_id", "actor"):
        if args.get(name):
            query = query.where(getattr(AuditEvent, name) == args[name])
    if args.get("since"):
        query = query.where(AuditEvent.created_at >= args["since"])
    if args.get("until"):
        query = query.where(AuditEvent.created_at < args["until"])
    return paginate(query, AuditEvent, args)
