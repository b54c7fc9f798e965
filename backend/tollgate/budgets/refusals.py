"""What a refused request is told: OpenAI-shaped errors naming the budget or limit and when it resets. Pure."""

from __future__ import annotations

import datetime as dt

from ..gateway.errors import GatewayError
from .periods import Window, zone
from .ratelimit import RateLine, format_duration, reset_us, retry_after_s
from .specs import BudgetSpec, format_usd

_NO_RETRY = ("x-should-retry", "false")
"""Honoured by the official OpenAI SDKs: a refusal that an immediate retry cannot turn around is not retried."""


def budget_exceeded(
    budget: BudgetSpec, window: Window, used_micros: int, needed_micros: int, tz_name: str
) -> GatewayError:
    if window.end is None:
        resets = "It is a lifetime budget and does not reset; ask the agency to raise it."
        header = "never"
    else:
        local = window.end.astimezone(zone(tz_name))
        resets = f"It resets at {local.isoformat()} ({tz_name})."
        header = window.end.isoformat()
    message = (
        f"This request would exceed the {budget.describe()}: {format_usd(used_micros)} of "
        f"{format_usd(budget.amount_micros)} is spent or reserved, and this request may cost up to "
        f"{format_usd(needed_micros)}. {resets} A lower max_tokens reserves less."
    )
    return GatewayError(
        429,
        message,
        "budget_exceeded",
        headers=(("x-tollgate-budget-id", budget.id), ("x-tollgate-budget-reset", header), _NO_RETRY),
    )


def rate_limited(line: RateLine, scope: str, tat_us: int, now_us: int) -> GatewayError:
    what = "requests" if line.kind == "requests" else "tokens"
    wait = retry_after_s(line, tat_us, now_us)
    if wait is None:
        return GatewayError(
            429,
            f"This request needs about {line.cost} tokens, more than the {scope} limit of {line.limit} tokens per "
            "minute allows at once. Send a smaller request or lower max_tokens.",
            "rate_limit_exceeded",
            headers=(_NO_RETRY,),
        )
    return GatewayError(
        429,
        f"Rate limit reached for this {scope}: {line.limit} {what} per minute. Please try again in {wait}s.",
        "rate_limit_exceeded",
        headers=(
            ("Retry-After", str(wait)),
            (f"x-ratelimit-limit-{what}", str(line.limit)),
            (f"x-ratelimit-remaining-{what}", "0"),
            (f"x-ratelimit-reset-{what}", format_duration(reset_us(line, tat_us, now_us))),
        ),
    )


def unpriced_model(model: str) -> GatewayError:
    return GatewayError(
        403,
        f"The model '{model}' has no known price, so it cannot be used under a hard budget. Ask the agency to add "
        f"a price override for '{model}' (admin API: POST /api/v1/price-overrides).",
        "model_unpriced",
        "model",
    )


def ledger_unavailable() -> GatewayError:
    return GatewayError(
        503,
        "Budgets and rate limits cannot be checked right now, so the request was not sent. Retry shortly.",
        "budget_check_unavailable",
    )


def now_us(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1_000_000)
