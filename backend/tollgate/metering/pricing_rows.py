"""Turn a `RequestRecord` into a `request_logs` row: price it and split value from actual cost. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..vault.scrub import scrub
from . import media, prices
from .record import RequestRecord

MODEL_NAME_MAX = 200
"""`request_logs.model_requested` / `model_served` are String(200)."""

OverrideLookup = Callable[[str], Mapping[str, prices.OverridePrice]]
"""A workspace id → its current price overrides (read by the writer, cached)."""


def record_value_picos(record: RequestRecord) -> int | None:
    """What a request's usage is worth, exactly (pico-dollars): at the served model's price, else the requested
    model's (a snapshot the price table lacks); the record's own override set (what admission used) wins over
    both. 0 without usage; None when nothing prices it. The log row and the ledger's settle both use this and
    nothing else, so the two always agree, whenever each runs."""
    usage = record.usage
    if record.media is not None:
        return _media_value_picos(record)
    if usage is None or usage.total_tokens <= 0:
        return 0
    model = record.model_served or record.model_requested or ""
    provider = record.price_provider or record.provider or "openai"
    override = record.overrides.get(model) or record.overrides.get(record.model_requested or "")
    if override is None and usage.reported_cost_picos is not None:  # what the provider says it billed (OpenRouter)
        return usage.reported_cost_picos
    value = prices.value_picos(usage, model, provider, override)
    if value is None and record.model_requested and record.model_requested != model:
        value = prices.value_picos(usage, record.model_requested, provider, override)
    return value


def _media_value_picos(record: RequestRecord) -> int | None:
    """An images or audio call, by the media price file (per image, per minute, per token by kind), the served
    model's entry first, then the requested model's (providers echo a dated snapshot or none at all)."""
    assert record.media is not None
    provider = record.price_provider or record.provider or "openai"
    for model in dict.fromkeys(m for m in (record.model_served, record.model_requested) if m):
        override = record.overrides.get(model)
        value = media.value_picos(record.media, record.usage, model, provider, override)
        if value is not None:
            return value
    return None


REPLACE = "_replace"
"""Row key: upsert this row over the one with its request id (a background response's usage arriving)."""


def money_columns(value_picos: int | None, lane_payment: str) -> dict[str, Any]:
    """value/cost as whole micro-dollars plus exact remainders. Metered lanes cost list price; a flat plan costs
    nothing at the margin; BYOK is billed to the client."""
    value, remainder = prices.split_picos(value_picos or 0)
    metered = lane_payment == "metered"
    return {
        "value_micros": value,
        "value_remainder_picos": remainder,
        "cost_micros": value if metered else 0,
        "cost_remainder_picos": remainder if metered else 0,
        "priced": value_picos is not None,
    }


def to_row(record: RequestRecord, workspace_overrides: OverrideLookup | None = None) -> dict[str, Any]:
    """The row of one request. `workspace_overrides` is not consulted: the record carries the override set its
    admission used (a set read now could be newer, and the budget would disagree with the log)."""
    usage = record.usage
    value = record_value_picos(record)
    row = {
        "request_id": record.request_id,
        "created_at": record.created_at,
        "workspace_id": record.workspace_id,
        "client_id": record.client_id,
        "project_id": record.project_id,
        "key_id": record.key_id,
        "end_user": record.end_user,
        "metadata_": record.metadata,
        "lane_id": record.lane_id,
        "provider": record.provider,
        "endpoint": record.endpoint,
        "model_requested": _model_name(record.model_requested),
        "model_served": _model_name(record.model_served),
        "stream": record.stream,
        "input_tokens": usage.input_tokens if usage else 0,
        "cached_input_tokens": usage.cached_input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "reasoning_tokens": usage.reasoning_tokens if usage else 0,
        "images": record.media.images if record.media else 0,
        "audio_ms": record.media.audio_ms if record.media else 0,
        "usage_estimated": record.usage_estimated,
        **money_columns(value, record.lane_payment),
        "status_code": record.status_code,
        "error_code": record.error_code,
        "latency_ms": record.latency_ms,
        "ttfb_ms": record.ttfb_ms,
        "attempts": record.attempts,
    }
    if record.completes:
        row[REPLACE] = True
    return row


def _model_name(name: str | None) -> str | None:
    """A model name as stored: it is the caller's text (or the upstream's echo of it), so a secret pasted into it
    is redacted like metadata, and it is cut to its column (PostgreSQL refuses a longer one, losing the row).
    Pricing has read the full name before this."""
    return scrub(name)[:MODEL_NAME_MAX] if name else name
