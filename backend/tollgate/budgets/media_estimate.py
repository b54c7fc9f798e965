"""The worst case an images or transcription call can cost, known before it is sent. Pure.

- Images: `n` × the dearest image the request can produce: its size and quality as asked, or, when it leaves
  either to the provider (`auto`, absent), the dearest the model offers. A token-billed image model
  (gpt-image-1) adds its prompt at the text input rate (never more tokens than bytes).
- Audio per minute (or hour): the uploaded file's duration (read from the file before the call) at that rate.
- Audio per token: the provider's published cost per minute of audio, doubled: an estimate with a margin, since
  the audio token count per second is not published as a bound.
- Compute per second (Replicate community models): the entry's `max_seconds` of prediction time.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..metering.media import MediaPrice, audio_picos, find
from ..metering.prices import PICOS_PER_USD, OverridePrice, worst_case_rates

_AUDIO_ESTIMATE_MARGIN = 2
MEDIA_ENDPOINTS = frozenset({"images.generations", "audio.transcriptions"})
"""Operations priced by the media price file (per image, per minute), not by token rates alone."""


def image_count(body: Mapping[str, Any]) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1


def _picos(usd: Decimal) -> int:
    return int(usd * PICOS_PER_USD)


def _dearest_image(entry: MediaPrice, body: Mapping[str, Any]) -> int | None:
    """The dearest table entry matching the size and quality asked for (either left open: any)."""
    table = entry.images or {}
    if "*" in table:
        return _picos(table["*"])
    size, quality = body.get("size"), body.get("quality")
    size = size if isinstance(size, str) and size != "auto" else None
    quality = quality if isinstance(quality, str) and quality != "auto" else None
    fits = []
    for key, price in table.items():
        key_quality, _, key_size = key.rpartition(" ")
        if (size is None or key_size == size) and (quality is None or key_quality in (quality, "")):
            fits.append(price)
    return _picos(max(fits)) if fits else None


def worst_case_picos(
    endpoint: str,
    model: str,
    providers: tuple[str, ...],
    body: Mapping[str, Any],
    audio_ms: int | None,
    override: OverridePrice | None = None,
) -> int | None:
    """The most the call can cost among the providers that may serve it; None: no price is known."""
    if override is not None:
        own = _override_worst(endpoint, body, audio_ms, override)
        if own is not None:
            return own
    found = [w for w in (_worst(endpoint, model, p, body, audio_ms) for p in providers) if w is not None]
    return max(found) if found else None


def _worst(endpoint: str, model: str, provider: str, body: Mapping[str, Any], audio_ms: int | None) -> int | None:
    if endpoint == "audio.transcriptions":
        by_duration = audio_picos(model, provider, audio_ms or 0, round_up=True)
        if by_duration is not None:
            return by_duration
    entry = find(model, provider)
    if entry is None:
        return None
    if endpoint == "images.generations":
        if entry.unit == "second" and entry.usd is not None and entry.max_seconds:
            return entry.max_seconds * _picos(entry.usd)
        one = _dearest_image(entry, body)
        if one is None:
            return None
        prompt = body.get("prompt")
        prompt_bytes = len(prompt.encode()) if isinstance(prompt, str) else 0
        rates = worst_case_rates(entry.model, entry.provider) if entry.unit == "tokens" else None
        text = prompt_bytes * rates.input_mtok_micros if rates else 0  # tokens × µ$/Mtok = pico-dollars
        return image_count(body) * one + text
    ms = audio_ms or 0
    if entry.unit == "tokens" and entry.estimate_usd_per_minute is not None:
        return -(-ms * _picos(entry.estimate_usd_per_minute) * _AUDIO_ESTIMATE_MARGIN // 60_000)
    return None


def _override_worst(
    endpoint: str, body: Mapping[str, Any], audio_ms: int | None, override: OverridePrice
) -> int | None:
    """An override's per-image or per-minute rate; None when it has only token rates (the list table's worst
    case then bounds the tokens the call can produce)."""
    if endpoint == "images.generations" and override.image_micros is not None:
        return image_count(body) * override.image_micros * 1_000_000
    if override.audio_minute_micros is not None:
        return -(-(audio_ms or 0) * override.audio_minute_micros * 1_000_000 // 60_000)
    return None
