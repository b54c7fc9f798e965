"""OpenAI wire format: URLs and headers. OpenAI-compatible providers reuse all of it with another base URL."""

from __future__ import annotations

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL) + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if lane.api_key:
        out["Authorization"] = f"Bearer {lane.api_key}"
    return out
