"""OpenAI's POST /images/generations as Imagen through the Gemini API (`POST /models/{model}:predict`). Pure.

Request: `{"instances": [{"prompt"}], "parameters": {"sampleCount": n, "aspectRatio"}}`. Answer:
`{"predictions": [{"bytesBase64Encoded", "mimeType"}]}` (a picture the safety filter removed is simply absent);
errors are Google's `{"error": {"code", "message", "status"}}`. Both come back in OpenAI's shapes. Billed per
image returned. The Gemini provider registers this as its `images.generations` operation; its `api.headers`
sends the key as `x-goog-api-key` with a JSON content type.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from ....metering.media import MediaUsage
from ....metering.usage import TokenUsage
from ...context import LaneTarget
from ..base import StreamState
from ..images_shape import ImagesOperation, aspect_ratio, error_body, images_media, images_response, item, request_facts

MAX_SAMPLES = 4
"""Imagen makes at most four images per call."""


def predict_path(model: str) -> str:
    return f"/models/{quote(model.removeprefix('models/'), safe='.-_')}:predict"


def to_imagen(body: dict[str, Any]) -> dict[str, Any]:
    n = request_facts(body)["n"]
    return {
        "instances": [{"prompt": body.get("prompt") or ""}],
        "parameters": {"sampleCount": min(n, MAX_SAMPLES), "aspectRatio": aspect_ratio(body.get("size"))},
    }


def images(response: dict[str, Any]) -> list[dict[str, str]]:
    predictions = response.get("predictions")
    if not isinstance(predictions, list):
        return []
    return [p for p in predictions if isinstance(p, dict) and isinstance(p.get("bytesBase64Encoded"), str)]


def translate(status: int, data: bytes, response_format: str) -> bytes:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        parsed = None
    if status >= 300 or not isinstance(parsed, dict):
        error = parsed.get("error") if isinstance(parsed, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        code = error.get("status") if isinstance(error, dict) else None
        return error_body(
            status if status >= 300 else 502,
            message if isinstance(message, str) else "Imagen failed.",
            code.lower() if isinstance(code, str) else None,
        )
    items = [item(p["bytesBase64Encoded"], p.get("mimeType") or "image/png", response_format) for p in images(parsed)]
    return images_response(items)


class Images(ImagesOperation):
    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        facts = request_facts(body)
        state = StreamState(extra=facts)
        state.translate = lambda status, out: translate(status, out, facts["response_format"])
        return orjson.dumps(to_imagen(body)), state

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        return predict_path(str(body.get("model") or ""))

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return None, None

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        return images_media(len(images(response or {})), state)
