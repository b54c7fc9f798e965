"""The worst case a request can cost, known before it is sent. Pure.

Every field that multiplies or extends billable usage is counted:

- Prompt tokens are bounded by the body's size: byte-level BPE tokenizers never make a token from less than one
  byte, and the JSON around the text only adds bytes (this covers inline audio and embeddings' arrays of strings
  or token ids too: every token id takes at least one byte).
- Images cost tokens that their URL (or a small, well-compressed data URL) does not show, so each image part adds
  the model's largest image cost.
- What the body only names (a file by id or URL, a PDF's pages, `previous_response_id`'s history, a stored
  `conversation` or `prompt`, an earlier audio answer by id) can be as large as the model's context window; no
  prompt can exceed it, so it bounds every chat and responses prompt.
- Output is bounded by the request's own cap (`max_tokens`, `max_completion_tokens`, `max_output_tokens`) or,
  when it sends none, by the model's output limit, times `n` (chat completions bill every choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..metering.prices import TokenRates

IMAGE_TOKEN_ALLOWANCE = 2_000
"""Upper bound of one image's input tokens at the highest detail setting, for models not in the table below."""
_IMAGE_TOKENS: tuple[tuple[str, int], ...] = (
    # OpenAI's image costs at detail=high, at the largest size (8 tiles, or 1,536 patches × the model's multiplier).
    ("gpt-4o-mini", 2_833 + 8 * 5_667),
    ("gpt-4.1-nano", 3_779),
    ("gpt-5-nano", 3_779),
    ("o4-mini", 2_642),
    ("gpt-4.1-mini", 2_489),
    ("gpt-5-mini", 2_489),
)
DEFAULT_CONTEXT_WINDOW = 2_000_000
"""Prompt limit assumed for a model whose context window the price table does not give."""
_OPAQUE_MARKERS = (b'"file_id"', b'"file_url"', b'"file_data"', b'"input_file"', b'"document"')
"""Parts whose billed tokens the body does not show (a file by reference, or a PDF whose pages become images;
`document` is Anthropic's block for either, on /v1/messages)."""
_OPAQUE_FIELDS = ("previous_response_id", "conversation", "prompt")
"""Top-level fields that pull stored input into the call (Responses API)."""
DEFAULT_OUTPUT_LIMIT = 32_768
"""Output limit assumed for a model missing from the table below."""
_OUTPUT_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
_IMAGE_MARKERS = (b'"image_url"', b'"input_image"', b'"image"')
_OUTPUT_LIMITS: tuple[tuple[str, int], ...] = (
    # Longest prefix first: the first match wins.
    ("text-embedding", 0),
    ("gpt-4o-mini", 16_384),
    ("gpt-4o", 16_384),
    ("gpt-4.1", 32_768),
    ("gpt-4-turbo", 4_096),
    ("gpt-4", 8_192),
    ("gpt-3.5", 4_096),
    ("gpt-5", 128_000),
    ("o1-mini", 65_536),
    ("o1", 100_000),
    ("o3", 100_000),
    ("o4", 100_000),
    ("claude-opus-4", 32_000),
    ("claude-sonnet-4", 64_000),
    ("claude-haiku-4", 64_000),
    ("claude-3-7", 64_000),
    ("claude-3-5", 8_192),
    ("claude-3", 4_096),
    ("gemini-2.5", 65_536),
    ("gemini", 8_192),
)


def requested_output_cap(body: Mapping[str, Any]) -> int | None:
    """The output cap the request sets itself, if any."""
    for name in _OUTPUT_FIELDS:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def model_output_limit(model: str) -> int:
    return _prefixed(model, _OUTPUT_LIMITS, DEFAULT_OUTPUT_LIMIT)


def _prefixed(model: str, table: tuple[tuple[str, int], ...], default: int) -> int:
    name = model.rsplit("/", 1)[-1].lower()
    return next((value for prefix, value in table if name.startswith(prefix)), default)


def choices(body: Mapping[str, Any], endpoint: str) -> int:
    """How many completions one chat request is billed for (`n`)."""
    n = body.get("n")
    return n if endpoint == "chat" and isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1


def output_tokens_upper(body: Mapping[str, Any], model: str, endpoint: str) -> int:
    if endpoint == "embeddings":
        return 0
    cap = requested_output_cap(body)  # the upstream never writes more than the request allows, per choice
    return (cap if cap is not None else model_output_limit(model)) * choices(body, endpoint)


def image_tokens(model: str) -> int:
    """The most input tokens one image can cost with `model`."""
    return _prefixed(model, _IMAGE_TOKENS, IMAGE_TOKEN_ALLOWANCE)


def _names_stored_input(raw: bytes, body: Mapping[str, Any]) -> bool:
    if any(body.get(name) for name in _OPAQUE_FIELDS) or any(marker in raw for marker in _OPAQUE_MARKERS):
        return True
    messages = body.get("messages")  # an assistant turn may name an earlier audio answer by id
    if not isinstance(messages, list):
        return False
    return any(isinstance(m, dict) and isinstance(m.get("audio"), dict) for m in messages)


def prompt_tokens_upper(
    raw: bytes,
    body: Mapping[str, Any] | None = None,
    model: str = "",
    endpoint: str = "chat",
    context_window: int = DEFAULT_CONTEXT_WINDOW,
) -> int:
    """Input tokens the call can be billed for. Embeddings have no context bound over the request (the limit is
    per input, and one request carries up to 2,048 inputs), but neither images nor stored input."""
    if endpoint == "embeddings":
        return len(raw)
    if body is not None and _names_stored_input(raw, body):
        return context_window
    images = sum(raw.count(marker) for marker in _IMAGE_MARKERS)
    return min(len(raw) + images * image_tokens(model), context_window)


def cost_micros(input_tokens: int, output_tokens: int, rates: TokenRates) -> int:
    """Integer micro-dollars, rounded up: a reservation may be a fraction too large, never too small."""
    numerator = input_tokens * rates.input_mtok_micros + output_tokens * rates.output_mtok_micros
    return -(-numerator // 1_000_000)
