"""Optimisation hints with an estimated monthly saving, from a month's usage per model.

Each hint reprices the month's own tokens under the change it suggests (at list prices) and reports the
difference (the flat-fee hint compares the month's logged value with the fee), so a saving is never a guess
detached from the traffic:
- short outputs on a large model: the same tokens at its smaller sibling's prices;
- large prompts with little prompt caching: half of the uncached input tokens at the cached-input price (a
  conservative share for a stable system prompt or document prefix);
- prompts that grow with the conversation (an end user's successive requests whose input only rises): the
  history trimmed to a window of recent turns;
- very large prompts that are not such conversations: half of the input above a comfortable size sent no more
  (relevant passages or a summary instead of whole documents);
- metered traffic worth more than a flat-fee lane (the workspace's own, else a reference plan) that can carry
  it: the metered value less the fee.

Hints on the same model reprice the same tokens, so their savings overlap: the month's total counts each model's
largest hint once, plus the flat-fee hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any, Final

from ..gateway.context import model_matches

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
VERY_LARGE_PROMPT_TOKENS: Final = 8000
COMFORTABLE_PROMPT_TOKENS: Final = 4000
SESSION_GAP: Final = dt.timedelta(minutes=30)
"""An end user's requests on one model and workflow less than this apart are one conversation."""
MIN_GROWING_TURNS: Final = 4
GROWTH_FACTOR: Final = 2
"""A conversation grows when each prompt is at least as large as the one before and the last is this many times
the first."""
HISTORY_WINDOW_TURNS: Final = 3
"""Trimmed history: a prompt kept to the size of the conversation's third (system prompt and two turns)."""


@dataclass(frozen=True, slots=True)
class ModelUsage:
    model: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    value_micros: int


@dataclass(frozen=True, slots=True)
class Turn:
    """One served request of an end user (token counts only: the logs hold no message content)."""

    project: str | None
    end_user: str
    model: str
    at: dt.datetime
    input_tokens: int


@dataclass(frozen=True, slots=True)
class FlatPlan:
    """A flat-fee lane the traffic could move to: its monthly fee, the models it serves (None: any), and how many
    requests a day it carries."""

    fee_micros: int
    models: tuple[str, ...] | None
    daily_requests: int
    reference: bool = False


REFERENCE_FLAT_PLAN: Final = FlatPlan(fee_micros=200_000_000, models=None, daily_requests=2000, reference=True)
"""When the workspace has no flat-fee lane with a fee: a reference plan of $200 a month carrying 2,000 requests a
day. A lane records no capacity, so the workspace's flat-fee lanes are assumed to carry as much."""


@dataclass(frozen=True, slots=True)
class MeteredTraffic:
    """The month's traffic on metered lanes: served requests and list value per model, and the busiest day."""

    requests: int
    value_micros: int
    models: tuple[str, ...]
    peak_daily_requests: int


@dataclass(frozen=True, slots=True)
class Hint:
    kind: str
    model: str | None
    text: str
    saving_micros: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "text": self.text, "saving_micros": self.saving_micros}


def _money(micros: int) -> str:
    return f"${Decimal(micros) / 1_000_000:,.2f}"


def hints_for(
    models: list[ModelUsage],
    reprice: Repricer,
    turns: Iterable[Turn] = (),
    metered: MeteredTraffic | None = None,
    flat_plans: Iterable[FlatPlan] = (),
) -> list[Hint]:
    """Every hint the month's usage supports, largest saving first."""
    trimmed = growth_trimmed(turns)
    found: list[Hint] = []
    for usage in models:
        if usage.requests == 0:
            continue
        growth = _growing_prompts(usage, trimmed.get(usage.model), reprice)
        size = None if growth is not None else _very_large_prompts(usage, reprice)
        candidates = (_smaller_model(usage, reprice), _caching(usage, reprice), growth, size)
        found += [h for h in candidates if h is not None]
    if metered is not None:
        flat = _flat_lane(metered, list(flat_plans))
        if flat is not None:
            found.append(flat)
    return sorted(found, key=lambda h: -h.saving_micros)


def total_saving(hints: Iterable[Hint]) -> int:
    """The month's estimated saving: each model's largest hint once (hints on one model overlap), plus the rest."""
    best: dict[str | None, int] = {}
    rest = 0
    for hint in hints:
        if hint.model is None:
            rest += hint.saving_micros
        else:
            best[hint.model] = max(best.get(hint.model, 0), hint.saving_micros)
    return sum(best.values()) + rest


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


@dataclass(frozen=True, slots=True)
class Growth:
    """Conversations of one model whose prompts grow, and the input tokens a history window would not send."""

    conversations: int
    requests: int
    trimmed_tokens: int


