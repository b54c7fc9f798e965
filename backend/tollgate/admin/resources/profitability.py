"""/profitability: which clients make money in a month, why the others do not, and the book as a whole.
The agency's own numbers: not for client-scoped tokens."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...invoicing import Month
from ...margins import profitability
from ...models import Workspace
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..schemas.profitability import ProfitabilitySchema, ProfitArgs

bp = admin_blueprint("profitability", __name__, "Profitability per client and month, and for the whole book.")


@bp.route("/profitability", methods=["GET"])
@requires("read")
@bp.arguments(ProfitArgs, location="query")
@bp.response(200, ProfitabilitySchema)
def get_profitability(args: dict[str, Any]) -> dict[str, Any]:
    """Revenue from each client's plan, cost to serve (metered cost, flat lanes' fees shared by value served,
    nothing for BYOK), margin and margin %, the unprofitable clients with reasons, and the book."""
    workspace = db.session.get(Workspace, actor().workspace_id)
    assert workspace is not None
    return profitability(db.session, workspace, Month.parse(args["month"]))
