"""What the ledger knows about a key: its budgets, rate limits and price overrides. Plain data, cached
with the key's `KeyContext` so the hot path never queries definitions per request. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..metering.prices import OverridePrice
from .periods import Period


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    id: str
    scope: str  # key | project | client
    scope_id: str
    name: str
    amount_micros: int
    period: Period
    hard: bool

    def describe(self) -> str:
        return f"{self.scope} budget '{self.name}' ({self.period.value}, {format_usd(self.amount_micros)})"


@dataclass(frozen=True, slots=True)
class RateSpec:
    id: str
    scope: str  # key | client
    requests_per_min: int | None
    tokens_per_min: int | None


@dataclass(frozen=True, slots=True)
class Limits:
    timezone: str = "UTC"
    budgets: tuple[BudgetSpec, ...] = ()
    """The key's own, its client's, and those of every project of the client (chosen per request)."""
    rates: tuple[RateSpec, ...] = ()
    overrides: Mapping[str, OverridePrice] = field(default_factory=dict)

    def budgets_for(self, key_id: str, client_id: str, project_id: str | None) -> tuple[BudgetSpec, ...]:
        """Every budget a request by this key, for this project, must pass. The key-scoped budgets loaded are
        the key's lineage's (this key's, and those of the keys it replaced or that replace it), so all apply."""
        wanted = {("key", key_id), ("client", client_id)}
        if project_id is not None:
            wanted.add(("project", project_id))
        return tuple(b for b in self.budgets if b.scope == "key" or (b.scope, b.scope_id) in wanted)

    @property
    def enforces_anything(self) -> bool:
        return bool(self.budgets or self.rates)


NO_LIMITS = Limits()


def format_usd(micros: int) -> str:
    """$12.50; under a cent every significant micro-dollar digit ($0.0042, $0.00003), never a misleading $0.0000."""
    dollars = Decimal(micros) / 1_000_000  # Decimal, not float: $0.125 must not print as $0.12 by accident
    if micros >= 10_000 or micros == 0:
        return f"${dollars.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    return "$" + f"{dollars:.6f}".rstrip("0")
