"""Creating and changing budgets and rate limits, with their audit events. Used by the admin API, the CLI
and tests alike. Committing the change invalidates the key cache (`config_changes.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import DbSession
from ..ids import new_id
from ..models import AlertRule, Budget, Client, Project, RateLimit, SubKey
from ..models.base import utcnow
from ..provisioning import audit
from .periods import Period

DEFAULT_THRESHOLDS = (50, 80, 100)
DEFAULT_SPIKE = (("day", 300), ("hour", 500))
"""Spend of today (last hour) above 3× (5×) the trailing 7-day average per day (hour)."""


class ScopeError(ValueError):
    """The scope is not one a budget (or rate limit) can have."""


class ScopeNotFound(ScopeError):
    """The scope id names nothing in this workspace."""


def scope_client_id(session: DbSession, workspace_id: str, scope: str, scope_id: str) -> str:
    model: Any = {"key": SubKey, "project": Project, "client": Client}.get(scope)
    if model is None:
        raise ScopeError(f"scope must be key, project or client, not {scope!r}")
    row = session.get(model, scope_id)
    if row is None or row.workspace_id != workspace_id:
        raise ScopeNotFound(f"No {scope} with id '{scope_id}' in this workspace.")
    return str(row.id if scope == "client" else row.client_id)


def budget_snapshot(budget: Budget) -> dict[str, Any]:
    return {
        "scope": budget.scope,
        "scope_id": budget.scope_id,
        "name": budget.name,
        "amount_micros": budget.amount_micros,
        "period": budget.period,
        "hard": budget.hard,
    }


def create_budget(
    session: DbSession,
    workspace_id: str,
    scope: str,
    scope_id: str,
    amount_micros: int,
    period: str = "monthly",
    hard: bool = True,
    name: str | None = None,
    actor: str = "cli",
) -> Budget:
    if amount_micros < 0:
        raise ValueError("amount_micros must not be negative")
    period = Period(period).value
    client_id = scope_client_id(session, workspace_id, scope, scope_id)
    budget = Budget(
        id=new_id("bud"),
        workspace_id=workspace_id,
        scope=scope,
        scope_id=scope_id,
        client_id=client_id,
        name=name or f"{period} {scope} budget",
        amount_micros=amount_micros,
        period=period,
        hard=hard,
    )
    session.add(budget)
    session.flush()
    ensure_default_rules(session, workspace_id)
    audit(session, workspace_id, actor, "budget.create", "budget", budget.id, after=budget_snapshot(budget))
    return budget


def update_budget(session: DbSession, budget: Budget, changes: dict[str, Any], actor: str = "cli") -> Budget:
    before = budget_snapshot(budget)
    for field in ("name", "amount_micros", "period", "hard"):
        if field in changes and changes[field] is not None:
            value = Period(changes[field]).value if field == "period" else changes[field]
            setattr(budget, field, value)
    budget.updated_at = utcnow()
    audit(session, budget.workspace_id, actor, "budget.update", "budget", budget.id, before, budget_snapshot(budget))
    return budget


def archive_budget(session: DbSession, budget: Budget, actor: str = "cli") -> None:
    """Budgets are archived, never deleted: their spend history stays readable."""
    budget.archived_at = utcnow()
    audit(session, budget.workspace_id, actor, "budget.archive", "budget", budget.id, before=budget_snapshot(budget))


def set_rate_limit(
    session: DbSession,
    workspace_id: str,
    scope: str,
    scope_id: str,
    requests_per_min: int | None,
    tokens_per_min: int | None,
    actor: str = "cli",
) -> RateLimit:
    if scope not in ("key", "client"):
        raise ScopeError("rate limits apply to a key or a client")
    client_id = scope_client_id(session, workspace_id, scope, scope_id)
    limit = session.scalars(
        select(RateLimit).where(
            RateLimit.workspace_id == workspace_id, RateLimit.scope == scope, RateLimit.scope_id == scope_id
        )
    ).first()
    before = None
    if limit is None:
        limit = RateLimit(id=new_id("rl"), workspace_id=workspace_id, scope=scope, scope_id=scope_id)
        limit.client_id = client_id
        session.add(limit)
    else:
        before = {"requests_per_min": limit.requests_per_min, "tokens_per_min": limit.tokens_per_min}
    limit.requests_per_min, limit.tokens_per_min = requests_per_min, tokens_per_min
    session.flush()
    after = {"scope": scope, "scope_id": scope_id, "requests_per_min": requests_per_min}
    after["tokens_per_min"] = tokens_per_min
    audit(session, workspace_id, actor, "rate_limit.set", "rate_limit", limit.id, before, after)
    return limit


def carry_key_limits(session: DbSession, workspace_id: str, old_key_id: str, new_key_id: str) -> list[str]:
    """A rotation moves the old key's budgets and rate limits to its replacement: the same rows, so spend so
    far and rate buckets carry on (the ledger keys them by budget and rate limit id). The old key keeps
    counting against them during its overlap (`loader`: key scope = the key's lineage). Returns the ids moved."""
    budgets = session.scalars(
        select(Budget).where(Budget.workspace_id == workspace_id, Budget.scope == "key", Budget.scope_id == old_key_id)
    ).all()
    limits = session.scalars(
        select(RateLimit).where(
            RateLimit.workspace_id == workspace_id, RateLimit.scope == "key", RateLimit.scope_id == old_key_id
        )
    ).all()
    for budget in budgets:
        budget.scope_id = new_key_id
    for limit in limits:
        limit.scope_id = new_key_id
    return [b.id for b in budgets] + [r.id for r in limits]


def ensure_default_rules(session: DbSession, workspace_id: str) -> None:
    """The workspace-wide defaults (50/80/100 % and burn-rate spikes), created once and editable after."""
    exists = session.scalar(select(AlertRule.id).where(AlertRule.workspace_id == workspace_id).limit(1))
    if exists is not None:
        return
    for percent in DEFAULT_THRESHOLDS:
        session.add(
            AlertRule(id=new_id("rule"), workspace_id=workspace_id, kind="threshold", threshold_percent=percent)
        )
    for window, factor in DEFAULT_SPIKE:
        session.add(
            AlertRule(
                id=new_id("rule"),
                workspace_id=workspace_id,
                kind="spike",
                spike_window=window,
                spike_factor_percent=factor,
            )
        )
    session.flush()
