"""POST /chat/completions. Streams ask upstream for usage; the usage chunk is dropped if the caller didn't ask."""

from __future__ import annotations

from typing import Any

import orjson

from ....metering.usage import TokenUsage, from_openai
from ...sse import event_object
from ..base import StreamState


class Chat:
    method = "POST"
    path = "/chat/completions"
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        if not stream:
            return raw, StreamState()
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage") is True:
            return raw, StreamState()
        rewritten = dict(body)
        rewritten["stream_options"] = {
            **(options if isinstance(options, dict) else {}),
            "include_usage": True,
        }
        return orjson.dumps(rewritten), StreamState(strip_usage_chunk=True)

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_openai(response.get("usage"), response.get("service_tier"))

    def needs_look(self, data: bytes) -> bool:
        return b'"usage":{' in data or b'"usage": {' in data

    def count_deltas(self, data: bytes) -> int:
        return data.count(b'"delta"')  # one per chunk: the role chunk and the finish chunk too (errs high)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        chunk = event_object(event)
        if chunk is None:
            return event
        usage = from_openai(chunk.get("usage"), chunk.get("service_tier"))
        if usage is None:
            return event
        state.usage = usage
        state.model = chunk.get("model") or state.model
        if state.strip_usage_chunk and not chunk.get("choices"):
            return None
        return event
