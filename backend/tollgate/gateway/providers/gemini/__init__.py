"""The Gemini wire format (Google's Generative Language API), behind the gateway's OpenAI surface: callers speak
Chat Completions. Another operation (images, embeddings) is one more entry in `_operations`."""

from __future__ import annotations

from ...context import LaneTarget
from ..base import Operation
from . import api
from .chat import Chat
from .images import Images as ImagenImages
from .response import key_refused


class GeminiProvider:
    name = "gemini"
    _operations: dict[str, Operation] = {"chat": Chat(), "images.generations": ImagenImages()}

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return api.url(lane, path)

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        return api.headers(lane)

    def credential_refused(self, status: int, body: bytes) -> bool:
        """A bad key comes back as HTTP 400 + `API_KEY_INVALID` (see CredentialRefusal)."""
        return status == 400 and key_refused(body)
