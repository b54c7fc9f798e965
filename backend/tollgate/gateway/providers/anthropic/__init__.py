"""The Anthropic Messages wire format: behind the gateway's OpenAI surface (Chat Completions and the Responses API,
translated both ways), and relayed as it is to callers speaking Anthropic's own API on /v1/messages."""

from __future__ import annotations

from ...context import LaneTarget
from ..base import Operation
from . import api
from .chat import Chat
from .messages import CountTokens, Messages
from .responses import Responses


class AnthropicProvider:
    name = "anthropic"
    _operations: dict[str, Operation] = {
        "chat": Chat(),
        "responses": Responses(),
        "messages": Messages(),
        "messages.count_tokens": CountTokens(),
    }

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return api.url(lane, path)

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        return api.headers(lane)
