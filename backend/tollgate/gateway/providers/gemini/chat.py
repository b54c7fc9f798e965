"""POST /v1/chat/completions served by Gemini's `models/{model}:generateContent` (or, streaming,
`:streamGenerateContent?alt=sse`): request, response and every stream event are rewritten between the two wire
formats (request.py, response.py, stream.py)."""

from __future__ import annotations

import functools
import time
from typing import Any

import orjson

from ....metering.usage import TokenUsage
from ...context import LaneTarget
from ..base import StreamState
from . import api
from . import request as requests
from . import response as responses
from . import stream as events


class Chat:
    method = "POST"
    path = "/models/{model}:generateContent"
    streams = True

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        model = str(body.get("model") or "")
        return api.model_path(model, "streamGenerateContent?alt=sse" if stream else "generateContent")

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        created = int(time.time())
        model = str(body.get("model") or "")
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        state = events.new_state(created, include_usage, model)
        state.translate = functools.partial(_translate, created=created, model=model)
        return orjson.dumps(requests.to_gemini(body)), state

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("modelVersion"), responses.token_usage(response.get("usageMetadata"))

    def needs_look(self, data: bytes) -> bool:
        return True  # every Gemini event is rewritten

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return events.on_event(event, state)

    def count_deltas(self, data: bytes) -> int:
        """Counted on what the caller received: chat.completion.chunk events, as for an OpenAI lane."""
        return data.count(b'"delta"')


def _translate(status: int, data: bytes, *, created: int, model: str) -> bytes:
    return responses.translate(status, data, created, model)
