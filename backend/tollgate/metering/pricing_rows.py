"""Turn a `RequestRecord` into a `request_logs` row: price it and split value from actual cost. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import prices
from .record import RequestRecord


def actual_cost_micros(value_micros: int, lane_payment: str) -> int:
    """Metered lanes cost list price; a flat plan costs nothing at the margin; BYOK is billed to the client."""
    return value_micros if lane_payment == "metered" else 0


def record_value_micros(record: RequestRecord, override: prices.OverridePrice | None) -> int | None:
    """What a request's usage is worth: at the served model's price, else the requested model's (a snapshot
    the price table lacks); `override` wins over both. 0 without usage; None when nothing prices it.
    The log row and the ledger's settle both use this, so the two always agree."""
    usage = record.usage
    if usage is None or usage.total_tokens <= 0:
        return 0
    model = record.model_served or record.model_requested or ""
    provider = record.provider or "openai"
    value = prices.value_micros(usage, model, provider, override)
    if value is None and record.model_requested and record.model_requested != model:
        value = prices.value_micros(usage, record.model_requested, provider, override)
    return value


REPLACE = "_replace"
"""Row key: upsert this row over the one with its request id (a background response's usage arriving)."""


def to_row(record: RequestRecord, overrides: Mapping[str, prices.OverridePrice]) -> dict[str, Any]:
    usage = record.usage
    model = record.model_served or record.model_requested or ""
    value = record_value_micros(record, overrides.get(model) or overrides.get(record.model_requested or ""))
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
        "model_requested": record.model_requested,
        "model_served": record.model_served,
        "stream": record.stream,
        "input_tokens": usage.input_tokens if usage else 0,
        "cached_input_tokens": usage.cached_input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "reasoning_tokens": usage.reasoning_tokens if usage else 0,
        "value_micros": value or 0,
        "cost_micros": actual_cost_micros(value or 0, record.lane_payment),
        "priced": value is not None,
        "status_code": record.status_code,
        "error_code": record.error_code,
        "latency_ms": record.latency_ms,
        "ttfb_ms": record.ttfb_ms,
    }
    if record.completes:
        row[REPLACE] = True
    return row
