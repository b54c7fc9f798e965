"""Load a key's `Limits` (budgets, rate limits, price overrides) when the key resolver caches the key.

One query per table on a cache miss; the hot path reads the cached result. Budgets of every project of the
key's client are loaded, since a request may name its project per call (X-Project-ID). Key-scoped budgets and
rate limits are those of every key of the key's rotation lineage: a rotation moves them to the new key, and the
old key, still live during the overlap, keeps counting against the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select

from ..extensions import DbSession
from ..metering.prices import OverridePrice
from ..models import Budget, PriceOverride, RateLimit, SubKey, Workspace
from .periods import Period
from .specs import BudgetSpec, Limits, RateSpec


def load_limits(
    session: DbSession, workspace_id: str, lineage_id: str, client_id: str, project_ids: Iterable[str]
) -> Limits:
    key_ids = select(SubKey.id).where(SubKey.lineage_id == lineage_id).scalar_subquery()
    scopes = or_(
        and_(Budget.scope == "key", Budget.scope_id.in_(key_ids)),
        and_(Budget.scope == "client", Budget.scope_id == client_id),
        and_(Budget.scope == "project", Budget.scope_id.in_(list(project_ids))),
    )
    budgets = session.scalars(
        select(Budget).where(Budget.workspace_id == workspace_id, Budget.archived_at.is_(None), scopes)
    ).all()
    rates = session.scalars(
        select(RateLimit).where(
            RateLimit.workspace_id == workspace_id,
            or_(
                and_(RateLimit.scope == "key", RateLimit.scope_id.in_(key_ids)),
                and_(RateLimit.scope == "client", RateLimit.scope_id == client_id),
            ),
        )
    ).all()
    overrides = session.scalars(select(PriceOverride).where(PriceOverride.workspace_id == workspace_id)).all()
    timezone = session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)) or "UTC"
    return Limits(
        timezone=timezone,
        budgets=tuple(budget_spec(b) for b in budgets),
        rates=tuple(
            RateSpec(r.id, r.scope, r.requests_per_min, r.tokens_per_min)
            for r in rates
            if r.requests_per_min or r.tokens_per_min
        ),
        overrides={
            o.model: OverridePrice(
                o.input_mtok_micros,
                o.output_mtok_micros,
                o.cached_input_mtok_micros,
                o.image_micros,
                o.audio_minute_micros,
            )
            for o in overrides
        },
    )


def budget_spec(budget: Budget) -> BudgetSpec:
    return BudgetSpec(
        id=budget.id,
        scope=budget.scope,
        scope_id=budget.scope_id,
        name=budget.name,
        amount_micros=budget.amount_micros,
        period=Period(budget.period),
        hard=budget.hard,
    )
