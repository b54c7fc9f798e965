"""POST /v1/chat/completions served by Anthropic's POST /v1/messages: the request, the response and every stream
event are rewritten between the two wire formats (request.py, response.py, stream.py)."""

from __future__ import annotations

import functools
import time
from typing import Any

import orjson

from ....metering.usage import TokenUsage, from_anthropic
from ..base import StreamState
from . import request as requests
from . import response as responses
from . import stream as events


class Chat:
    method = "POST"
    path = "/messages"  # {base_url}/v1/messages
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        mapped = requests.to_anthropic(body, stream)
        created = int(time.time())
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        state = events.new_state(created, include_usage, mapped.json_tool)
        state.translate = functools.partial(_translate, created=created, json_tool=mapped.json_tool)
        return orjson.dumps(mapped.body), state

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_anthropic(response.get("usage"))

    def needs_look(self, data: bytes) -> bool:
        return True  # every Anthropic event is rewritten

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return events.on_event(event, state)

    def count_deltas(self, data: bytes) -> int:
        """Counted on what the caller received: chat.completion.chunk events, as for an OpenAI lane."""
        return data.count(b'"delta"')


def _translate(status: int, data: bytes, *, created: int, json_tool: str | None) -> bytes:
    return responses.translate(status, data, created, json_tool)
