"""GET /v1/tollgate/cap-status: the calling sub-key's own budgets, so a workflow can check before a big batch.

Reads the ledger store (SQL or Redis), never the request logs, so it shows exactly what admission will see.
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request

from ..extensions import db
from ..gateway import errors
from ..gateway.errors import GatewayError
from ..services import services
from .status import worst_state

bp = Blueprint("tollgate_caps", __name__, url_prefix="/v1/tollgate")


@bp.get("/cap-status")
def key_cap_status() -> Response:
    svc = services()
    ctx = svc.keys.resolve(request.headers.get("Authorization"), lambda: db.session)
    if isinstance(ctx, GatewayError):
        return ctx.response()
    project_ref = request.headers.get("X-Project-ID") or request.args.get("project")
    project_id = ctx.projects.get(project_ref) if project_ref else ctx.project_id
    if project_ref and project_id is None:  # as the gateway answers it: never a status missing the project's budget
        return errors.attribution_denied(
            f"Project '{project_ref}' does not exist for this key's client.", "X-Project-ID"
        ).response()
    if project_ref and ctx.project_id is not None and project_id != ctx.project_id:
        return errors.attribution_denied("This key is bound to another project.", "X-Project-ID").response()
    budgets = ctx.limits.budgets_for(ctx.key_id, ctx.client_id, project_id)
    try:
        found = svc.ledger.statuses(budgets, ctx.limits.timezone)
    except Exception:
        return GatewayError(
            503, "Budget status cannot be read right now; retry shortly.", "budget_check_unavailable"
        ).response()
    body = {
        "object": "tollgate.cap_status",
        "key_id": ctx.key_id,
        "client_id": ctx.client_id,
        "project_id": project_id,
        "state": worst_state(found),
        "budgets": [s.to_json() for s in found],
    }
    return Response(orjson.dumps(body), mimetype="application/json")
