"""Alert rule evaluation. Pure: statuses and spend figures in, events to fire out.

Every event carries a dedupe key (threshold crossing: budget, percentage, period; spike: rule, client,
window), so it fires at most once, however often it is evaluated, by however many processes and whichever
rules ask for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..budgets.periods import Period, window
from ..budgets.specs import format_usd
from ..budgets.status import CapStatus

TRAILING_DAYS = 7


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    kind: str  # threshold | spike
    budget_id: str | None = None
    threshold_percent: int | None = None
    spike_window: str | None = None  # day | hour
    spike_factor_percent: int | None = None


@dataclass(frozen=True, slots=True)
class Fire:
    type: str
    dedupe_key: str
    client_id: str | None
    budget_id: str | None
    rule_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)


def threshold_fires(rules: Sequence[RuleSpec], status: CapStatus, client_id: str) -> list[Fire]:
    """One fire per threshold percentage the budget's spend has reached, whichever rules ask for it: a workspace
    default and the budget's own rule at the same percentage name one crossing, so the dedupe key is (budget,
    percentage, period), not the rule. The budget's own rule is the one the event names."""
    limit = status.limit_micros
    chosen: dict[int, RuleSpec] = {}
    for rule in rules:
        percent = rule.threshold_percent
        if rule.kind != "threshold" or percent is None:
            continue
        if rule.budget_id is not None and rule.budget_id != status.budget.id:
            continue
        if limit <= 0 or status.spent_micros * 100 < limit * percent:
            continue
        if percent not in chosen or (rule.budget_id is not None and chosen[percent].budget_id is None):
            chosen[percent] = rule
    return [_cap_fire(status, client_id, percent, rule.id, "threshold") for percent, rule in sorted(chosen.items())]


def refusal_fire(status: CapStatus, client_id: str) -> Fire | None:
    """`cap.exceeded` when a hard budget has refused a request this period. Spend under a hard budget stops
    below 100 % (the next call's worst case no longer fits), so the 100 % crossing may never come; the refusal
    is the cap being hit. It shares the 100 % crossing's dedupe key: whichever comes first fires, once."""
    if status.refused_at is None:
        return None
    fire = _cap_fire(status, client_id, 100, None, "refusal")
    refused = status.refused_at.isoformat()
    fire.payload["refused_at"] = refused
    fire.payload["summary"] = f"Requests are being refused since {refused}: {status.summary}"
    return fire


def crossing_key(budget_id: str, percent: int, period_key: int) -> str:
    """The dedupe key of one threshold crossing of one budget in one period."""
    return f"threshold:{budget_id}:{percent}:{period_key}"


def _cap_fire(status: CapStatus, client_id: str, percent: int, rule_id: str | None, trigger: str) -> Fire:
    kind = "cap.exceeded" if percent >= 100 else "cap.threshold_reached"
    payload = status.to_json() | {"threshold_percent": percent, "client_id": client_id, "trigger": trigger}
    return Fire(
        type=kind,
        dedupe_key=crossing_key(status.budget.id, percent, status.period.key),
        client_id=client_id,
        budget_id=status.budget.id,
        rule_id=rule_id,
        payload=payload,
    )


@dataclass(frozen=True, slots=True)
class SpikeWindow:
    """The window a spike rule looks at, and the trailing week before it."""

    start: dt.datetime
    end: dt.datetime
    trailing_start: dt.datetime
    per_week: int  # how many such windows a week holds: 7 days or 168 hours

    @property
    def key(self) -> int:
        return int(self.start.timestamp())


def spike_window(kind: str, now: dt.datetime, tz_name: str) -> SpikeWindow:
    """`day`: today so far (local calendar day); `hour`: the last 60 minutes."""
    if kind == "day":
        today = window(Period.DAILY, now, tz_name)
        start = today.start
        return SpikeWindow(start, now, start - dt.timedelta(days=TRAILING_DAYS), TRAILING_DAYS)
    start = now - dt.timedelta(hours=1)
    hour_start = now.replace(minute=0, second=0, microsecond=0)  # one firing per clock hour at most
    return SpikeWindow(hour_start, now, start - dt.timedelta(days=TRAILING_DAYS), TRAILING_DAYS * 24)


def spike_fires(
    rule: RuleSpec, client_id: str, current_micros: int, trailing_micros: int, win: SpikeWindow
) -> Fire | None:
    """Fire when the window's spend exceeds the trailing average per window × factor. A client with no
    history has no average to compare with, so it never spikes on its first day."""
    if rule.kind != "spike" or not rule.spike_factor_percent or not rule.spike_window:
        return None
    if trailing_micros <= 0:
        return None
    average = trailing_micros / win.per_week
    if current_micros * 100 <= average * rule.spike_factor_percent:
        return None
    payload = {
        "client_id": client_id,
        "window": rule.spike_window,
        "spend_micros": current_micros,
        "trailing_average_micros": int(average),
        "factor_percent": rule.spike_factor_percent,
        "summary": (
            f"Spend {'today' if rule.spike_window == 'day' else 'in the last hour'} is {format_usd(current_micros)}, "
            f"{current_micros / average:.1f}× the 7-day average of {format_usd(int(average))} per {rule.spike_window}"
        ),
        "window_start": win.start.isoformat(),
    }
    return Fire("spend.spike", f"{rule.id}:{client_id}:{win.key}", client_id, None, rule.id, payload)


def unpriced_fire(workspace_id: str, client_id: str, model: str, requests: int, day_key: int) -> Fire:
    """One event per client and model a day: a subscription filtered by client receives its own."""
    payload = {
        "client_id": client_id,
        "model": model,
        "requests": requests,
        "summary": f"{requests} request(s) to '{model}' could not be priced; add a price override for it.",
    }
    return Fire("price.unknown", f"price:{workspace_id}:{client_id}:{model}:{day_key}", client_id, None, None, payload)
