"""Gemini wire format (Google's Generative Language API): URLs and headers. The key goes in `x-goog-api-key`.

A lane's base URL is the API's version root (`https://generativelanguage.googleapis.com/v1beta`); the model is
part of the path (`/models/{model}:generateContent`), so operations build their path from the request body."""

from __future__ import annotations

from urllib.parse import quote

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL) + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if lane.api_key:
        out["x-goog-api-key"] = lane.api_key
    return out


def model_path(model: str, method: str) -> str:
    """`/models/gemini-2.5-flash:generateContent`; a caller's `models/…` resource name is taken as the id."""
    name = model.removeprefix("models/")
    return f"/models/{quote(name, safe='.-_')}:{method}"
