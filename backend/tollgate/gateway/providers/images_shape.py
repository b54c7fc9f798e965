"""OpenAI's images answer, built from another provider's images (Stability, Replicate, Imagen). Pure.

`ImagesResponse`: `{"created", "data": [{"b64_json" | "url", "revised_prompt"?}]}`. Providers that answer with
image bytes give `b64_json` by default (as gpt-image-1 does); `response_format: "url"` gets a `data:` URL, since
the gateway keeps no files to link to. Size maps to the nearest aspect ratio these providers take."""

from __future__ import annotations

import time
from typing import Any

import orjson

from ...metering.media import MediaUsage
from ..errors import GatewayError
from .base import StreamState

ASPECT_RATIOS = {
    "256x256": "1:1",
    "512x512": "1:1",
    "1024x1024": "1:1",
    "1536x1024": "3:2",
    "1024x1536": "2:3",
    "1792x1024": "16:9",
    "1024x1792": "9:16",
}
DEFAULT_FORMAT = "b64_json"


def aspect_ratio(size: Any) -> str:
    """OpenAI's `size` as the aspect ratio Stability, Replicate and Imagen take (unknown or `auto`: square)."""
    return ASPECT_RATIOS.get(size, "1:1") if isinstance(size, str) else "1:1"


def image_count(body: dict[str, Any]) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 10 else 1


def request_facts(body: dict[str, Any]) -> dict[str, Any]:
    """What the answer and the bill need of the request, kept in the stream state."""
    fmt = body.get("response_format")
    return {
        "size": body.get("size") if isinstance(body.get("size"), str) else None,
        "quality": body.get("quality") if isinstance(body.get("quality"), str) else None,
        "response_format": fmt if fmt in ("url", "b64_json") else DEFAULT_FORMAT,
        "n": image_count(body),
    }


def item(b64: str, mime: str, response_format: str) -> dict[str, Any]:
    if response_format == "url":
        return {"url": f"data:{mime};base64,{b64}"}
    return {"b64_json": b64}


def images_response(items: list[dict[str, Any]], created: int | None = None) -> bytes:
    return orjson.dumps({"created": created if created is not None else int(time.time()), "data": items})


def error_body(status: int, message: str, code: str | None) -> bytes:
    """An upstream failure in OpenAI's error shape (the status stays the upstream's)."""
    return GatewayError(status, message[:2000], code or "upstream_error").body()


def images_media(images: int, state: StreamState) -> MediaUsage:
    """The counts of an answer with `images` pictures, at the size and quality asked for."""
    return MediaUsage(images=images, size=state.extra.get("size"), quality=state.extra.get("quality"))


class ImagesOperation:
    """Shared by images operations of non-OpenAI wire formats: no streaming, no token usage."""

    method = "POST"
    path = "/"
    streams = False

    def needs_look(self, data: bytes) -> bool:
        return False

    def count_deltas(self, data: bytes) -> int:
        return 0

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event
