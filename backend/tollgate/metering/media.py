"""What images and audio are worth: the counts a media call is billed by (`MediaUsage`) and their list prices,
from genai-prices where it has them (token-billed image and transcription models, audio by the hour) and
otherwise from the repository's price file (`price_data/media.toml`: per image by size and quality, per second
of compute, per minute for what genai-prices lacks). Pure apart from reading that file, once.

Units, as each model is billed: per image by quality and size (dall-e, Stability, Imagen, Replicate's official
models), per second of audio (whisper-1), per second of compute (Replicate's community models), or per token with
image/audio input tokens at their own rate (gpt-image-1, gpt-4o(-mini)-transcribe). Values are exact integer
pico-dollars, like `prices.value_picos`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from typing import Any

from . import prices
from .prices import PICOS_PER_USD, OverridePrice
from .usage import TokenUsage

ANY = "*"


@dataclass(frozen=True, slots=True)
class MediaUsage:
    """Billable counts of an images or audio call, beside (or instead of) its token usage."""

    images: int = 0
    size: str | None = None
    quality: str | None = None
    audio_ms: int = 0
    """Input audio duration, milliseconds."""
    compute_ms: int = 0
    """Provider compute time (Replicate's `metrics.predict_time`), milliseconds."""
    media_input_tokens: int = 0
    """The image or audio tokens among the usage's input tokens (dearer than text tokens)."""


@dataclass(frozen=True, slots=True)
class MediaPrice:
    """One price-file entry. Amounts in USD (exact decimals)."""

    provider: str
    model: str
    unit: str
    source: str
    checked: str
    usd: Decimal | None = None
    """minute or second units: the price of one."""
    images: Mapping[str, Decimal] | None = None
    """image table: "<quality> <size>" | "<size>" | "*" → one image."""
    default: str | None = None
    estimate_usd_per_minute: Decimal | None = None
    max_seconds: int | None = None


def _entry(provider: str, model: str, raw: Mapping[str, Any]) -> MediaPrice:
    usd = raw.get("usd")
    table = {k: Decimal(v) for k, v in usd.items()} if isinstance(usd, dict) else None
    estimate = raw.get("estimate_usd_per_minute")
    return MediaPrice(
        provider=provider,
        model=model,
        unit=raw["unit"],
        source=raw["source"],
        checked=raw["checked"],
        usd=Decimal(usd) if isinstance(usd, str) else None,
        images=table,
        default=raw.get("default"),
        estimate_usd_per_minute=Decimal(estimate) if estimate else None,
        max_seconds=raw.get("max_seconds"),
    )


@functools.cache
def price_table() -> dict[tuple[str, str], MediaPrice]:
    """The price file, read once per process: (provider, model) → entry."""
    text = files("tollgate.metering").joinpath("price_data/media.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {
        (provider, model): _entry(provider, model, raw)
        for provider, models in data.items()
        for model, raw in models.items()
    }


def find(model: str, provider: str | None) -> MediaPrice | None:
    """The entry for `model` at `provider`; a dated snapshot (`dall-e-3-2024…`) falls back to its base name, a
    pinned Replicate version (`owner/name:version`) to its model."""
    table = price_table()
    key = (provider or "openai", model.split(":", 1)[0])
    if key in table:
        return table[key]
    base = next((m for (p, m) in table if p == key[0] and key[1].startswith(m + "-")), None)
    return table[(key[0], base)] if base else None


def image_key(entry: MediaPrice, size: str | None, quality: str | None) -> str | None:
    """The table key an image of `size`/`quality` is billed at (`auto`/absent: the entry's default)."""
    table = entry.images or {}
    if ANY in table:
        return ANY
    default_quality, _, default_size = (entry.default or "").rpartition(" ")
    size = size if size and size != "auto" else default_size
    quality = quality if quality and quality != "auto" else default_quality
    for key in (f"{quality} {size}", size):
        if key in table:
            return key
    return None


def _usd_picos(amount: Decimal) -> int:
    return int(amount * PICOS_PER_USD)


def image_picos(entry: MediaPrice, usage: MediaUsage) -> int | None:
    table = entry.images or {}
    key = image_key(entry, usage.size, usage.quality)
    return None if key is None else usage.images * _usd_picos(table[key])


def value_picos(
    media: MediaUsage,
    tokens: TokenUsage | None,
    model: str,
    provider: str | None,
    override: OverridePrice | None = None,
) -> int | None:
    """Exact value of a media call; None: unpriced. An override's per-image or per-minute rate wins (its token
    rates price a token-billed model, media tokens at the input rate). Without one, genai-prices prices what it
    can, and the price file the rest."""
    if override is not None:
        return _override_picos(media, tokens, override)
    listed = _listed_picos(media, tokens, model, provider or "openai")
    if listed is not None:
        return listed
    if media.audio_ms and not media.images:
        return audio_picos(model, provider, media.audio_ms)
    entry = find(model, provider)
    if entry is None:
        return None
    if entry.unit == "image" or (entry.unit == "tokens" and tokens is None and entry.images):
        return image_picos(entry, media)  # a token-billed image model whose response lost its usage: its table
    if entry.unit == "second" and entry.usd is not None:
        return media.compute_ms * _usd_picos(entry.usd) // 1_000
    return None


def _listed_picos(media: MediaUsage, tokens: TokenUsage | None, model: str, provider: str) -> int | None:
    """genai-prices' value: tokens with the image/audio input tokens apart; audio by its per-hour rate (its
    calculator takes no audio duration, so the rate is read from its table)."""
    found = prices.listed_prices(model, provider)
    if found is None:
        return None
    if tokens is not None and tokens.total_tokens > 0:
        kind = "input_audio_tokens" if media.audio_ms else "input_image_tokens"
        split = {kind: min(media.media_input_tokens, tokens.input_tokens)}
        amount = prices.list_value_usd(tokens, model, provider, split)
        return None if amount is None else prices.to_picos(amount)
    return audio_picos(model, provider, media.audio_ms) if media.audio_ms else None


def audio_picos(model: str, provider: str | None, audio_ms: int, round_up: bool = False) -> int | None:
    """`audio_ms` of input audio at the model's per-duration rate: genai-prices' per hour (its calculator takes no
    duration, so the rate is read from its table), else the price file's per minute. None: no such rate."""
    found = prices.listed_prices(model, provider or "openai")
    per_hour = getattr(found, "input_audio_hours", None)
    if isinstance(per_hour, Decimal):
        numerator, per = audio_ms * _usd_picos(per_hour), 3_600_000
    else:
        entry = find(model, provider)
        if entry is None or entry.unit != "minute" or entry.usd is None:
            return None
        numerator, per = audio_ms * _usd_picos(entry.usd), 60_000
    return -(-numerator // per) if round_up else numerator // per


def _override_picos(media: MediaUsage, tokens: TokenUsage | None, override: OverridePrice) -> int:
    if override.image_micros is not None and media.images:
        return media.images * override.image_micros * 1_000_000
    if override.audio_minute_micros is not None and media.audio_ms:
        return media.audio_ms * override.audio_minute_micros * 1_000_000 // 60_000
    return override.value_picos(tokens) if tokens is not None else 0
