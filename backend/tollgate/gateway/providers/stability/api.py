"""Stability AI's REST API (v2beta): URLs and headers. The key goes as a Bearer token; `accept:
application/json` asks for the image as base64 in JSON rather than as raw bytes."""

from __future__ import annotations

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://api.stability.ai"


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL).rstrip("/") + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {"Accept": "application/json"}
    if lane.api_key:
        out["Authorization"] = f"Bearer {lane.api_key}"
    return out
