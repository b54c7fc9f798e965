"""/budgets, /rate-limits and cap status per client, project and sub-key.

Definitions change here; the gateway reads them from its per-key cache, which every commit of a change
invalidates in every process (`config_changes.py`). Spend is read from the ledger store, so cap status
shows exactly what admission sees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...budgets import manage
from ...budgets.loader import budget_spec
from ...budgets.status import worst_state
from ...extensions import db
from ...models import Budget, Client, Project, RateLimit, SubKey, Workspace
from ...services import services
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import commit, record, snapshot
from ..pagination import paginate
from ..problems import abort
from ..schemas.budgets import (
    BudgetListArgs,
    BudgetPageSchema,
    BudgetSchema,
    BudgetUpdateSchema,
    CapStatusSchema,
    RateLimitListArgs,
    RateLimitPageSchema,
    RateLimitSchema,
)
from ..scope import forced_client_id, get_or_404, scoped

bp = admin_blueprint("budgets", __name__, "Budgets, rate limits and cap status of clients, projects and sub-keys.")
_rate_public = RateLimitSchema()


@bp.route("/budgets", methods=["GET"])
@requires("read", client=True)
@bp.arguments(BudgetListArgs, location="query")
@bp.response(200, BudgetPageSchema)
def list_budgets(args: dict[str, Any]) -> dict[str, Any]:
    """List budgets (archived ones are left out)."""
    query = scoped(Budget).where(Budget.archived_at.is_(None))
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(Budget.client_id == client_id)
    for name in ("scope", "scope_id"):
        if args.get(name):
            query = query.where(getattr(Budget, name) == args[name])
    return paginate(query, Budget, args)


@bp.route("/budgets", methods=["POST"])
@requires("write")
@bp.arguments(BudgetSchema)
@bp.response(201, BudgetSchema)
def create_budget(data: dict[str, Any]) -> Budget:
    """Set a budget on a sub-key, a project or a client. Every budget that applies to a request must pass."""
    try:
        budget = manage.create_budget(
            db.session, actor().workspace_id, actor=actor().label, **{k: v for k, v in data.items() if v is not None}
        )
    except manage.ScopeNotFound as exc:
        abort(404, str(exc), {"scope_id": [str(exc)]})
    except manage.ScopeError as exc:
        abort(422, str(exc), {"scope": [str(exc)]})
    commit()
    return budget


@bp.route("/budgets/<budget_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, BudgetSchema)
def get_budget(budget_id: str) -> Budget:
    """Get one budget."""
    return get_or_404(Budget, budget_id)


@bp.route("/budgets/<budget_id>", methods=["PATCH"])
@requires("write")
@bp.arguments(BudgetUpdateSchema)
@bp.response(200, BudgetSchema)
def update_budget(data: dict[str, Any], budget_id: str) -> Budget:
    """Change a budget's amount, period, name or hard/soft. Spend already recorded is kept."""
    budget = _live(budget_id)
    manage.update_budget(db.session, budget, data, actor=actor().label)
    commit()
    return budget


@bp.route("/budgets/<budget_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_budget(budget_id: str) -> None:
    """Remove a budget (archived: its spend history stays in reports)."""
    manage.archive_budget(db.session, _live(budget_id), actor=actor().label)
    commit()


def _live(budget_id: str) -> Budget:
    budget = get_or_404(Budget, budget_id)
    if budget.archived_at is not None:
        abort(404, f"No budget with id '{budget_id}' in this workspace.")
    return budget


def _cap_status(scope: str, scope_id: str, client_id: str, applies_to: Any = None) -> dict[str, Any]:
    """`applies_to`: the scope ids whose budgets count (default: `scope_id` alone)."""
    budgets = db.session.scalars(
        select(Budget).where(
            Budget.workspace_id == actor().workspace_id,
            Budget.client_id == client_id,
            Budget.scope == scope,
            Budget.scope_id.in_(applies_to) if applies_to is not None else Budget.scope_id == scope_id,
            Budget.archived_at.is_(None),
        )
    ).all()
    timezone = db.session.get(Workspace, actor().workspace_id)
    found = services().ledger.statuses([budget_spec(b) for b in budgets], timezone.timezone if timezone else "UTC")
    return {"scope": scope, "scope_id": scope_id, "state": worst_state(found), "budgets": [s.to_json() for s in found]}


@bp.route("/clients/<client_id>/cap-status", methods=["GET"])
@requires("read", client=True)
@bp.response(200, CapStatusSchema)
def client_cap_status(client_id: str) -> dict[str, Any]:
    """Where the client's budgets stand: spent, reserved, remaining, percent used, projection, state."""
    client = get_or_404(Client, client_id)
    return _cap_status("client", client.id, client.id)


@bp.route("/projects/<project_id>/cap-status", methods=["GET"])
@requires("read", client=True)
@bp.response(200, CapStatusSchema)
def project_cap_status(project_id: str) -> dict[str, Any]:
    """Where the project's budgets stand."""
    project = get_or_404(Project, project_id)
    return _cap_status("project", project.id, project.client_id)


@bp.route("/sub-keys/<key_id>/cap-status", methods=["GET"])
@requires("read", client=True)
@bp.response(200, CapStatusSchema)
def key_cap_status(key_id: str) -> dict[str, Any]:
    """Where the sub-key's own budgets stand (its client's and project's budgets apply too; see those). A key's
    own budgets are those of its rotation lineage: a rotated key and its replacement share them."""
    key = get_or_404(SubKey, key_id)
    lineage = select(SubKey.id).where(SubKey.lineage_id == key.lineage_id)
    return _cap_status("key", key.id, key.client_id, lineage)


@bp.route("/rate-limits", methods=["GET"])
@requires("read", client=True)
@bp.arguments(RateLimitListArgs, location="query")
@bp.response(200, RateLimitPageSchema)
def list_rate_limits(args: dict[str, Any]) -> dict[str, Any]:
    """List rate limits."""
    query = scoped(RateLimit)
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(RateLimit.client_id == client_id)
    return paginate(query, RateLimit, args)


@bp.route("/rate-limits", methods=["PUT"])
@requires("write")
@bp.arguments(RateLimitSchema)
@bp.response(200, RateLimitSchema)
def put_rate_limit(data: dict[str, Any]) -> RateLimit:
    """Set the requests- and tokens-per-minute limit of a sub-key or a client (one per scope; replaces it)."""
    try:
        limit = manage.set_rate_limit(
            db.session,
            actor().workspace_id,
            data["scope"],
            data["scope_id"],
            data.get("requests_per_min"),
            data.get("tokens_per_min"),
            actor=actor().label,
        )
    except manage.ScopeNotFound as exc:
        abort(404, str(exc), {"scope_id": [str(exc)]})
    except manage.ScopeError as exc:
        abort(422, str(exc), {"scope": [str(exc)]})
    commit()
    return limit


@bp.route("/rate-limits/<rate_limit_id>", methods=["DELETE"])
@requires("write")
@bp.response(204)
def delete_rate_limit(rate_limit_id: str) -> None:
    """Remove a rate limit."""
    limit = get_or_404(RateLimit, rate_limit_id)
    record("rate_limit.delete", "rate_limit", limit.id, before=snapshot(_rate_public, limit))
    db.session.delete(limit)
    commit()
