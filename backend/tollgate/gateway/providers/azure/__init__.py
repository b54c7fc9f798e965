"""Azure OpenAI: OpenAI's chat and embeddings transforms, sent to Azure's deployment URLs with its `api-key`
header (api.py). Usage and the served model come back in OpenAI's shape, so a call is priced by the underlying
model at Azure's list. (Azure's Responses API takes the deployment in the body: not offered yet.)"""

from __future__ import annotations

from typing import Any

from ....metering.usage import TokenUsage
from ...context import LaneTarget
from ..base import Operation, StreamState
from ..openai.chat import Chat
from ..openai.embeddings import Embeddings
from . import api


class DeploymentOperation:
    """An OpenAI operation sent to the model's deployment: only the path differs."""

    def __init__(self, inner: Operation) -> None:
        self._inner = inner
        self.method, self.path, self.streams = inner.method, inner.path, inner.streams

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        return api.deployment_path(lane, str(body.get("model") or ""), self.path)

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return self._inner.prepare(body, raw, stream)

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return self._inner.usage(response)

    def needs_look(self, data: bytes) -> bool:
        return self._inner.needs_look(data)

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return self._inner.on_event(event, state)

    def count_deltas(self, data: bytes) -> int:
        return self._inner.count_deltas(data)


class AzureProvider:
    name = "azure"
    _operations: dict[str, Operation] = {
        "chat": DeploymentOperation(Chat()),
        "embeddings": DeploymentOperation(Embeddings()),
    }

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return lane.base_url + path

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        return api.headers(lane)
