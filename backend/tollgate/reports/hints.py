"""Optimisation hints with an estimated monthly saving, from a month's usage per model.

Each hint reprices the month's own tokens under the change it suggests (at list prices) and reports the
difference, so a saving is never a guess detached from the traffic:
- short outputs on a large model: the same tokens at its smaller sibling's prices;
- large prompts with little prompt caching: half of the uncached input tokens at the cached-input price (a
  conservative share for a stable system prompt or document prefix).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

Repricer = Callable[[str, int, int, int], int | None]
"""(model, input tokens, cached input tokens, output tokens) → list value in micro-dollars, None if unpriced."""

SMALLER: Final = {
    "gpt-4o": "gpt-4o-mini",
    "gpt-4.1": "gpt-4.1-mini",
    "gpt-4.1-mini": "gpt-4.1-nano",
    "gpt-5": "gpt-5-mini",
    "gpt-5-mini": "gpt-5-nano",
    "o3": "o4-mini",
}
SHORT_OUTPUT_TOKENS: Final = 300
LARGE_PROMPT_TOKENS: Final = 2000
LOW_CACHE_SHARE: Final = Decimal("0.2")
MIN_SAVING_MICROS: Final = 10_000  # a hint worth less than a cent a month is noise


@dataclass(frozen=True, slots=True)
class ModelUsage:
    model: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    value_micros: int


@dataclass(frozen=True, slots=True)
class Hint:
    kind: str
    model: str
    text: str
    saving_micros: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "text": self.text, "saving_micros": self.saving_micros}


def _money(micros: int) -> str:
    return f"${Decimal(micros) / 1_000_000:,.2f}"


def hints_for(models: list[ModelUsage], reprice: Repricer) -> list[Hint]:
    found: list[Hint] = []
    for usage in models:
        if usage.requests == 0:
            continue
        found += [h for h in (_smaller_model(usage, reprice), _caching(usage, reprice)) if h is not None]
    return sorted(found, key=lambda h: -h.saving_micros)


def _smaller_model(usage: ModelUsage, reprice: Repricer) -> Hint | None:
    base = usage.model.split("/")[-1]
    smaller = SMALLER.get(base)
    average_output = usage.output_tokens // usage.requests
    if smaller is None or average_output >= SHORT_OUTPUT_TOKENS:
        return None
    now = reprice(usage.model, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)
    then = reprice(smaller, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)
    if now is None or then is None or now - then < MIN_SAVING_MICROS:
        return None
    text = (
        f"{usage.model} answered {usage.requests:,} requests with {average_output:,} output tokens on average; "
        f"{smaller} serves short answers like these for less: about {_money(now - then)} a month."
    )
    return Hint("smaller_model", usage.model, text, now - then)


def _caching(usage: ModelUsage, reprice: Repricer) -> Hint | None:
    average_input = usage.input_tokens // usage.requests
    if average_input < LARGE_PROMPT_TOKENS or usage.input_tokens == 0:
        return None
    if Decimal(usage.cached_input_tokens) / usage.input_tokens >= LOW_CACHE_SHARE:
        return None
    extra_cached = (usage.input_tokens - usage.cached_input_tokens) // 2
    now = reprice(usage.model, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)
    then = reprice(usage.model, usage.input_tokens, usage.cached_input_tokens + extra_cached, usage.output_tokens)
    if now is None or then is None or now - then < MIN_SAVING_MICROS:
        return None
    text = (
        f"Prompts to {usage.model} average {average_input:,} tokens and are rarely cached; keeping a stable prefix "
        f"(system prompt, documents) first so prompt caching applies to half of them saves about "
        f"{_money(now - then)} a month."
    )
    return Hint("prompt_caching", usage.model, text, now - then)
