"""POST /responses. Usage always arrives in `response.completed` (or `.incomplete`/`.failed`); nothing to inject."""

from __future__ import annotations

from typing import Any

from ....metering.usage import TokenUsage, from_openai
from ...sse import event_object
from ..base import StreamState

FINAL_EVENTS = (b"response.completed", b"response.incomplete", b"response.failed", b"response.cancelled")


class Responses:
    method = "POST"
    path = "/responses"
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState()

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_openai(response.get("usage"), response.get("service_tier"))

    def needs_look(self, data: bytes) -> bool:
        return any(name in data for name in FINAL_EVENTS)

    def count_deltas(self, data: bytes) -> int:
        return data.count(b'.delta"')  # "type":"response.output_text.delta" (and the reasoning/tool-call kinds)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        data = event_object(event)
        response = data.get("response") if data is not None else None
        if isinstance(response, dict):
            state.model = response.get("model") or state.model
            state.usage = from_openai(response.get("usage"), response.get("service_tier")) or state.usage
            if response.get("store") is not False and isinstance(response.get("id"), str):
                state.extra["created"] = response["id"]  # remembered with its lane when the stream ends
        return event
