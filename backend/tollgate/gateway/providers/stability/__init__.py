"""Stability AI's image API behind the gateway's /v1/images/generations."""

from __future__ import annotations

from ...context import LaneTarget
from ..base import Operation
from . import api
from .images import Images


class StabilityProvider:
    name = "stability"
    _operations: dict[str, Operation] = {"images.generations": Images()}

    def operation(self, name: str) -> Operation | None:
        return self._operations.get(name)

    def url(self, lane: LaneTarget, path: str) -> str:
        return api.url(lane, path)

    def headers(self, lane: LaneTarget) -> dict[str, str]:
        return api.headers(lane)
