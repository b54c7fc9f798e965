"""POST /responses. Usage always arrives in `response.completed` (or `.incomplete`/`.failed`); nothing to inject."""

from __future__ import annotations

from typing import Any

import orjson

from ....metering.usage import TokenUsage, from_openai
from ...sse import data_payload
from ..base import StreamState

_FINAL_EVENTS = (b"response.completed", b"response.incomplete", b"response.failed")


class Responses:
    path = "/responses"
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState()

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_openai(response.get("usage"), response.get("service_tier"))

    def needs_look(self, data: bytes) -> bool:
        return any(name in data for name in _FINAL_EVENTS)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        payload = data_payload(event)
        if not payload:
            return event
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return event
        response = data.get("response") if isinstance(data, dict) else None
        if isinstance(response, dict):
            state.model = response.get("model") or state.model
            state.usage = from_openai(response.get("usage"), response.get("service_tier")) or state.usage
        return event
