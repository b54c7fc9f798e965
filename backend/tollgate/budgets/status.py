"""Cap status: where a budget stands in its period and where it is heading. Pure.

The projection is the current burn rate carried to the period's end: spend so far ÷ time elapsed × period
length. A budget is `exceeded` when spend has reached it, `warning` from `WARN_PERCENT` or when the projection
overshoots, and `ok` otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..metering.prices import usd_string
from .periods import Window, window
from .specs import BudgetSpec, format_usd
from .store import Usage

WARN_PERCENT = 80
STATES = ("ok", "warning", "exceeded")


@dataclass(frozen=True, slots=True)
class CapStatus:
    budget: BudgetSpec
    period: Window
    spent_micros: int
    reserved_micros: int
    projected_micros: int | None
    state: str
    refused_at: dt.datetime | None = None
    """When the budget first refused a request in this period (hard budgets), None if it has not."""

    @property
    def limit_micros(self) -> int:
        return self.budget.amount_micros

    @property
    def remaining_micros(self) -> int:
        return max(self.limit_micros - self.spent_micros - self.reserved_micros, 0)

    @property
    def percent_used(self) -> float:
        if self.limit_micros <= 0:
            return 100.0 if self.spent_micros > 0 else 0.0
        return round(100 * self.spent_micros / self.limit_micros, 1)

    @property
    def summary(self) -> str:
        amounts = f"{format_usd(self.spent_micros)} of {format_usd(self.limit_micros)}"
        return f"{self.percent_used:g}% of {self.budget.period.value} budget ({amounts})"

    def to_json(self) -> dict[str, Any]:
        return {
            "budget_id": self.budget.id,
            "name": self.budget.name,
            "scope": self.budget.scope,
            "scope_id": self.budget.scope_id,
            "period": self.budget.period.value,
            "hard": self.budget.hard,
            "limit_micros": self.limit_micros,
            "spent_micros": self.spent_micros,
            "reserved_micros": self.reserved_micros,
            "remaining_micros": self.remaining_micros,
            "percent_used": self.percent_used,
            "summary": self.summary,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat() if self.period.end else None,
            "projected_micros": self.projected_micros,
            "state": self.state,
            "limit_usd": usd_string(self.limit_micros),
            "spent_usd": usd_string(self.spent_micros),
            "reserved_usd": usd_string(self.reserved_micros),
            "remaining_usd": usd_string(self.remaining_micros),
            "projected_usd": None if self.projected_micros is None else usd_string(self.projected_micros),
        }


def project(spent_micros: int, period: Window, now: dt.datetime) -> int | None:
    """Spend at the end of the period at the current burn rate; None for a lifetime budget."""
    if period.end is None:
        return None
    elapsed = (now - period.start).total_seconds()
    length = (period.end - period.start).total_seconds()
    if elapsed <= 0:
        return spent_micros
    return max(int(spent_micros * length / elapsed), spent_micros)


def state_of(limit_micros: int, spent_micros: int, projected_micros: int | None) -> str:
    if spent_micros >= limit_micros:
        return "exceeded"
    if spent_micros * 100 >= limit_micros * WARN_PERCENT:
        return "warning"
    if projected_micros is not None and projected_micros > limit_micros:
        return "warning"
    return "ok"


def cap_status(budget: BudgetSpec, usage: Usage, now: dt.datetime, tz_name: str) -> CapStatus:
    period = window(budget.period, now, tz_name)
    projected = project(usage.spent_micros, period, now)
    state = state_of(budget.amount_micros, usage.spent_micros, projected)
    refused_at = None if usage.refused_at is None else dt.datetime.fromtimestamp(usage.refused_at, dt.UTC)
    return CapStatus(budget, period, usage.spent_micros, usage.reserved_micros, projected, state, refused_at)


def worst_state(statuses: list[CapStatus]) -> str:
    return max((s.state for s in statuses), key=STATES.index, default="ok")
