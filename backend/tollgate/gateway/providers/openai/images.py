"""POST /images/generations, passed through (gpt-image-1, dall-e-3, dall-e-2). Billed per image by size and
quality, or, for gpt-image-1, by its token usage (image output tokens, text and image input tokens)."""

from __future__ import annotations

from typing import Any

from ....metering.media import MediaUsage
from ....metering.usage import TokenUsage, from_openai
from ..base import StreamState


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def requested(body: dict[str, Any]) -> dict[str, Any]:
    """What billing needs of the request: its size and quality (the response may name the ones chosen)."""
    return {"size": _text(body.get("size")), "quality": _text(body.get("quality"))}


class Images:
    method = "POST"
    path = "/images/generations"
    streams = False

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        return raw, StreamState(extra=requested(body))

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return None, from_openai(response.get("usage"))

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        response = response or {}
        data = response.get("data")
        usage = response.get("usage")
        details = usage.get("input_tokens_details") if isinstance(usage, dict) else None
        image_tokens = details.get("image_tokens") if isinstance(details, dict) else 0
        return MediaUsage(
            images=len(data) if isinstance(data, list) else 0,
            size=_text(response.get("size")) or state.extra.get("size"),
            quality=_text(response.get("quality")) or state.extra.get("quality"),
            media_input_tokens=image_tokens if isinstance(image_tokens, int) and image_tokens > 0 else 0,
        )

    def needs_look(self, data: bytes) -> bool:
        return False

    def count_deltas(self, data: bytes) -> int:
        return 0

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event
