"""Anthropic wire format: URLs and headers. The key goes in `x-api-key`; Anthropic takes no Authorization header."""

from __future__ import annotations

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
"""The `anthropic-version` every Messages call must name; the shapes in chat.py are this version's."""


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL).rstrip("/") + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "anthropic-version": API_VERSION,
    }
    if lane.api_key:
        out["x-api-key"] = lane.api_key
    return out
