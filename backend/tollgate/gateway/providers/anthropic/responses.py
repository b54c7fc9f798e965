"""POST /v1/responses served by Anthropic's POST /v1/messages: the request, the response and every stream event
are rewritten between the two wire formats (responses_request.py, responses_response.py, responses_stream.py)."""

from __future__ import annotations

import functools
import time
from typing import Any

import orjson

from ....metering.usage import TokenUsage, from_anthropic
from ..base import StreamState
from . import responses_request as requests
from . import responses_response as shapes
from . import responses_stream as events


class Responses:
    method = "POST"
    path = "/messages"  # {base_url}/v1/messages
    streams = True

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        mapped = requests.to_anthropic_responses(body, stream)  # raises Untranslatable: the caller gets a 400
        created_at = int(time.time())
        echoed = shapes.echo(body)
        state = events.new_state(created_at, mapped.json_tool, echoed)
        state.translate = functools.partial(
            shapes.translate, created_at=created_at, json_tool=mapped.json_tool, echoed=echoed
        )
        return orjson.dumps(mapped.body), state

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_anthropic(response.get("usage"))

    def needs_look(self, data: bytes) -> bool:
        return True  # every Anthropic event is rewritten

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return events.on_event(event, state)

    def count_deltas(self, data: bytes) -> int:
        """Counted on what the caller received, as for an OpenAI lane's Responses stream."""
        return data.count(b'.delta"')
