"""The OpenAI wire format (OpenAI itself and every OpenAI-compatible base URL)."""

from __future__ import annotations

from ...context import LaneTarget
from ..base import Operation
from . import api
from .chat import Chat
from .embeddings import Embeddings
from .images import Images
from .passthrough import OPERATIONS as PASSTHROUGH
from .responses import Responses
from .transcriptions import Transcriptions


class OpenAIProvider:
    name = "openai"
    _operations: dict[str, Operation] = {
        "chat": Chat(),
        "responses": Responses(),
        "embeddings": Embeddings(),
        "images.generations": Images(),
        "audio.transcriptions": Transcriptions(),
        **PASSTHROUGH,
    }

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return api.url(lane, path)

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        return api.headers(lane)
