"""The worst case a request can cost, known before it is sent. Pure.

Prompt tokens are bounded by the body's size: byte-level BPE tokenizers never make a token from less than one
byte, and the JSON around the text only adds bytes. Images cost tokens that their URL does not show, so each
image part adds a fixed allowance. Output is bounded by the request's own cap (`max_tokens`,
`max_completion_tokens`, `max_output_tokens`) or, when it sends none, by the model's output limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..metering.prices import TokenRates

IMAGE_TOKEN_ALLOWANCE = 2_000
"""Upper bound of one image's input tokens at the highest detail setting of current vision models."""
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
    name = model.rsplit("/", 1)[-1].lower()
    for prefix, limit in _OUTPUT_LIMITS:
        if name.startswith(prefix):
            return limit
    return DEFAULT_OUTPUT_LIMIT


def output_tokens_upper(body: Mapping[str, Any], model: str, endpoint: str) -> int:
    if endpoint == "embeddings":
        return 0
    cap = requested_output_cap(body)  # the upstream never writes more than the request allows
    return cap if cap is not None else model_output_limit(model)


def prompt_tokens_upper(raw: bytes) -> int:
    images = sum(raw.count(marker) for marker in _IMAGE_MARKERS)
    return len(raw) + images * IMAGE_TOKEN_ALLOWANCE


def cost_micros(input_tokens: int, output_tokens: int, rates: TokenRates) -> int:
    """Integer micro-dollars, rounded up: a reservation may be a fraction too large, never too small."""
    numerator = input_tokens * rates.input_mtok_micros + output_tokens * rates.output_mtok_micros
    return -(-numerator // 1_000_000)
