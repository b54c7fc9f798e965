"""POST /audio/transcriptions (multipart/form-data), forwarded byte for byte. whisper-1 is billed per minute of
audio: the seconds its `usage` reports (`{"type": "duration"}`), else `verbose_json`'s `duration`, else the
duration read from the uploaded file. gpt-4o(-mini)-transcribe report token usage, audio tokens apart."""

from __future__ import annotations

from typing import Any

from ....metering.media import MediaUsage
from ....metering.usage import TokenUsage
from ...forms import FormBody
from ..base import StreamState


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def token_usage(usage: Any) -> TokenUsage | None:
    """A transcription's `usage` of type `tokens` (input audio and text tokens, output text tokens)."""
    if not isinstance(usage, dict) or usage.get("type") != "tokens":
        return None
    return TokenUsage(input_tokens=_count(usage.get("input_tokens")), output_tokens=_count(usage.get("output_tokens")))


def billed_audio_ms(response: dict[str, Any] | None, measured_ms: int) -> int:
    """The audio duration the provider bills, as precisely as the response tells it."""
    response = response or {}
    usage = response.get("usage")
    if isinstance(usage, dict) and usage.get("type") == "duration":
        seconds = usage.get("seconds")
        if isinstance(seconds, int | float) and seconds >= 0:
            return round(seconds * 1000)
    duration = response.get("duration")
    if isinstance(duration, int | float) and duration >= 0:
        return round(duration * 1000)
    return measured_ms


class Transcriptions:
    method = "POST"
    path = "/audio/transcriptions"
    streams = False

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        upload = body.upload if isinstance(body, FormBody) else None
        content_type = body.content_type if isinstance(body, FormBody) else ""
        measured = upload.duration_bound_ms if upload is not None else 0
        return raw, StreamState(upstream_headers={"Content-Type": content_type}, extra={"audio_ms": measured})

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return None, token_usage(response.get("usage"))

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        usage = (response or {}).get("usage")
        details = usage.get("input_token_details") if isinstance(usage, dict) else None
        audio_tokens = _count(details.get("audio_tokens")) if isinstance(details, dict) else 0
        return MediaUsage(audio_ms=billed_audio_ms(response, state.extra["audio_ms"]), media_input_tokens=audio_tokens)

    def needs_look(self, data: bytes) -> bool:
        return False

    def count_deltas(self, data: bytes) -> int:
        return 0

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        return event
