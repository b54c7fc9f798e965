"""Images and audio at list price: the repository's price file, exact values, worst cases for admission, and
overrides. Pure: no server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tollgate.budgets.ledger import Ask, worst_case_micros
from tollgate.budgets.media_estimate import worst_case_picos
from tollgate.budgets.specs import Limits
from tollgate.metering import media
from tollgate.metering.media import MediaUsage
from tollgate.metering.prices import OverridePrice, split_picos
from tollgate.metering.usage import TokenUsage

PICOS_PER_USD = 10**12


def test_every_price_names_its_source_and_date() -> None:
    table = media.price_table()
    assert len(table) >= 15
    for entry in table.values():
        assert entry.source.startswith("https://"), entry
        dt.date.fromisoformat(entry.checked)
        assert entry.unit in ("image", "minute", "second", "tokens")
        priced = entry.usd or entry.images or entry.estimate_usd_per_minute
        assert priced, f"{entry.provider}/{entry.model} has no price"


def test_dall_e_3_per_image_by_quality_and_size() -> None:
    hd_wide = MediaUsage(images=2, size="1792x1024", quality="hd")
    assert media.value_picos(hd_wide, None, "dall-e-3", "openai") == 2 * 120_000 * 10**6  # 2 × $0.12
    default = MediaUsage(images=1)  # no size or quality asked for: standard 1024x1024
    assert media.value_picos(default, None, "dall-e-3", "openai") == 40_000 * 10**6
    dated = MediaUsage(images=1, size="1024x1024", quality="standard")
    assert media.value_picos(dated, None, "dall-e-3-2024-01-01", "openai") == 40_000 * 10**6
    assert media.value_picos(MediaUsage(images=1, size="512x512"), None, "dall-e-2", "openai") == 18_000 * 10**6


def test_gpt_image_1_is_billed_by_its_token_usage() -> None:
    # 20 text tokens at $5/M, 100 image input tokens at $10/M, 4160 output tokens at $40/M
    tokens = TokenUsage(input_tokens=120, output_tokens=4160)
    usage = MediaUsage(images=1, size="1024x1024", quality="high", media_input_tokens=100)
    picos = media.value_picos(usage, tokens, "gpt-image-1", "openai")
    assert picos == 20 * 5_000_000 + 100 * 10_000_000 + 4160 * 40_000_000
    assert split_picos(picos or 0) == (167_500, 0)  # $0.1675


def test_token_billed_and_audio_models_are_priced_by_genai_prices() -> None:
    """genai-prices has these (the price file holds only what admission needs of them)."""
    for model in ("gpt-image-1", "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"):
        entry = media.find(model, "openai")
        assert entry is None or entry.unit == "tokens", model


def test_audio_per_minute_and_per_token() -> None:
    assert media.value_picos(MediaUsage(audio_ms=90_000), None, "whisper-1", "openai") == 9_000 * 10**6  # 1.5 min
    tokens = TokenUsage(input_tokens=300, output_tokens=50)  # 300 audio tokens at $6/M, 50 output at $10/M
    value = media.value_picos(
        MediaUsage(audio_ms=30_000, media_input_tokens=300), tokens, "gpt-4o-transcribe", "openai"
    )
    assert value == 300 * 6_000_000 + 50 * 10_000_000


def test_replicate_per_image_and_per_second() -> None:
    assert media.value_picos(MediaUsage(images=4), None, "black-forest-labs/flux-schnell", "replicate") == (
        4 * 3_000 * 10**6
    )
    per_second = media.value_picos(MediaUsage(images=1, compute_ms=2_500), None, "stability-ai/sdxl", "replicate")
    assert per_second == 2_437_500_000  # 2.5 s × $0.000975


def test_unknown_model_or_size_is_unpriced_never_zero() -> None:
    assert media.value_picos(MediaUsage(images=1), None, "acme-image-model", "openai") is None
    assert media.value_picos(MediaUsage(images=1, size="640x480"), None, "dall-e-2", "openai") is None
    assert media.value_picos(MediaUsage(images=1), None, "dall-e-3", "stability") is None  # not at that provider


def test_override_per_image_and_per_minute_wins() -> None:
    override = OverridePrice(0, 0, image_micros=25_000, audio_minute_micros=3_000)
    assert media.value_picos(MediaUsage(images=3), None, "acme-image-model", "openai", override) == 75_000 * 10**6
    assert media.value_picos(MediaUsage(audio_ms=30_000), None, "whisper-1", "openai", override) == 1_500 * 10**6


@pytest.mark.parametrize(
    ("body", "expected_usd"),
    [
        ({"n": 3, "size": "1024x1024", "quality": "standard"}, "0.12"),
        ({"n": 2, "quality": "hd"}, "0.24"),  # size left open: the dearest hd size
        ({"n": 1}, "0.12"),  # nothing asked for: the dearest of all
        ({"n": 2, "size": "1024x1792"}, "0.24"),
    ],
)
def test_images_worst_case_is_n_times_the_dearest_match(body: dict[str, object], expected_usd: str) -> None:
    picos = worst_case_picos("images.generations", "dall-e-3", ("openai",), body | {"prompt": "x"}, None)
    assert picos == int(Decimal(expected_usd) * PICOS_PER_USD)


def test_gpt_image_1_worst_case_adds_the_prompt() -> None:
    body = {"prompt": "a" * 100, "n": 2, "quality": "high", "size": "1536x1024"}
    picos = worst_case_picos("images.generations", "gpt-image-1", ("openai",), body, None)
    assert picos == 2 * 250_000 * 10**6 + 100 * 10_000_000  # the prompt at the dearest input rate ($10/M)


def test_audio_worst_case_from_the_duration() -> None:
    ask = Ask("audio.transcriptions", "whisper-1", {"model": "whisper-1"}, b"", audio_ms=61_000)
    assert worst_case_micros(ask, Limits()) == 6_100  # 61 s at $0.006/min
    ask = Ask("audio.transcriptions", "gpt-4o-transcribe", {}, b"", audio_ms=60_000)
    assert worst_case_micros(ask, Limits()) == 12_000  # the published $0.006/min estimate, doubled
    unknown = Ask("audio.transcriptions", "acme-asr", {}, b"", audio_ms=60_000)
    assert worst_case_micros(unknown, Limits()) is None


def test_images_worst_case_with_an_override() -> None:
    limits = Limits(overrides={"acme-image-model": OverridePrice(0, 0, image_micros=10_000)})
    ask = Ask("images.generations", "acme-image-model", {"n": 4, "prompt": "x"}, b"")
    assert worst_case_micros(ask, limits) == 40_000