def growth_trimmed(turns: Iterable[Turn]) -> dict[str, Growth]:
    """Per model: growing conversations and the tokens trimmed by keeping prompts to the window's size.

    A conversation is an end user's requests on one workflow and model less than `SESSION_GAP` apart. It grows
    when it has `MIN_GROWING_TURNS` requests or more, no prompt is smaller than the one before (history is sent
    again each turn) and the last is `GROWTH_FACTOR` times the first. Each request after the window would then
    be about the size of the window's last request; the difference is the trimmed history.
    """
    found: dict[str, Growth] = {}
    ordered = sorted(turns, key=lambda t: (t.project or "", t.end_user, t.model, t.at))
    for (_, _, model), group in groupby(ordered, key=lambda t: (t.project or "", t.end_user, t.model)):
        for conversation in _conversations(list(group)):
            sizes = [t.input_tokens for t in conversation]
            if not _grows(sizes):
                continue
            cap = sizes[HISTORY_WINDOW_TURNS - 1]
            trimmed = sum(size - cap for size in sizes[HISTORY_WINDOW_TURNS:])
            seen = found.get(model, Growth(0, 0, 0))
            found[model] = Growth(seen.conversations + 1, seen.requests + len(sizes), seen.trimmed_tokens + trimmed)
    return found


def _conversations(turns: list[Turn]) -> list[list[Turn]]:
    runs: list[list[Turn]] = []
    for turn in turns:
        if runs and turn.at - runs[-1][-1].at < SESSION_GAP:
            runs[-1].append(turn)
        else:
            runs.append([turn])
    return runs


def _grows(sizes: list[int]) -> bool:
    if len(sizes) < max(MIN_GROWING_TURNS, HISTORY_WINDOW_TURNS + 1) or sizes[0] <= 0:
        return False
    return all(b >= a for a, b in zip(sizes, sizes[1:], strict=False)) and sizes[-1] >= GROWTH_FACTOR * sizes[0]


def _trimmed_saving(usage: ModelUsage, tokens: int, reprice: Repricer) -> int | None:
    """What sending `tokens` fewer input tokens saves, counting them uncached first (the smaller saving)."""
    kept = usage.input_tokens - tokens
    now = reprice(usage.model, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)
    then = reprice(usage.model, kept, min(usage.cached_input_tokens, kept), usage.output_tokens)
    if now is None or then is None or now - then < MIN_SAVING_MICROS:
        return None
    return now - then


def _growing_prompts(usage: ModelUsage, growth: Growth | None, reprice: Repricer) -> Hint | None:
    if growth is None or growth.trimmed_tokens <= 0:
        return None
    tokens = min(growth.trimmed_tokens, usage.input_tokens)
    saving = _trimmed_saving(usage, tokens, reprice)
    if saving is None:
        return None
    text = (
        f"In {growth.conversations:,} conversations on {usage.model} ({growth.requests:,} requests) the prompt grew "
        f"with every turn, as the whole history was sent again; keeping the history to the last "
        f"{HISTORY_WINDOW_TURNS - 1} turns (or a summary) sends {tokens:,} fewer input tokens: about "
        f"{_money(saving)} a month."
    )
    return Hint("growing_prompts", usage.model, text, saving)


def _very_large_prompts(usage: ModelUsage, reprice: Repricer) -> Hint | None:
    average_input = usage.input_tokens // usage.requests
    if average_input < VERY_LARGE_PROMPT_TOKENS:
        return None
    tokens = (usage.input_tokens - usage.requests * COMFORTABLE_PROMPT_TOKENS) // 2
    saving = _trimmed_saving(usage, tokens, reprice)
    if saving is None:
        return None
    text = (
        f"Prompts to {usage.model} average {average_input:,} tokens; sending only the relevant passages (or a "
        f"summary) instead of whole documents, halving what is above {COMFORTABLE_PROMPT_TOKENS:,} tokens, saves "
        f"about {_money(saving)} a month."
    )
    return Hint("large_prompts", usage.model, text, saving)


def _flat_lane(metered: MeteredTraffic, plans: list[FlatPlan]) -> Hint | None:
    """The flat-fee lane that carries the metered traffic for the least fee, when it costs less than the traffic."""
    fitting = [
        plan
        for plan in plans or [REFERENCE_FLAT_PLAN]
        if metered.peak_daily_requests <= plan.daily_requests
        and all(model_matches(model, plan.models) for model in metered.models)
    ]
    if metered.requests == 0 or not fitting:
        return None
    plan = min(fitting, key=lambda p: p.fee_micros)
    saving = metered.value_micros - plan.fee_micros
    if saving < MIN_SAVING_MICROS:
        return None
    kind = "a flat-fee plan" if plan.reference else "an existing flat-fee lane"
    text = (
        f"{metered.requests:,} requests on metered lanes were worth {_money(metered.value_micros)} at list prices "
        f"(at most {metered.peak_daily_requests:,} a day); {kind} at {_money(plan.fee_micros)} a month carries "
        f"that traffic: about {_money(saving)} a month less."
    )
    return Hint("flat_fee_lane", None, text, saving)
