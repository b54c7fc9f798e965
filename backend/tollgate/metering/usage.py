"""Token usage as providers report it, normalised. Pure: no I/O, no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Counts as billed. `input_tokens` includes the cached ones, read (`cached_input_tokens`) and written
    (`cache_write_tokens`: Anthropic bills writing a prompt cache above the input rate); `output_tokens` includes
    reasoning.
    `service_tier` is the tier the provider says it served the call at (OpenAI's `service_tier`: default, flex,
    priority, …); it selects the rate, so it travels with the counts."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    service_tier: str | None = None
    cache_write_tokens: int = 0
    reported_cost_picos: int | None = None
    """The cost the provider itself reports for the call (OpenRouter's `usage.cost`), exact in pico-dollars;
    it wins over the list price. None: the provider reports none."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_openai(usage: Any, service_tier: Any = None) -> TokenUsage | None:
    """Read an OpenAI `usage` object of any endpoint: Chat Completions, Responses or Embeddings, with the
    `service_tier` the same response (or chunk) reports beside it.

    Chat uses prompt/completion_tokens with *_tokens_details; Responses uses input/output_tokens with
    input_tokens_details/output_tokens_details; Embeddings only has prompt_tokens.
    """
    if not isinstance(usage, dict):
        return None
    tier = service_tier[:16] if isinstance(service_tier, str) and service_tier else None
    if "prompt_tokens" in usage:
        prompt_details = _dict(usage.get("prompt_tokens_details"))
        completion_details = _dict(usage.get("completion_tokens_details"))
        return TokenUsage(
            input_tokens=_int(usage.get("prompt_tokens")),
            cached_input_tokens=_int(prompt_details.get("cached_tokens")),
            output_tokens=_int(usage.get("completion_tokens")),
            reasoning_tokens=_int(completion_details.get("reasoning_tokens")),
            service_tier=tier,
        )
    if "input_tokens" in usage:
        input_details = _dict(usage.get("input_tokens_details"))
        output_details = _dict(usage.get("output_tokens_details"))
        return TokenUsage(
            input_tokens=_int(usage.get("input_tokens")),
            cached_input_tokens=_int(input_details.get("cached_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            reasoning_tokens=_int(output_details.get("reasoning_tokens")),
            service_tier=tier,
        )
    return None


def from_anthropic(usage: Any) -> TokenUsage | None:
    """Read an Anthropic Messages `usage` object (a response's, or a stream's `message_start`/`message_delta`
    merged). Anthropic counts `input_tokens` without the cache: the billed input is the sum of the three."""
    if not isinstance(usage, dict) or "output_tokens" not in usage and "input_tokens" not in usage:
        return None
    read = _int(usage.get("cache_read_input_tokens"))
    written = _int(usage.get("cache_creation_input_tokens"))
    return TokenUsage(
        input_tokens=_int(usage.get("input_tokens")) + read + written,
        cached_input_tokens=read,
        output_tokens=_int(usage.get("output_tokens")),
        cache_write_tokens=written,
    )
