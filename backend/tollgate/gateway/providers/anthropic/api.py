"""Anthropic wire format: URLs and headers. The key goes in `x-api-key`; Anthropic takes no Authorization header.

A lane's base URL is the API's root (`https://api.anthropic.com`, as Anthropic's SDKs take it); paths are relative
to the version root, as OpenAI's are to a `/v1` base URL, so `/messages` and the catalog's `/models` both work."""

from __future__ import annotations

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
"""The `anthropic-version` every Messages call must name; the shapes in chat.py are this version's."""


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1" + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "anthropic-version": API_VERSION,
    }
    if lane.api_key:
        out["x-api-key"] = lane.api_key
    return out
