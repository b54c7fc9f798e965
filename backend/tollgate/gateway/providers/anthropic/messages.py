"""POST /v1/messages and /v1/messages/count_tokens relayed as they are: the caller speaks Anthropic's own API (its
SDK, pointed at the gateway), so the body goes up unchanged and every answer and stream event comes back
untouched. Only usage is read on the way: from the message, or from a stream's `message_start` (input and cache
counts) and `message_delta` (cumulative output)."""

from __future__ import annotations

from typing import Any

from ....metering.usage import TokenUsage, from_anthropic
from ...sse import event_object
from ..base import StreamState
from .stream import record_usage

_USAGE_EVENTS = (b"message_start", b"message_delta")


class Messages:
    method = "POST"
    path = "/messages"
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState(extra={"usage": {}})

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_anthropic(response.get("usage"))

    def needs_look(self, data: bytes) -> bool:
        return any(name in data for name in _USAGE_EVENTS)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        data = event_object(event)
        if data is None:
            return event
        if data.get("type") == "message_start" and isinstance(data.get("message"), dict):
            state.model = data["message"].get("model") or state.model
            record_usage(state, data["message"].get("usage"))
        elif data.get("type") == "message_delta":
            record_usage(state, data.get("usage"))
        return event

    def count_deltas(self, data: bytes) -> int:
        return data.count(b"event: content_block_delta")


class CountTokens:
    """Free at Anthropic (rate limited only): nothing is metered, the served model is not named."""

    method = "POST"
    path = "/messages/count_tokens"
    streams = False

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState()

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return None, None

    def needs_look(self, data: bytes) -> bool:
        return False

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event

    def count_deltas(self, data: bytes) -> int:
        return 0
