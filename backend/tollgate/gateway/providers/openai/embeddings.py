"""POST /embeddings: no streaming; usage has prompt_tokens only."""

from __future__ import annotations

from typing import Any

from ....metering.usage import TokenUsage, from_openai
from ..base import StreamState


class Embeddings:
    method = "POST"
    path = "/embeddings"
    streams = False

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState()

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return response.get("model"), from_openai(response.get("usage"))

    def needs_look(self, data: bytes) -> bool:
        return False

    def count_deltas(self, data: bytes) -> int:
        return 0

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event
