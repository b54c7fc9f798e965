"""OpenAI operations the gateway relays as they are: moderations, the stored-response follow-ups and the
Conversations API. None reports token usage (moderations are free; the others bill nothing themselves), so
`usage` only names the served model where the body has one. `path` may hold `{0}`, `{1}`: the object ids."""

from __future__ import annotations

from typing import Any

from ....metering.usage import TokenUsage
from ...sse import event_object
from ..base import StreamState
from .responses import FINAL_EVENTS


class Passthrough:
    streams = False

    def __init__(self, method: str, path: str, names_model: bool = False) -> None:
        self.method = method
        self.path = path
        self._names_model = names_model

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState()

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        model = response.get("model") if self._names_model else None
        return (model if isinstance(model, str) else None), None

    def needs_look(self, data: bytes) -> bool:
        return False

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event

    def count_deltas(self, data: bytes) -> int:
        return 0  # nothing here is billed: a cut stream is never estimated


class RetrieveResponse(Passthrough):
    """GET /responses/{id}. With `stream=true` the provider replays the response's events; the final one says a
    background response finished. Its usage settles the create (`state.extra["finished"]`), never this call."""

    def needs_look(self, data: bytes) -> bool:
        return any(name in data for name in FINAL_EVENTS)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        data = event_object(event)
        if data is None:
            return event
        kind, response = data.get("type"), data.get("response")
        if isinstance(kind, str) and kind.encode() in FINAL_EVENTS and isinstance(response, dict):
            state.extra["finished"] = response
        return event


OPERATIONS: dict[str, Passthrough] = {
    "moderations": Passthrough("POST", "/moderations", names_model=True),
    "responses.retrieve": RetrieveResponse("GET", "/responses/{0}"),
    "responses.delete": Passthrough("DELETE", "/responses/{0}"),
    "responses.cancel": Passthrough("POST", "/responses/{0}/cancel"),
    "responses.input_items": Passthrough("GET", "/responses/{0}/input_items"),
    "conversations.create": Passthrough("POST", "/conversations"),
    "conversations.retrieve": Passthrough("GET", "/conversations/{0}"),
    "conversations.update": Passthrough("POST", "/conversations/{0}"),
    "conversations.delete": Passthrough("DELETE", "/conversations/{0}"),
    "conversations.items.list": Passthrough("GET", "/conversations/{0}/items"),
    "conversations.items.create": Passthrough("POST", "/conversations/{0}/items"),
    "conversations.items.retrieve": Passthrough("GET", "/conversations/{0}/items/{1}"),
    "conversations.items.delete": Passthrough("DELETE", "/conversations/{0}/items/{1}"),
}
