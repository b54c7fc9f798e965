"""OpenRouter: an OpenAI-compatible API over many vendors' models (`vendor/model` ids). OpenAI's operations,
plus OpenRouter's optional attribution headers (`HTTP-Referer`, `X-Title`, from the lane's settings
`http_referer` and `x_title`) and its own `usage.cost`: the USD it billed for the call, which prices the request
exactly; without it the call is priced from genai-prices' OpenRouter list (a model missing there is unpriced)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from ....metering.prices import to_picos
from ....metering.usage import TokenUsage, from_openai
from ...context import LaneTarget
from ...sse import event_object
from ..base import Operation, StreamState
from ..openai import api as openai_api
from ..openai.chat import Chat
from ..openai.embeddings import Embeddings

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"


def with_cost(usage: Any, service_tier: Any = None) -> TokenUsage | None:
    """OpenAI-shaped usage, with OpenRouter's `cost` (USD) kept exactly as pico-dollars."""
    parsed = from_openai(usage, service_tier)
    if parsed is None or not isinstance(usage, dict):
        return parsed
    cost = usage.get("cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float | str):
        return parsed
    try:
        amount = Decimal(str(cost))
    except InvalidOperation:
        return parsed
    if not amount.is_finite() or amount < 0:
        return parsed
    return TokenUsage(**{**_fields(parsed), "reported_cost_picos": to_picos(amount)})


def _fields(usage: TokenUsage) -> dict[str, Any]:
    return {name: getattr(usage, name) for name in TokenUsage.__slots__}


class OpenRouterChat(Chat):
    """Chat Completions asking OpenRouter for usage accounting (the `cost` field) and reading it back."""

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        if "usage" not in body:
            body = {**body, "usage": {"include": True}}
            raw = orjson.dumps(body)
        return super().prepare(body, raw, stream)

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), with_cost(response.get("usage"), response.get("service_tier"))

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        out = super().on_event(event, state)
        if state.usage is not None and state.usage.reported_cost_picos is None:
            chunk = event_object(event)
            if chunk is not None and isinstance(chunk.get("usage"), dict):
                state.usage = with_cost(chunk["usage"], chunk.get("service_tier")) or state.usage
        return out


class OpenRouterProvider:
    name = "openrouter"
    _operations: dict[str, Operation] = {"chat": OpenRouterChat(), "embeddings": Embeddings()}

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return (lane.base_url or DEFAULT_BASE_URL) + path

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        out = openai_api.headers(lane)
        for setting, header in (("http_referer", "HTTP-Referer"), ("x_title", "X-Title")):
            value = lane.settings.get(setting)
            if isinstance(value, str) and value:
                out[header] = value
        return out
